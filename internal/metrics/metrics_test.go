package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// snapshot is a cluster whose rollout waits on gate since since; the Progressing condition
// has been True, unchanged, since long before (as through a real rollout).
func snapshot(gate string, since time.Time) Cluster {
	return Cluster{Namespace: "ns", Name: "nacos", Desired: 3, Health: map[string]int{"Ready": 2, "NotReady": 1},
		DistroInitialized: 2, RaftGroups: map[string]bool{"nacos_config": true, "naming_persistent_service_v2": false},
		Conditions: []metav1.Condition{{Type: "Progressing", Status: metav1.ConditionTrue, Reason: gate, LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour))}},
		Blocked:    gate, BlockedSince: since, Now: t0}
}

// A snapshot replaces the cluster's series: a reason that changed leaves no stale series,
// the blocked time counts from when the current gate began (not from the condition's
// transition), and a deleted cluster leaves none.
func TestSetReplacesTheClustersSeriesAndForgetDropsThem(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Set(snapshot("DistroNotInitialized", t0.Add(-90*time.Second)))
	m.Restarted("ns", "nacos", CauseRollout)
	m.Set(snapshot("PodsNotReady", t0.Add(-30*time.Second)))
	want := `
# HELP nacos_operator_rollout_blocked_seconds How long the rollout has waited on its current gate (the Progressing reason); absent when not blocked.
# TYPE nacos_operator_rollout_blocked_seconds gauge
nacos_operator_rollout_blocked_seconds{gate="PodsNotReady",nacoscluster="nacos",namespace="ns"} 30
# HELP nacos_operator_condition 1 for each current condition of a NacosCluster, by type, status and reason.
# TYPE nacos_operator_condition gauge
nacos_operator_condition{nacoscluster="nacos",namespace="ns",reason="PodsNotReady",status="True",type="Progressing"} 1
# HELP nacos_operator_raft_leader 1 when a reachable member reports a leader for the Raft group, 0 when none does.
# TYPE nacos_operator_raft_leader gauge
nacos_operator_raft_leader{group="nacos_config",nacoscluster="nacos",namespace="ns"} 1
nacos_operator_raft_leader{group="naming_persistent_service_v2",nacoscluster="nacos",namespace="ns"} 0
# HELP nacos_operator_members Members of a NacosCluster by health (what each member's readiness endpoint says).
# TYPE nacos_operator_members gauge
nacos_operator_members{health="NotReady",nacoscluster="nacos",namespace="ns"} 1
nacos_operator_members{health="Ready",nacoscluster="nacos",namespace="ns"} 2
nacos_operator_members{health="Unknown",nacoscluster="nacos",namespace="ns"} 0
nacos_operator_members{health="Unreachable",nacoscluster="nacos",namespace="ns"} 0
# HELP nacos_operator_member_restarts_total Member pods the operator deleted, by cause: rollout, forced, startup_deadlock.
# TYPE nacos_operator_member_restarts_total counter
nacos_operator_member_restarts_total{cause="rollout",nacoscluster="nacos",namespace="ns"} 1
`
	names := []string{"nacos_operator_rollout_blocked_seconds", "nacos_operator_condition", "nacos_operator_raft_leader", "nacos_operator_members", "nacos_operator_member_restarts_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	m.Forget("ns", "nacos")
	if n, err := testutil.GatherAndCount(reg, names...); err != nil || n != 0 {
		t.Fatalf("%d series left after Forget (%v)", n, err)
	}
}

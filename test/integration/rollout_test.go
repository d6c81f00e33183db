package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// Spec fragments for sizedCluster.
const (
	// transferLeadership: embedded storage, whose config readiness needs a Raft leader, so
	// the leader hands over before its restart and no member blinks during an election.
	transferLeadership = `rollout: {transferRaftLeadership: true, stabilizationDelay: 0s}`
	// externalMySQL: config readiness does not depend on Raft.
	externalMySQL = `storage: {type: mysql, mysql: {host: mysql.db, credentialsSecretRef: {name: db}}}`
)

// sizedCluster creates a Ready cluster of n members; extra is more of the spec.
func sizedCluster(t testing.TB, ns string, n int, extra ...string) types.NamespacedName {
	t.Helper()
	key := types.NamespacedName{Namespace: ns, Name: "nacos"}
	ctx := context.Background()
	db := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, StringData: map[string]string{"username": "nacos", "password": "pw"}}
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("replicas: %d\n%s", n, strings.Join(extra, "\n"))
	if !strings.Contains(spec, "rollout:") {
		spec += "\nrollout: {stabilizationDelay: 0s}" // tests measure the gates, not the pause
	}
	if err := env.Client.Create(ctx, newCluster(t, ns, key.Name, spec)); err != nil {
		t.Fatal(err)
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Distro != fmt.Sprintf("%d/%d", n, n) {
			return fmt.Errorf("phase %s distro %s: %s", nc.Status.Phase, nc.Status.Distro, condition(nc, nacosv1alpha1.ConditionReady).Message)
		}
		return nil
	})
	return key
}

// leaderOf returns the member leading the most Raft groups.
func leaderOf(t testing.TB, key types.NamespacedName) string {
	t.Helper()
	nc := &nacosv1alpha1.NacosCluster{}
	if err := env.Client.Get(context.Background(), key, nc); err != nil {
		t.Fatal(err)
	}
	best, n := "", 0
	for _, m := range nc.Status.Members {
		if len(m.RaftLeaderOf) > n {
			best, n = m.Name, len(m.RaftLeaderOf)
		}
	}
	if best == "" {
		t.Fatal("no Raft leader in status")
	}
	return best
}

func setImage(t testing.TB, key types.NamespacedName, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"image":%q}}`, image)
	if err := env.Client.Patch(context.Background(), newCluster(t, key.Namespace, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

// rolledOut waits until every member runs the StatefulSet's update revision and is Ready.
func rolledOut(t testing.TB, key types.NamespacedName, n int, image string) {
	t.Helper()
	waitForStatusWithin(t, key, 90*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		sts := &appsv1.StatefulSet{}
		if err := env.Client.Get(context.Background(), key, sts); err != nil {
			return err
		}
		if sts.Spec.Template.Spec.Containers[0].Image != image || sts.Status.UpdateRevision == "" || sts.Status.ObservedGeneration != sts.Generation {
			return fmt.Errorf("StatefulSet not updated yet")
		}
		pods := &corev1.PodList{}
		if err := env.Client.List(context.Background(), pods, client.InNamespace(key.Namespace)); err != nil {
			return err
		}
		updated := 0
		for _, p := range pods.Items {
			if p.Labels["controller-revision-hash"] == sts.Status.UpdateRevision && podReady(&p) && p.DeletionTimestamp == nil {
				updated++
			}
		}
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if updated != n || nc.Status.Phase != nacosv1alpha1.PhaseReady || c.Reason != nacosv1alpha1.ReasonUpToDate || c.ObservedGeneration != nc.Generation {
			return fmt.Errorf("%d/%d updated, phase %s, Progressing %s: %s", updated, n, nc.Status.Phase, c.Reason, c.Message)
		}
		return nil
	})
}

func TestImageChangeRollsOneMemberAtATimeLeaderLast(t *testing.T) {
	for _, tc := range []struct {
		n    int
		spec string
	}{{3, transferLeadership}, {5, externalMySQL}, {5, transferLeadership}} {
		n := tc.n
		t.Run(fmt.Sprintf("%d members, %s", n, tc.spec), func(t *testing.T) {
			startOperator(t)
			ns := namespace(t)
			key := sizedCluster(t, ns, n, tc.spec)
			rec := startRecorder(t, ns, n)
			image := "nacos/nacos-server:v2.5.1-slim"
			setImage(t, key, image)
			rolledOut(t, key, n, image)
			rec.Stop()
			deletions, violations := rec.Result()
			if len(violations) > 0 {
				t.Fatalf("invariants broken:\n%s", strings.Join(violations, "\n"))
			}
			sorted := slices.Clone(deletions)
			slices.Sort(sorted)
			if len(deletions) != n || len(slices.Compact(sorted)) != n {
				t.Fatalf("deletions %v: want each of the %d members exactly once\n%s", deletions, n, rec.HistoryText())
			}
			// Leader last: no member was restarted while it led Raft, except the last one
			// (and not even that one when leadership is transferred first).
			leaderRestarts := rec.LeaderRestarts()
			allowed := []int{n - 1}
			if tc.spec == transferLeadership {
				allowed = nil
			}
			for _, i := range leaderRestarts {
				if !slices.Contains(allowed, i) {
					t.Fatalf("deletions %v: restart %d hit the Raft leader (leader-at-deletion restarts %v)", deletions, i, leaderRestarts)
				}
			}
			// Highest ordinal first among the others.
			var others []string
			for _, d := range deletions {
				if d != deletions[n-1] {
					others = append(others, d)
				}
			}
			if !slices.IsSortedFunc(others, func(a, b string) int { return strings.Compare(b, a) }) {
				t.Fatalf("deletions %v: want highest ordinal first", deletions)
			}
		})
	}
}

// firstToRestart is the highest-ordinal member that is not the leader.
func firstToRestart(n int, leader string) string {
	for i := n - 1; i >= 0; i-- {
		if name := fmt.Sprintf("nacos-%d", i); name != leader {
			return name
		}
	}
	return ""
}

func TestDistroStuckAfterRestartHaltsTheRollout(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := sizedCluster(t, ns, 3)
	victim := firstToRestart(3, leaderOf(t, key))
	startFaults.set(ns, victim, sim.Faults{DistroStuck: true})
	image := "nacos/nacos-server:v2.5.1-slim"
	setImage(t, key, image)
	quote := victim + ": Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
	nc := waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if c.Status != metav1.ConditionTrue || c.Reason != nacosv1alpha1.GateDistroNotInitialized || !strings.Contains(c.Message, quote) {
			return fmt.Errorf("Progressing %+v", c)
		}
		return nil
	})
	blocked := 0
	for _, m := range nc.Status.Members {
		if m.BlockedBy == nacosv1alpha1.GateDistroNotInitialized {
			blocked++
		}
	}
	if blocked != 2 {
		t.Fatalf("%d members blockedBy DistroNotInitialized, want the 2 outdated ones: %+v", blocked, nc.Status.Members)
	}
	events := &eventsv1.EventList{}
	if err := env.Client.List(ctx, events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events.Items {
		if e.Reason == nacosv1alpha1.GateDistroNotInitialized && strings.Contains(e.Note, quote) && strings.HasPrefix(e.Note, "Rolling restart waits") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no Event names %s and quotes Nacos", victim)
	}
	simMember(t, ns, victim).SetFaults(sim.Faults{})
	rolledOut(t, key, 3, image)
}

func TestOperatorRestartedMidRollout(t *testing.T) {
	ns := namespace(t)
	_, stopFirst := runOperator(t, nil)
	key := sizedCluster(t, ns, 3, transferLeadership)
	stopFirst()
	rec := startRecorder(t, ns, 3)
	image := "nacos/nacos-server:v2.5.1-slim"
	setImage(t, key, image)
	// A new operator process for each restart: stop it right after it deleted a pod.
	for step := 1; step <= 3; step++ {
		_, stop := runOperator(t, nil)
		err := pollUntil(60*time.Second, func() error {
			if d, _ := rec.Result(); len(d) < step {
				return fmt.Errorf("%d deletions", len(d))
			}
			return nil
		})
		stop()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, stop := runOperator(t, nil)
	defer stop()
	rolledOut(t, key, 3, image)
	rec.Stop()
	deletions, violations := rec.Result()
	if len(violations) > 0 {
		t.Fatalf("invariants broken:\n%s", strings.Join(violations, "\n"))
	}
	sorted := slices.Clone(deletions)
	slices.Sort(sorted)
	if len(deletions) != 3 || len(slices.Compact(sorted)) != 3 {
		t.Fatalf("deletions %v: a member was restarted twice or not at all", deletions)
	}
}

func TestBadImageThenFixedImage(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	victim := firstToRestart(3, leaderOf(t, key))
	setImage(t, key, "nacos/nacos-server:vbroken")
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if c.Reason != nacosv1alpha1.GatePodsNotReady || !strings.Contains(c.Message, victim+": pod is not Ready") {
			return fmt.Errorf("Progressing %+v", c)
		}
		return nil
	})
	image := "nacos/nacos-server:v2.5.1-fixed"
	setImage(t, key, image)
	rolledOut(t, key, 3, image)
	events := &eventsv1.EventList{}
	if err := env.Client.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.Reason == nacosv1alpha1.EventRestartingMember && strings.HasPrefix(e.Note, "Replacing "+victim) && strings.Contains(e.Note, "CrashLoopBackOff") {
			return
		}
	}
	t.Fatalf("no Event says the crash-looping %s was replaced", victim)
}

// TestRestartedAtAnnotationRollsTheCluster: nacos.io/restartedAt requests a gated rolling
// restart of every member, one at a time.
func TestRestartedAtAnnotationRollsTheCluster(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, externalMySQL)
	before := podUIDs(t, ns)
	rec := startRecorder(t, ns, 3)
	patch := `{"metadata":{"annotations":{"nacos.io/restartedAt":"2026-11-26T15:00:00Z"}}}`
	if err := env.Client.Patch(context.Background(), newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(30*time.Second, func() error {
		sts := &appsv1.StatefulSet{}
		if err := env.Client.Get(context.Background(), key, sts); err != nil {
			return err
		}
		if sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationRestartedAt] != "2026-11-26T15:00:00Z" {
			return fmt.Errorf("the pod template has no restartedAt yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rolledOut(t, key, 3, "nacos/nacos-server:v2.5.1")
	rec.Stop()
	deletions, violations := rec.Result()
	if len(violations) > 0 || len(deletions) != 3 {
		t.Fatalf("deletions %v, violations %v", deletions, violations)
	}
	after := podUIDs(t, ns)
	for name, uid := range before {
		if after[name] == uid {
			t.Errorf("%s was not restarted", name)
		}
	}
}

package rollout

import (
	"strings"
	"testing"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

func TestPlan(t *testing.T) {
	cases := []struct {
		name     string
		f        *fixture
		action   Action
		member   string
		gate     string
		message  string // substring
		forced   bool
		deadline bool
		finish   bool
	}{
		{name: "all up to date", f: healthyCluster(3, 0).updated(0, 1, 2), action: ActionNone},
		{name: "highest ordinal first", f: healthyCluster(3, 0), action: ActionDelete, member: "n-2", message: "revision old -> new"},
		{name: "leader last: skip the leader even at the highest ordinal", f: healthyCluster(3, 2), action: ActionDelete, member: "n-1"},
		{name: "leader restarted when it is the only one left", f: healthyCluster(3, 2).updated(0, 1), action: ActionDelete, member: "n-2"},
		{name: "five members, leader in the middle", f: healthyCluster(5, 3).updated(4), action: ActionDelete, member: "n-2"},
		{name: "transfer leadership first when enabled", f: healthyCluster(3, 1).updated(0, 2).with(func(in *Input) { in.TransferLeadership = true }),
			action: ActionTransfer, member: "n-1", message: "moving Raft leadership from n-1 to n-0"},
		{name: "a transfer younger than the readiness window holds the next restart", f: healthyCluster(3, 0).updated(0, 1).with(func(in *Input) {
			in.TransferLeadership, in.LastTransfer, in.TransferSettle = true, t0.Add(-10*time.Second), 15*time.Second
		}), action: ActionWait, gate: nacosv1alpha1.GateStabilizing, message: "Raft leadership moved at 2026-01-01T11:59:50Z; waiting 15s"},
		{name: "a transfer past the readiness window: the old leader restarts", f: healthyCluster(3, 0).updated(0, 1).with(func(in *Input) {
			in.TransferLeadership, in.LastTransfer, in.TransferSettle = true, t0.Add(-15*time.Second), 15*time.Second
		}), action: ActionDelete, member: "n-2"},
		{name: "a member that was never restarted turned Ready again 5 s ago: wait out the delay", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Minute)).with(func(in *Input) {
			in.StabilizationDelay = 10 * time.Second
			in.Members[0].ReadySince = t0.Add(-5 * time.Second)
		}), action: ActionWait, gate: nacosv1alpha1.GateStabilizing, message: "n-0 has been Ready since 2026-01-01T11:59:55Z"},
		{name: "no transfer for a member that leads nothing", f: healthyCluster(3, 0).with(func(in *Input) { in.TransferLeadership = true }), action: ActionDelete, member: "n-2"},
		{name: "paused", f: healthyCluster(3, 0).with(func(in *Input) { in.Paused = true }), action: ActionWait, gate: nacosv1alpha1.GateRolloutPaused, message: "3 members wait"},
		{name: "no update revision yet", f: healthyCluster(3, 0).with(func(in *Input) { in.UpdateRevision = "" }), action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, message: "no update revision"},
		{name: "a template change the StatefulSet controller has not seen: not up to date yet", f: healthyCluster(3, 0).updated(0, 1, 2).with(func(in *Input) { in.StsObservedGeneration = 1 }),
			action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, message: "has not observed the latest StatefulSet"},
		{name: "stale StatefulSet", f: healthyCluster(3, 0).with(func(in *Input) { in.StsObservedGeneration = 1 }), action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync},
		{name: "deleted pod still cached", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Second)).member(2, func(m *Member) { m.UID = "gone-uid" }),
			action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, member: "n-2"},
		{name: "a restart recorded but never performed (operator killed between): waits while the cache may lag", f: healthyCluster(3, 0).lastRestart(2, t0.Add(-20*time.Second)).
			member(2, func(m *Member) { m.UID = "gone-uid" }), action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, member: "n-2"},
		{name: "a restart recorded but never performed: past the grace the gates decide afresh", f: healthyCluster(3, 0).lastRestart(2, t0.Add(-31*time.Second)).
			member(2, func(m *Member) { m.UID = "gone-uid" }), action: ActionDelete, member: "n-2"},
		{name: "a deleted pod still terminating long after is not mistaken for an unperformed restart", f: healthyCluster(3, 0).lastRestart(2, t0.Add(-5*time.Minute)).
			member(2, func(m *Member) { m.UID, m.Terminating = "gone-uid", true }), action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, member: "n-2"},
		{name: "member terminating", f: healthyCluster(3, 0).member(1, func(m *Member) { m.Terminating = true }), action: ActionWait, gate: nacosv1alpha1.GateMemberTerminating, member: "n-1"},
		{name: "pod missing", f: healthyCluster(3, 0).updated(2).member(2, func(m *Member) { m.Exists, m.Revision = false, "" }), action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-2", message: "does not exist"},
		{name: "pod not ready", f: healthyCluster(3, 0).updated(2).member(2, func(m *Member) { m.KubeReady = false }), action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-2"},
		{name: "readiness says no", f: healthyCluster(3, 0).member(0, func(m *Member) { m.NacosReady, m.ReadyMessage = false, "config not in readiness" }),
			action: ActionWait, gate: nacosv1alpha1.GateMembersNotHealthy, member: "n-0", message: "n-0: config not in readiness"},
		{name: "unreachable", f: healthyCluster(3, 0).member(1, func(m *Member) { m.Reachable = false }), action: ActionWait, gate: nacosv1alpha1.GateMembersNotHealthy, message: "unreachable"},
		{name: "distro not initialized, in Nacos's words", f: healthyCluster(3, 0).member(1, func(m *Member) {
			m.NamingUP, m.NamingMessage = false, "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
		}), action: ActionWait, gate: nacosv1alpha1.GateDistroNotInitialized, member: "n-1", message: "n-1: Distro snapshot load failed"},
		{name: "a restarted member not Ready because Distro is stuck: the Distro gate names it", f: healthyCluster(3, 0).updated(2).member(2, func(m *Member) {
			m.KubeReady, m.NacosReady, m.ReadyMessage = false, false, "naming not in readiness"
			m.NamingUP, m.NamingMessage = false, "Distro snapshot load failed, please see logs"
		}), action: ActionWait, gate: nacosv1alpha1.GateDistroNotInitialized, member: "n-2", message: "n-2: Distro snapshot load failed"},
		{name: "a peer DOWN in one view", f: healthyCluster(3, 0).seenBy(0, 2, func(v *nacos.Member) { v.State = nacos.MemberDown }),
			action: ActionWait, gate: nacosv1alpha1.GateMembershipMismatch, member: "n-0", message: "sees " + addrOf(2) + " DOWN"},
		{name: "a phantom member", f: healthyCluster(3, 0).seenBy(1, 0, func(v *nacos.Member) { v.Address = "10.0.0.9:8848" }),
			action: ActionWait, gate: nacosv1alpha1.GateMembershipMismatch, message: "10.0.0.9:8848, which is not a desired member"},
		{name: "never heard from a peer", f: healthyCluster(3, 0).seenBy(1, 0, func(v *nacos.Member) { v.Version, v.LastRefreshTime = "", time.Time{} }),
			action: ActionWait, gate: nacosv1alpha1.GateMembershipMismatch, message: "has not heard from"},
		{name: "stale refresh", f: healthyCluster(3, 0).seenBy(2, 1, func(v *nacos.Member) { v.LastRefreshTime = t0.Add(-time.Minute) }),
			action: ActionWait, gate: nacosv1alpha1.GateMembershipMismatch, message: "for more than 30s"},
		{name: "no raft leader", f: healthyCluster(3, 0).seenBy(1, 1, func(v *nacos.Member) {
			v.Raft = map[string]nacos.RaftGroup{"naming_service_metadata": {Members: v.Raft["naming_service_metadata"].Members}}
		}), action: ActionWait, gate: nacosv1alpha1.GateNoRaftLeader, message: "no leader in Raft group naming_service_metadata"},
		{name: "stale raft peer", f: healthyCluster(3, 0).seenBy(0, 0, func(v *nacos.Member) {
			rg := v.Raft["naming_service_metadata"]
			rg.Members = append(append([]string(nil), rg.Members...), "10.0.0.3:7848")
			v.Raft = map[string]nacos.RaftGroup{"naming_service_metadata": rg}
		}), action: ActionWait, gate: nacosv1alpha1.GateNoRaftLeader, message: "10.0.0.3:7848"},
		{name: "previous member not yet refreshed in a peer's view", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Second)),
			action: ActionWait, gate: nacosv1alpha1.GatePreviousMemberNotRejoined, member: "n-2", message: "has not heard from n-2 since its restart"},
		{name: "previous member at the wrong version", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Minute)).
			seenBy(0, 2, func(v *nacos.Member) { v.Version = "2.4.3" }), action: ActionWait, gate: nacosv1alpha1.GatePreviousMemberNotRejoined, message: `version "2.4.3", want 2.5.1`},
		{name: "previous member rejoined: next", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Minute)), action: ActionDelete, member: "n-1"},
		{name: "a record from an earlier rollout gates nothing", f: healthyCluster(3, 0).lastRestart(0, t0.Add(-24*time.Hour)).
			seenBy(1, 0, func(v *nacos.Member) { v.Version = "2.4.3" }).with(func(in *Input) { in.TargetVersion = "2.5.1" }),
			action: ActionDelete, member: "n-2"},
		{name: "stuck path still waits for the previous member", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Second)).
			member(1, func(m *Member) { m.KubeReady, m.CrashLoop = false, true }),
			action: ActionWait, gate: nacosv1alpha1.GatePreviousMemberNotRejoined, member: "n-2"},
		{name: "a blip is not stuck: time counts from turning not Ready", f: healthyCluster(3, 0).member(1, func(m *Member) {
			m.KubeReady, m.NotReadySince = false, t0.Add(-10*time.Second)
		}), action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-1"},
		{name: "stabilizing after the previous member rejoined", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Minute)).
			member(2, func(m *Member) { m.ReadySince = t0.Add(-3 * time.Second) }).with(func(in *Input) { in.StabilizationDelay = 10 * time.Second }),
			action: ActionWait, gate: nacosv1alpha1.GateStabilizing, member: "n-2", message: "waiting 10s before the next restart"},
		{name: "stabilized", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Minute)).
			member(2, func(m *Member) { m.ReadySince = t0.Add(-11 * time.Second) }).with(func(in *Input) { in.StabilizationDelay = 10 * time.Second }),
			action: ActionDelete, member: "n-1"},
		{name: "deadline passed while waiting", f: healthyCluster(3, 0).updated(2).lastRestart(2, t0.Add(-time.Hour)).member(2, func(m *Member) {
			m.NamingUP, m.NamingMessage = false, "Distro snapshot load failed"
		}), action: ActionWait, gate: nacosv1alpha1.GateDistroNotInitialized, deadline: true},
		{name: "stuck outdated pod replaced without gates", f: healthyCluster(3, 0).member(1, func(m *Member) { m.KubeReady, m.CrashLoop = false, true }),
			action: ActionDelete, member: "n-1", forced: true, message: "CrashLoopBackOff"},
		{name: "stuck pod not replaced while another member is down", f: healthyCluster(3, 0).member(1, func(m *Member) { m.KubeReady, m.Pending = false, true }).
			member(0, func(m *Member) { m.KubeReady = false }), action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady},
		{name: "a young crash-looping pod is replaced at once", f: healthyCluster(3, 0).member(1, func(m *Member) { m.KubeReady, m.CrashLoop, m.CreatedAt = false, true, t0.Add(-time.Minute) }),
			action: ActionDelete, member: "n-1", forced: true},
		{name: "an old member still in its startup probe's budget is slow, not stuck", f: healthyCluster(3, 0).member(1, func(m *Member) {
			m.KubeReady, m.Starting, m.NotReadySince = false, true, t0.Add(-8*time.Minute)
		}), action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-1"},
		{name: "young unready pod is not stuck yet", f: healthyCluster(3, 0).member(1, func(m *Member) { m.KubeReady, m.CreatedAt = false, t0.Add(-time.Minute) }),
			action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-1"},
		{name: "the last member's pod is gone: the rollout is not over", f: healthyCluster(3, 0).updated(0, 1, 2).lastRestart(0, t0.Add(-time.Second)).
			member(0, func(m *Member) { m.Exists, m.Revision, m.KubeReady = false, "", false }),
			action: ActionWait, gate: nacosv1alpha1.GatePodsNotReady, member: "n-0", message: "n-0: pod does not exist yet", finish: true},
		{name: "the last member's deleted pod still cached: finishing, not done", f: healthyCluster(3, 0).updated(1, 2).lastRestart(0, t0.Add(-time.Second)).
			member(0, func(m *Member) { m.UID, m.Terminating = "gone-uid", true }).with(func(in *Input) { in.Last.UID = "gone-uid" }),
			action: ActionWait, gate: nacosv1alpha1.GateCacheNotInSync, member: "n-0", finish: true},
		{name: "the last member back but not yet heard from by a peer: still finishing", f: healthyCluster(3, 0).updated(0, 1, 2).lastRestart(0, t0.Add(-time.Second)),
			action: ActionWait, gate: nacosv1alpha1.GatePreviousMemberNotRejoined, member: "n-0", finish: true},
		{name: "the last member rejoined: over, with no stabilization wait", f: healthyCluster(3, 0).updated(0, 1, 2).lastRestart(0, t0.Add(-time.Minute)).
			member(0, func(m *Member) { m.ReadySince = t0.Add(-time.Second) }).with(func(in *Input) { in.StabilizationDelay = 10 * time.Second }),
			action: ActionNone},
		{name: "skip a gate by annotation", f: healthyCluster(3, 0).member(1, func(m *Member) { m.NamingUP = false }).
			with(func(in *Input) { in.SkipGates = map[string]bool{nacosv1alpha1.GateDistroNotInitialized: true} }), action: ActionDelete, member: "n-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Plan(tc.f.in)
			if d.Action != tc.action || d.Gate != tc.gate || d.Forced != tc.forced || d.Deadline != tc.deadline || d.Finishing != tc.finish {
				t.Fatalf("decision %+v; want action %s gate %q forced %v deadline %v finishing %v", d, tc.action, tc.gate, tc.forced, tc.deadline, tc.finish)
			}
			if tc.member != "" && d.Member != tc.member {
				t.Errorf("member %q, want %q", d.Member, tc.member)
			}
			if !strings.Contains(d.Message, tc.message) {
				t.Errorf("message %q lacks %q", d.Message, tc.message)
			}
			if d.Action == ActionTransfer && d.Target != resource.RaftAddress(addrOf(0)) {
				t.Errorf("transfer target %q", d.Target)
			}
			if d.Action == ActionDelete && d.UID == "" {
				t.Error("a deletion without a UID precondition")
			}
		})
	}
}

func TestGateNamesAreConditionReasonsInOrder(t *testing.T) {
	want := []string{"CacheNotInSync", "MemberTerminating", "PodsNotReady", "MembersNotHealthy", "DistroNotInitialized",
		"MembershipMismatch", "NoRaftLeader", "PreviousMemberNotRejoined", "Stabilizing"}
	if got := GateNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("gates %v", got)
	}
}

func TestStatefulSetUpdatedWaitsForTheStatefulSetController(t *testing.T) {
	del := Decision{Action: ActionDelete, Member: "nacos-1", Outdated: []string{"nacos-1", "nacos-0"}}
	got := StatefulSetUpdated(del)
	if got.Action != ActionWait || got.Gate != nacosv1alpha1.GateCacheNotInSync || got.Message != stsNotObserved || len(got.Outdated) != 2 || got.Member != "" {
		t.Errorf("after a delete decision: %+v, want a CacheNotInSync wait keeping the outdated members", got)
	}
	if got := StatefulSetUpdated(Decision{Action: ActionNone}); got.Action != ActionWait || got.Gate != nacosv1alpha1.GateCacheNotInSync {
		t.Errorf("after nothing to do: %+v, want a CacheNotInSync wait", got)
	}
	held := Decision{Action: ActionWait, Gate: nacosv1alpha1.GateRolloutPaused, Message: "paused"}
	if got := StatefulSetUpdated(held); got.Gate != nacosv1alpha1.GateRolloutPaused || got.Message != "paused" {
		t.Errorf("a wait is kept: %+v", got)
	}
}

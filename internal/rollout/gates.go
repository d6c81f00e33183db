package rollout

import (
	"fmt"
	"sort"
	"strings"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// gate is one named check: it returns the member it blocks on and why, or ok.
type gate struct {
	name  string
	check func(in Input) (member, message string, ok bool)
}

// gates are checked in this order; the names are condition reasons.
var gates = []gate{
	{nacosv1alpha1.GateCacheNotInSync, cacheInSync},
	{nacosv1alpha1.GateMemberTerminating, noneTerminating},
	{nacosv1alpha1.GatePodsNotReady, allPodsReady},
	{nacosv1alpha1.GateMembersNotHealthy, allMembersHealthy},
	{nacosv1alpha1.GateDistroNotInitialized, distroInitialized},
	{nacosv1alpha1.GateMembershipMismatch, membershipConsistent},
	{nacosv1alpha1.GateNoRaftLeader, raftLeaderElected},
	{nacosv1alpha1.GatePreviousMemberNotRejoined, previousMemberRejoined},
	{nacosv1alpha1.GateStabilizing, stabilized},
}

// GateNames lists the gates in order (for the skip-gates annotation's validation).
func GateNames() []string {
	out := make([]string, 0, len(gates))
	for _, g := range gates {
		out = append(out, g.name)
	}
	return out
}

// stsNotObserved is why a rollout waits while the StatefulSet controller lags its spec.
const stsNotObserved = "the StatefulSet controller has not observed the latest StatefulSet yet"

// StatefulSetUpdated is the decision of a pass that itself changed the StatefulSet after
// planning: the plan was made on the StatefulSet before, so whatever it decided, the pass
// waits for the StatefulSet controller (CacheNotInSync), keeping the members it knew to be
// outdated. A wait stays as it was.
func StatefulSetUpdated(d Decision) Decision {
	if d.Action == ActionWait {
		return d
	}
	return Decision{Action: ActionWait, Gate: nacosv1alpha1.GateCacheNotInSync, Message: stsNotObserved, Outdated: d.Outdated}
}

func cacheInSync(in Input) (string, string, bool) {
	if in.StsObservedGeneration < in.StsGeneration {
		return "", stsNotObserved, false
	}
	if m, ok := cachedLast(in); ok {
		return m.Name, fmt.Sprintf("%s: the deleted pod (uid %s) is still in the cache", m.Name, m.UID), false
	}
	return "", "", true
}

// cachedLast is the pod deleted last while the cache still holds it.
func cachedLast(in Input) (Member, bool) {
	for _, m := range in.Members {
		if in.Last.UID != "" && m.UID == in.Last.UID && !unperformedRestart(in, m) {
			return m, true
		}
	}
	return Member{}, false
}

// unperformedRestartGrace bounds how long a recorded deletion may take to show in the cache.
// The restart is recorded before the pod is deleted, so an operator killed in between leaves a
// record of a deletion that never happened (seen in the e2e SIGKILL runs: the rollout then
// waited on CacheNotInSync forever). A watch shows a deletion within a second; a pod still
// live and not terminating this long after the record was never deleted, and the gates decide
// afresh.
const unperformedRestartGrace = 30 * time.Second

func unperformedRestart(in Input, m Member) bool {
	return !m.Terminating && in.Now.Sub(in.Last.At) > unperformedRestartGrace
}

func noneTerminating(in Input) (string, string, bool) {
	for _, m := range in.Members {
		if m.Terminating {
			return m.Name, m.Name + " is terminating", false
		}
	}
	return "", "", true
}

// allPodsReady: every pod exists and is Ready. A pod whose Nacos API answers "not ready" is
// left to the Nacos gates below, which name the cause in Nacos's words.
func allPodsReady(in Input) (string, string, bool) {
	for _, m := range in.Members {
		switch {
		case !m.Exists:
			return m.Name, m.Name + ": pod does not exist yet", false
		case !m.KubeReady && (!m.Reachable || m.NacosReady && m.NamingUP):
			return m.Name, m.Name + ": pod is not Ready", false
		}
	}
	return "", "", true
}

// allMembersHealthy: every member's readiness endpoint says ready. A member whose naming is
// DOWN is left to the Distro gate, whose message is more precise.
func allMembersHealthy(in Input) (string, string, bool) {
	for _, m := range in.Members {
		switch {
		case !m.Reachable:
			return m.Name, m.Name + ": Nacos API unreachable", false
		case !m.NacosReady && m.NamingUP:
			return m.Name, m.Name + ": " + m.ReadyMessage, false
		}
	}
	return "", "", true
}

func distroInitialized(in Input) (string, string, bool) {
	for _, m := range in.Members {
		if !m.NamingUP {
			msg := m.NamingMessage
			if msg == "" {
				msg = "naming status is not UP"
			}
			return m.Name, m.Name + ": " + msg, false
		}
	}
	return "", "", true
}

// membershipConsistent: in every member's own view, exactly the desired members, all UP,
// each peer with a version and a lastRefreshTime younger than RefreshMaxAge.
func membershipConsistent(in Input) (string, string, bool) {
	want := map[string]bool{}
	for _, a := range in.Desired {
		want[a] = true
	}
	for _, m := range in.Members {
		seen := 0
		for _, v := range m.View {
			switch {
			case !want[v.Address]:
				return m.Name, fmt.Sprintf("%s lists %s, which is not a desired member", m.Name, v.Address), false
			case v.State != "UP":
				return m.Name, fmt.Sprintf("%s sees %s %s", m.Name, v.Address, v.State), false
			case v.Address != m.Address && (v.Version == "" || v.LastRefreshTime.IsZero()):
				return m.Name, fmt.Sprintf("%s has not heard from %s yet", m.Name, v.Address), false
			case v.Address != m.Address && in.RefreshMaxAge > 0 && in.Now.Sub(v.LastRefreshTime) > in.RefreshMaxAge:
				return m.Name, fmt.Sprintf("%s has not heard from %s for more than %s", m.Name, v.Address, in.RefreshMaxAge), false
			}
			seen++
		}
		if seen != len(in.Desired) {
			return m.Name, fmt.Sprintf("%s lists %d of %d members", m.Name, seen, len(in.Desired)), false
		}
	}
	return "", "", true
}

// raftLeaderElected: every group has one leader all members agree on and the desired peers.
func raftLeaderElected(in Input) (string, string, bool) {
	want := make([]string, 0, len(in.Desired))
	for _, a := range in.Desired {
		want = append(want, resource.RaftAddress(a))
	}
	sort.Strings(want)
	leaders := map[string]string{}
	for _, m := range in.Members {
		for _, v := range m.View {
			if v.Address != m.Address {
				continue
			}
			groups := make([]string, 0, len(v.Raft))
			for g := range v.Raft {
				groups = append(groups, g)
			}
			sort.Strings(groups) // a stable message: the first failing group in name order
			for _, g := range groups {
				rg := v.Raft[g]
				peers := append([]string(nil), rg.Members...)
				sort.Strings(peers)
				switch {
				case rg.Leader == "":
					return m.Name, fmt.Sprintf("%s sees no leader in Raft group %s", m.Name, g), false
				case leaders[g] != "" && leaders[g] != rg.Leader:
					return m.Name, fmt.Sprintf("Raft group %s: %s sees leader %s, another member %s", g, m.Name, rg.Leader, leaders[g]), false
				case strings.Join(peers, ",") != strings.Join(want, ","):
					return m.Name, fmt.Sprintf("Raft group %s on %s has peers %v, want %v", g, m.Name, peers, want), false
				}
				leaders[g] = rg.Leader
			}
		}
	}
	return "", "", true
}

// previousMemberRejoined: the member restarted last is UP, at the target version and
// refreshed after its restart, in every peer's view (its own view is optimistic).
func previousMemberRejoined(in Input) (string, string, bool) {
	address := restartedByThisRollout(in)
	if address == "" {
		return "", "", true
	}
	for _, m := range in.Members {
		if m.Name == in.Last.Member {
			continue
		}
		if msg := peerSeesRejoined(in, m, address); msg != "" {
			return in.Last.Member, msg, false
		}
	}
	return "", "", true
}

// stabilized: every member has been Ready for StabilizationDelay, and a Raft
// leadership transfer is TransferSettle old. Measured on real 2.5.1: after a transfer another
// member's readiness failed for 15 s; its pod showed Ready until the third failure, and the
// operator's one look in between found it answering, so it restarted the old leader with that
// member about to turn unready. Waiting out the kubelet's window lets the pod show it.
func stabilized(in Input) (string, string, bool) {
	if settle := max(in.TransferSettle, in.StabilizationDelay); !in.LastTransfer.IsZero() && in.Now.Sub(in.LastTransfer) < settle {
		return "", fmt.Sprintf("Raft leadership moved at %s; waiting %s for every member to keep answering ready before the next restart",
			in.LastTransfer.UTC().Format(time.RFC3339), settle), false
	}
	if in.StabilizationDelay <= 0 {
		return "", "", true
	}
	// Every member, not only the one restarted last: measured on real 3.0.3, both peers of a
	// member that rejoined failed readiness for a few seconds, and a restart right after they
	// recovered would have met the next blip.
	for _, m := range in.Members {
		if !m.ReadySince.IsZero() && in.Now.Sub(m.ReadySince) < in.StabilizationDelay {
			return m.Name, fmt.Sprintf("%s has been Ready since %s; waiting %s before the next restart", m.Name,
				m.ReadySince.UTC().Format(time.RFC3339), in.StabilizationDelay), false
		}
	}
	return "", "", true
}

// restartedByThisRollout is the address of the member restarted last, or "" when it was
// scaled away or belongs to an earlier rollout (it is outdated again).
func restartedByThisRollout(in Input) string {
	if in.Last.Member == "" {
		return ""
	}
	for _, m := range in.Members {
		if m.Name == in.Last.Member && (m.Revision == "" || m.Revision == in.UpdateRevision) {
			return m.Address
		}
	}
	return ""
}

// peerSeesRejoined returns why peer m does not yet see the restarted member back, or "".
func peerSeesRejoined(in Input, m Member, address string) string {
	for _, v := range m.View {
		if v.Address != address {
			continue
		}
		switch {
		case v.State != "UP":
			return fmt.Sprintf("%s sees %s %s", m.Name, in.Last.Member, v.State)
		case in.TargetVersion != "" && v.Version != in.TargetVersion:
			return fmt.Sprintf("%s sees %s at version %q, want %s", m.Name, in.Last.Member, v.Version, in.TargetVersion)
		case !v.LastRefreshTime.After(in.Last.At):
			return fmt.Sprintf("%s has not heard from %s since its restart", m.Name, in.Last.Member)
		}
		return ""
	}
	return fmt.Sprintf("%s does not list %s", m.Name, in.Last.Member)
}

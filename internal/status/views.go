package status

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// membershipCondition checks every member's own view: exactly the desired addresses, all UP.
func membershipCondition(obs observe.Observation, desired []string, standalone bool) Condition {
	var mismatch, unhealthy []string
	for _, m := range obs.Members {
		if problem(m) != "" {
			mismatch = append(mismatch, problem(m))
			continue
		}
		mm, uh := viewFindings(m, desired, standalone)
		mismatch, unhealthy = append(mismatch, mm...), append(unhealthy, uh...)
	}
	switch {
	case len(mismatch) > 0:
		return Condition{nacosv1alpha1.ConditionMembershipConsistent, metav1.ConditionFalse, nacosv1alpha1.ReasonMembershipMismatch, strings.Join(mismatch, "; ")}
	case len(unhealthy) > 0:
		return Condition{nacosv1alpha1.ConditionMembershipConsistent, metav1.ConditionFalse, nacosv1alpha1.ReasonPeersUnhealthy, strings.Join(unhealthy, "; ")}
	}
	return Condition{nacosv1alpha1.ConditionMembershipConsistent, metav1.ConditionTrue, nacosv1alpha1.ReasonMembershipConsistent,
		fmt.Sprintf("Every member lists the same %d members, all UP.", len(desired))}
}

// viewFindings compares one member's own member list with the desired set: addresses it
// lists that are not desired (a phantom self or a removed peer), desired ones it lacks, and
// peers it sees SUSPICIOUS or DOWN.
func viewFindings(m observe.Member, desired []string, standalone bool) (mismatch, unhealthy []string) {
	want := map[string]bool{}
	for _, a := range desired {
		want[a] = true
	}
	seen := map[string]bool{}
	for _, v := range m.View {
		seen[v.Address] = true
		switch {
		case !want[v.Address]:
			mismatch = append(mismatch, fmt.Sprintf("%s lists %s, which is not a desired member", m.Name, v.Address))
		case v.State != "UP":
			// failAccessCnt is left out: it grows every probe and would rewrite status each pass.
			unhealthy = append(unhealthy, fmt.Sprintf("%s sees %s %s", m.Name, resource.PodName(v.Address), v.State))
		}
	}
	if !standalone {
		for _, a := range desired {
			if !seen[a] {
				mismatch = append(mismatch, fmt.Sprintf("%s does not list %s", m.Name, resource.PodName(a)))
			}
		}
	}
	return mismatch, unhealthy
}

// raftCondition: every group has one leader all members agree on, and its peers are the
// desired members. Nacos never removes a published leader, so agreement alone is not proof:
// readiness ("config not in readiness") and naming status cover a leader that is gone.
func raftCondition(obs observe.Observation, desired []string, standalone bool) Condition {
	if standalone {
		return Condition{nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionTrue, nacosv1alpha1.ReasonNotApplicable, "Standalone mode: no Raft peers."}
	}
	wantPeers := make([]string, 0, len(desired))
	for _, a := range desired {
		wantPeers = append(wantPeers, resource.RaftAddress(a))
	}
	sort.Strings(wantPeers)
	leaders, peerProblems := collectRaft(obs, strings.Join(wantPeers, ","))
	groups := make([]string, 0, len(leaders))
	for g := range leaders {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var noLeader []string
	for _, m := range obs.Members {
		if problem(m) == "" && strings.HasPrefix(m.Naming.Message, noLeaderMessage) {
			noLeader = append(noLeader, m.Name+": "+m.Naming.Message)
		}
	}
	for _, g := range groups {
		if _, none := leaders[g][""]; none || len(leaders[g]) != 1 {
			noLeader = append(noLeader, fmt.Sprintf("group %s: members disagree or see no leader (%v)", g, leaders[g]))
		}
	}
	switch {
	case len(groups) == 0:
		return Condition{nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionUnknown, nacosv1alpha1.ReasonMembersUnreachable, "No member published Raft metadata yet."}
	case len(noLeader) > 0:
		return Condition{nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionFalse, nacosv1alpha1.ReasonNoRaftLeader, strings.Join(noLeader, "; ")}
	case len(peerProblems) > 0:
		return Condition{nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionFalse, nacosv1alpha1.ReasonRaftPeersMismatch, strings.Join(peerProblems, "; ")}
	}
	return Condition{nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionTrue, nacosv1alpha1.ReasonLeaderElected,
		fmt.Sprintf("All %d Raft groups have an agreed leader.", len(groups))}
}

// collectRaft reads every reachable member's own Raft metadata: group -> leader -> the
// members that say so, and the groups whose peers differ from wantPeers or report an error.
func collectRaft(obs observe.Observation, wantPeers string) (map[string]map[string][]string, []string) {
	leaders := map[string]map[string][]string{}
	var problems []string
	for _, m := range obs.Members {
		self, ok := selfView(m)
		if !ok {
			continue
		}
		groups := make([]string, 0, len(self.Raft))
		for g := range self.Raft {
			groups = append(groups, g)
		}
		sort.Strings(groups) // stable messages
		for _, g := range groups {
			rg := self.Raft[g]
			if leaders[g] == nil {
				leaders[g] = map[string][]string{}
			}
			leaders[g][rg.Leader] = append(leaders[g][rg.Leader], m.Name)
			peers := append([]string(nil), rg.Members...)
			sort.Strings(peers)
			if strings.Join(peers, ",") != wantPeers {
				problems = append(problems, fmt.Sprintf("%s: group %s has peers %v, want %s", m.Name, g, peers, wantPeers))
			}
			if rg.ErrMsg != "" {
				problems = append(problems, fmt.Sprintf("%s: group %s: %s", m.Name, g, rg.ErrMsg))
			}
		}
	}
	return leaders, problems
}

// selfView is a reachable member's entry for itself in its own member list.
func selfView(m observe.Member) (nacos.Member, bool) {
	if problem(m) != "" {
		return nacos.Member{}, false
	}
	for _, v := range m.View {
		if v.Address == m.Address {
			return v, true
		}
	}
	return nacos.Member{}, false
}

// versionLess compares dotted versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

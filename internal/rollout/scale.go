package rollout

import (
	"fmt"
	"slices"
	"sort"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// ScaleInput are the facts of a scale decision.
type ScaleInput struct {
	Desired int32 // spec.replicas
	Current int32 // StatefulSet replicas now (0: no StatefulSet yet)
	InConf  int32 // members in the cluster.conf the operator rendered last (0: none yet)
	// Health is the planner's gate check over the current members (Decision of Plan with no
	// outdated member filtered out): the first failing gate, or "" when healthy.
	HealthGate, HealthMessage string
	// LeavingListed says whether a remaining member still lists the leaving member, in its
	// member list or in a Raft group.
	LeavingListed string
}

// ScaleDecision says how many members the StatefulSet runs and cluster.conf lists.
type ScaleDecision struct {
	StatefulSet, Conf int32
	Reason            string // ScalingUp, ScalingDown or "" when steady
	Gate, Message     string // why a scale-down step waits
}

// Scale decides one step. Up: at once (new members join; running ones get the new list
// live). Down: one member at a time, highest ordinal first, only while the cluster is healthy:
// first drop it from cluster.conf, then, once no remaining member lists it (member list and
// Raft groups), shrink the StatefulSet.
func Scale(in ScaleInput) ScaleDecision {
	switch {
	case in.Current == 0 || in.Desired >= in.Current:
		d := ScaleDecision{StatefulSet: in.Desired, Conf: in.Desired}
		if in.Current != 0 && in.Desired > in.Current {
			d.Reason = nacosv1alpha1.ReasonScalingUp
		}
		return d
	case in.InConf >= in.Current: // no step in progress: start one if healthy
		if in.HealthGate != "" {
			return ScaleDecision{StatefulSet: in.Current, Conf: in.Current, Reason: nacosv1alpha1.ReasonScalingDown, Gate: in.HealthGate,
				Message: fmt.Sprintf("scale-down from %d to %d waits for a healthy cluster: %s", in.Current, in.Desired, in.HealthMessage)}
		}
		return ScaleDecision{StatefulSet: in.Current, Conf: in.Current - 1, Reason: nacosv1alpha1.ReasonScalingDown,
			Gate: GateMemberLeaving, Message: fmt.Sprintf("removing member %d from cluster.conf before its pod", in.Current-1)}
	case in.LeavingListed != "":
		return ScaleDecision{StatefulSet: in.Current, Conf: in.Current - 1, Reason: nacosv1alpha1.ReasonScalingDown, Gate: GateMemberLeaving,
			Message: in.LeavingListed}
	}
	return ScaleDecision{StatefulSet: in.Current - 1, Conf: in.Current - 1, Reason: nacosv1alpha1.ReasonScalingDown,
		Message: fmt.Sprintf("member %d left every view; shrinking the StatefulSet to %d", in.Current-1, in.Current-1)}
}

// GateMemberLeaving is the reason a scale-down waits until no remaining member lists the leaving one.
const GateMemberLeaving = "MemberStillListed"

// LeavingListed reports a remaining member that still lists the leaving address, in its
// member list or as a Raft peer, or "" when none does.
func LeavingListed(members []Member, leaving string) string {
	for _, m := range members {
		if !m.Reachable || len(m.View) == 0 {
			return fmt.Sprintf("%s cannot be asked whether it still lists the leaving member %s", m.Name, leaving)
		}
		for _, v := range m.View {
			if v.Address == leaving {
				return fmt.Sprintf("%s still lists the leaving member %s", m.Name, leaving)
			}
			if v.Address == m.Address {
				if g := groupListing(v.Raft, resource.RaftAddress(leaving)); g != "" {
					return fmt.Sprintf("%s still has the leaving member in Raft group %s", m.Name, g)
				}
			}
		}
	}
	return ""
}

// groupListing is a Raft group (in sorted order) that lists peer, or "".
func groupListing(groups map[string]nacos.RaftGroup, peer string) string {
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		if slices.Contains(groups[g].Members, peer) {
			return g
		}
	}
	return ""
}

// Health runs every gate over members without any rollout logic: the first failing gate and
// its message, or "" when the cluster is healthy (a member restarted last must have rejoined).
func Health(in Input) (gate, message string) {
	for _, g := range gates {
		if _, msg, ok := g.check(in); !ok {
			return g.name, msg
		}
	}
	return "", ""
}

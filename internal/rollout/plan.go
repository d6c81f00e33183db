package rollout

import (
	"fmt"
	"sort"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Plan decides the next step of a rolling restart (see the package comment).
func Plan(in Input) Decision {
	if in.UpdateRevision == "" {
		return Decision{Action: ActionWait, Gate: nacosv1alpha1.GateCacheNotInSync, Message: "the StatefulSet has no update revision yet"}
	}
	outdated := outdatedMembers(in)
	d := Decision{Outdated: names(outdated), Finishing: len(outdated) == 0 && (restartedByThisRollout(in) != "" || isCachedLast(in))}
	// Until the StatefulSet controller has seen the latest template, "no pod outdated" means
	// nothing: right after a spec change the old revision is still the update revision.
	if member, msg, ok := cacheInSync(in); !ok {
		return wait(d, nacosv1alpha1.GateCacheNotInSync, member, msg, in)
	}
	if len(outdated) == 0 {
		return finish(in)
	}
	if in.Paused {
		return wait(d, nacosv1alpha1.GateRolloutPaused, "", fmt.Sprintf("rollout paused; %d members wait for a restart", len(outdated)), in)
	}
	if stuck, ok := stuckMember(in, outdated); ok {
		// Even a stuck member waits for the cache and for the member restarted before it.
		for _, g := range []gate{gates[0], gates[1], gates[len(gates)-2]} {
			if member, msg, ok := g.check(in); !ok && !in.SkipGates[g.name] {
				return wait(d, g.name, member, msg, in)
			}
		}
		d.Action, d.Member, d.UID, d.Forced = ActionDelete, stuck.Name, stuck.UID, true
		d.Message = fmt.Sprintf("%s is stuck (%s) on an old revision; replacing it without the health gates", stuck.Name, stuckReason(stuck))
		return d
	}
	for _, g := range gates {
		if in.SkipGates[g.name] {
			continue
		}
		if member, msg, ok := g.check(in); !ok {
			return wait(d, g.name, member, msg, in)
		}
	}
	next := order(outdated)[0]
	if target, ok := transferTarget(in, next); ok {
		d.Action, d.Member, d.Target = ActionTransfer, next.Name, resource.RaftAddress(target.Address)
		d.Message = fmt.Sprintf("moving Raft leadership from %s to %s before restarting it", next.Name, target.Name)
		return d
	}
	d.Action, d.Member, d.UID = ActionDelete, next.Name, next.UID
	d.Message = fmt.Sprintf("restarting %s (revision %s -> %s)", next.Name, next.Revision, in.UpdateRevision)
	return d
}

// finish: with no member left to restart, the rollout is over only once the member restarted
// last is back (every gate but Stabilizing, which only spaces restarts). Without this the
// last member's deletion, which leaves no pod outdated, would read as the rollout's end.
func finish(in Input) Decision {
	if restartedByThisRollout(in) != "" {
		for _, g := range gates[:len(gates)-1] {
			if member, msg, ok := g.check(in); !ok && !in.SkipGates[g.name] {
				return wait(Decision{Finishing: true}, g.name, member, msg, in)
			}
		}
	}
	return Decision{Action: ActionNone, Message: "every member runs the update revision"}
}

func isCachedLast(in Input) bool {
	_, ok := cachedLast(in)
	return ok
}

func wait(d Decision, gate, member, msg string, in Input) Decision {
	d.Action, d.Gate, d.Member, d.Message = ActionWait, gate, member, msg
	if in.Last.Member != "" && in.MemberReadyTimeout > 0 && in.Now.Sub(in.Last.At) > in.MemberReadyTimeout && !rejoined(in) {
		d.Deadline = true
	}
	return d
}

func rejoined(in Input) bool {
	_, _, ok := previousMemberRejoined(in)
	if !ok {
		return false
	}
	for _, m := range in.Members {
		if m.Name == in.Last.Member && m.Revision == in.UpdateRevision {
			return m.KubeReady && m.NacosReady && m.NamingUP
		}
	}
	return true // not restarted by this rollout: no deadline runs for it
}

func outdatedMembers(in Input) []Member {
	var out []Member
	for _, m := range in.Members {
		if m.Exists && !m.Terminating && m.Revision != "" && m.Revision != in.UpdateRevision {
			out = append(out, m)
		}
	}
	return out
}

// stuckMember: an outdated pod that cannot become ready by itself, replaced only while every
// other member is up.
func stuckMember(in Input, outdated []Member) (Member, bool) {
	for _, m := range outdated {
		// CrashLoopBackOff is definitive; Pending or never Ready gets StuckTimeout first. A
		// member still in its startup probe's budget is slow, not stuck: the kubelet restarts
		// it if the budget runs out, and replacing it would only start its wait again.
		if stuckReason(m) == "" || m.Starting && !m.CrashLoop ||
			(!m.CrashLoop && in.StuckTimeout > 0 && in.Now.Sub(notReadySince(m)) < in.StuckTimeout) {
			continue
		}
		othersUp := true
		for _, o := range in.Members {
			if o.Name != m.Name && (!o.KubeReady || !o.NacosReady || o.Terminating) {
				othersUp = false
			}
		}
		if othersUp {
			return m, true
		}
	}
	return Member{}, false
}

func notReadySince(m Member) time.Time {
	if !m.NotReadySince.IsZero() {
		return m.NotReadySince
	}
	return m.CreatedAt
}

func stuckReason(m Member) string {
	switch {
	case m.CrashLoop:
		return "CrashLoopBackOff"
	case m.Pending:
		return "Pending"
	case !m.KubeReady:
		return "never Ready"
	}
	return ""
}

// transferTarget: when enabled and the next member leads Raft groups, the member to hand
// leadership to: an up-to-date one if any (it will not restart again), lowest ordinal first.
func transferTarget(in Input, next Member) (Member, bool) {
	if !in.TransferLeadership || leads(next) == 0 {
		return Member{}, false
	}
	var best Member
	found := false
	for _, m := range in.Members {
		if m.Name == next.Name {
			continue
		}
		better := !found || (m.Revision == in.UpdateRevision && best.Revision != in.UpdateRevision)
		if better {
			best, found = m, true
		}
	}
	return best, found
}

// order: highest ordinal first, the member leading the most Raft groups last.
func order(outdated []Member) []Member {
	out := append([]Member(nil), outdated...)
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := leads(out[i]), leads(out[j])
		if li != lj {
			return li < lj
		}
		return out[i].Ordinal > out[j].Ordinal
	})
	return out
}

// leads counts the Raft groups a member reports leading in its own view.
func leads(m Member) int {
	n := 0
	for _, v := range m.View {
		if v.Address != m.Address {
			continue
		}
		for _, rg := range v.Raft {
			if rg.Leader == resource.RaftAddress(m.Address) {
				n++
			}
		}
	}
	return n
}

func names(ms []Member) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

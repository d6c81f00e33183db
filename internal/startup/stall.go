// Package startup recognises a member stalled in Nacos's own start-up and decides the one
// harmless action that frees it. It is pure: observed facts in, a decision out.
//
// Measured on real 2.5.1 members with embedded storage (docs/real-nacos.md): a cluster member
// can stay in "Nacos is starting..." forever, port 8848 closed, its main thread parked in
// EmbeddedDumpService.init. That method subscribes to the nacos_config group's leader
// metadata and waits for the next announcement; JRaft announces a leader only when it
// changes (onLeaderStart, onStartFollowing), and a member that joins a group whose leader is
// already elected can be told before it subscribes. Nothing announces it again until the
// leader changes, so the member waits for an event that already happened. The kubelet would
// restart it after the whole startup budget, and the restart can miss the event again.
// Moving the nacos_config leadership to another member is a new announcement: every member
// hears it, the stalled one dumps its config and opens its port. The transfer costs config
// writes about a second and restarts nothing, so it is safe even when the member is merely slow.
package startup

import (
	"fmt"
	"slices"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// ConfigGroup is the Raft group whose leader the config module waits for at start-up.
const ConfigGroup = "nacos_config"

// StallAfter is how long a member may start before a missed announcement is assumed, and
// the wait between nudges. A real 2.5.1 member opens its port 55-90 s after its JVM starts
// (measured here on 2 cores with three JVMs starting at once); a guess that is too early
// costs only a leadership transfer, and the next nudge comes StallAfter later.
const StallAfter = 2 * time.Minute

// MaxNudges bounds the transfers per pod: a nudge that came before the member listened is
// wasted, so a second one follows; a member still stalled after that has another cause
// (the diagnosis says so) and is left to its startup probe.
const MaxNudges = 2

// Settle is how long after any nudge no other is made: one leader change is heard by every
// member of the group, so a second stalled member may be freed by the first one's nudge,
// and a transfer made while another is under way can be lost.
const Settle = 30 * time.Second

// Record is what start-up recovery did for one pod name. Nudges count for one incarnation
// (UID); restarts count across incarnations until the member starts.
type Record struct {
	UID         string // the incarnation the nudges were for
	Nudges      int
	LastNudge   time.Time
	Restarts    int
	LastRestart time.Time
	// RaftOpenSince is when the incarnation's Raft port was first seen open in the current
	// unbroken run of passes that saw it open (zero: closed or not asked).
	RaftOpenSince time.Time
}

// For is the record as it applies to incarnation uid: a new pod starts with no nudges.
func (r Record) For(uid string) Record {
	if r.UID != uid {
		r.UID, r.Nudges, r.LastNudge, r.RaftOpenSince = uid, 0, time.Time{}, time.Time{}
	}
	return r
}

// last is the time of the record's latest action.
func (r Record) last() time.Time {
	if r.LastRestart.After(r.LastNudge) {
		return r.LastRestart
	}
	return r.LastNudge
}

// Member is what stall detection knows of one member.
type Member struct {
	Name, UID   string
	RaftAddress string    // host:7848
	Starting    bool      // the container runs and has not passed its startup probe
	StartedAt   time.Time // the container's start
	Reachable   bool      // its Nacos API answered this pass
	Terminating bool      // its pod is being deleted: going, not stalled
	RaftOpen    bool      // its Raft port accepted the operator's connection this pass
	View        []nacos.Member
	SelfAddress string // its cluster.conf address, to find its own entry in View
}

// Leader is the nacos_config group as a reachable member reports it.
type Leader struct {
	Reporter string   // the member that reported it (asked to transfer)
	Leader   string   // host:7848
	Peers    []string // the group's raftGroupMember
}

// ConfigLeader returns the nacos_config leader the reachable members report, if any.
func ConfigLeader(members []Member) (Leader, bool) {
	for _, m := range members {
		if !m.Reachable {
			continue
		}
		for _, v := range m.View {
			if v.Address != m.SelfAddress {
				continue
			}
			if g, ok := v.Raft[ConfigGroup]; ok && g.Leader != "" {
				return Leader{Reporter: m.Name, Leader: g.Leader, Peers: g.Members}, true
			}
		}
	}
	return Leader{}, false
}

// Stalled reports whether m waits for an announcement it missed: still starting after
// after (StallAfter when zero) while a reachable peer reports a nacos_config leader whose
// group lists m.
func Stalled(now time.Time, after time.Duration, m Member, leader Leader, found bool) bool {
	if after <= 0 {
		after = StallAfter
	}
	return found && m.Starting && !m.Reachable && !m.Terminating && !m.StartedAt.IsZero() &&
		now.Sub(m.StartedAt) >= after && slices.Contains(leader.Peers, m.RaftAddress)
}

// Kind is the start-up recovery action.
type Kind int

// The actions, None first (the zero Action does nothing).
const (
	None    Kind = iota // nothing to do
	Nudge               // move nacos_config leadership so a stalled member hears a leader
	Restart             // delete the pod of a member deadlocked in start-up
)

// Action is the one start-up recovery action of a pass.
type Action struct {
	Kind        Kind
	Member, UID string // the stalled member
	Via         string // Nudge: the reachable member asked to transfer
	Target      string // Nudge: the new leader's Raft address
	Message     string
}

// Input is one pass's facts; Records is by pod name.
type Input struct {
	Now        time.Time
	StallAfter time.Duration // StallAfter when zero
	Members    []Member
	Records    map[string]Record
	// LastAction is the cluster's last nudge or restart: kept apart from the records, which
	// go when their member starts, so the freed member's nudge still spaces the next one.
	LastAction time.Time
}

// Decide returns the action for the first stalled member due one, none within Settle of the
// cluster's last action: a restart for a member Deadlocked with restarts left, else a nudge
// for one never nudged, or nudged fewer than MaxNudges times and last more than StallAfter ago.
func Decide(in Input) Action {
	leader, found := ConfigLeader(in.Members)
	after := in.StallAfter
	if after <= 0 {
		after = StallAfter
	}
	if in.Now.Sub(in.LastAction) < min(Settle, after) {
		return Action{}
	}
	for _, done := range in.Records {
		if in.Now.Sub(done.last()) < min(Settle, after) {
			return Action{}
		}
	}
	for _, m := range in.Members {
		done := in.Records[m.Name].For(m.UID)
		if !Stalled(in.Now, after, m, leader, found) {
			continue
		}
		if Deadlocked(in.Now, after, m, done) {
			// Its JRaft server runs, so it may still vote: restart it only while every
			// other member answers, so no Raft group loses its majority for it.
			if done.Restarts >= MaxRestarts || !othersReachable(in.Members, m.Name) {
				continue
			}
			return Action{Kind: Restart, Member: m.Name, UID: m.UID,
				Message: fmt.Sprintf("%s has kept port 8848 closed since %s, and a new %s leader (announced at %s) did not free it while its Raft port accepts connections: Nacos is deadlocked in start-up, which only a restart clears, so its pod is deleted (restart %d of %d)",
					m.Name, m.StartedAt.UTC().Format(time.RFC3339), ConfigGroup, done.LastNudge.UTC().Format(time.RFC3339), done.Restarts+1, MaxRestarts)}
		}
		if done.Nudges >= MaxNudges || done.Nudges > 0 && in.Now.Sub(done.LastNudge) < after {
			continue
		}
		target := transferTarget(in.Members, leader, m)
		return Action{Kind: Nudge, Member: m.Name, UID: m.UID, Via: leader.Reporter, Target: target,
			Message: fmt.Sprintf("%s has been starting since %s while Raft group %s has leader %s; Nacos can miss a leader elected before it listened, so leadership moves to %s to announce one again",
				m.Name, m.StartedAt.UTC().Format(time.RFC3339), ConfigGroup, leader.Leader, target)}
	}
	return Action{}
}

// Apply returns the record after action a was taken at now.
func Apply(r Record, a Action, now time.Time) Record {
	r = r.For(a.UID)
	switch a.Kind {
	case Nudge:
		r.Nudges, r.LastNudge = r.Nudges+1, now
	case Restart:
		r.Restarts, r.LastRestart = r.Restarts+1, now
	}
	return r
}

// transferTarget prefers a reachable member that does not lead, so the stalled member
// follows a new leader; failing that, the stalled member itself becomes the leader (which
// announces as well).
func transferTarget(members []Member, leader Leader, stalled Member) string {
	for _, m := range members {
		if m.Reachable && m.RaftAddress != leader.Leader && m.Name != stalled.Name && slices.Contains(leader.Peers, m.RaftAddress) {
			return m.RaftAddress
		}
	}
	return stalled.RaftAddress
}

func othersReachable(members []Member, name string) bool {
	for _, o := range members {
		if o.Name != name && !o.Reachable {
			return false
		}
	}
	return true
}

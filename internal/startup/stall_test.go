package startup

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// cluster is three members: n-0 leads nacos_config, n-2 started at started and is still
// starting with its port closed.
func cluster(started time.Time) []Member {
	raft := map[string]nacos.RaftGroup{ConfigGroup: {Leader: "n-0:7848", Members: []string{"n-0:7848", "n-1:7848", "n-2:7848"}}}
	view := func(self string) []nacos.Member {
		return []nacos.Member{{Address: self + ":8848", State: nacos.MemberUp, Raft: raft}}
	}
	return []Member{
		{Name: "n-0", UID: "u0", RaftAddress: "n-0:7848", SelfAddress: "n-0:8848", Reachable: true, View: view("n-0")},
		{Name: "n-1", UID: "u1", RaftAddress: "n-1:7848", SelfAddress: "n-1:8848", Reachable: true, View: view("n-1")},
		{Name: "n-2", UID: "u2", RaftAddress: "n-2:7848", SelfAddress: "n-2:8848", Starting: true, StartedAt: started},
	}
}

func TestDecideNudgesAStalledMemberOnceThroughAReachablePeer(t *testing.T) {
	cases := []struct {
		name   string
		in     Input
		nudge  bool
		target string
	}{
		{name: "starting for less than the stall time: wait", in: Input{Now: t0, Members: cluster(t0.Add(-StallAfter + time.Second))}},
		{name: "stalled: leadership moves to the member that does not lead", in: Input{Now: t0, Members: cluster(t0.Add(-StallAfter))}, nudge: true, target: "n-1:7848"},
		{name: "nudged less than the stall time ago: wait", in: Input{Now: t0, Members: cluster(t0.Add(-time.Hour)), Records: map[string]Record{"n-2": {UID: "u2", Nudges: 1, LastNudge: t0.Add(-StallAfter + time.Second)}}}},
		{name: "nudged once, long ago, still stalled: a second nudge", in: Input{Now: t0, Members: cluster(t0.Add(-time.Hour)), Records: map[string]Record{"n-2": {UID: "u2", Nudges: 1, LastNudge: t0.Add(-StallAfter)}}}, nudge: true, target: "n-1:7848"},
		{name: "another member nudged within Settle: wait, that nudge may free this one too", in: Input{Now: t0, Members: cluster(t0.Add(-time.Hour)), Records: map[string]Record{"n-1": {UID: "u1", Nudges: 1, LastNudge: t0.Add(-Settle + time.Second)}}}},
		{name: "another member nudged Settle ago: this one's turn", in: Input{Now: t0, Members: cluster(t0.Add(-time.Hour)), Records: map[string]Record{"n-1": {UID: "u1", Nudges: 1, LastNudge: t0.Add(-Settle)}}}, nudge: true, target: "n-1:7848"},
		{name: "nudged MaxNudges times: left to the startup probe", in: Input{Now: t0, Members: cluster(t0.Add(-time.Hour)), Records: map[string]Record{"n-2": {UID: "u2", Nudges: MaxNudges, LastNudge: t0.Add(-time.Hour)}}}},
		{name: "the nudges were for an earlier pod of the name: the new one is nudged", in: Input{Now: t0, Members: cluster(t0.Add(-StallAfter)), Records: map[string]Record{"n-2": {UID: "old", Nudges: MaxNudges, LastNudge: t0.Add(-time.Hour)}}}, nudge: true, target: "n-1:7848"},
		{name: "a shorter stall time from the caller", in: Input{Now: t0, StallAfter: 10 * time.Second, Members: cluster(t0.Add(-10 * time.Second))}, nudge: true, target: "n-1:7848"},
		{name: "no reachable member reports a leader: nothing to announce", in: func() Input {
			ms := cluster(t0.Add(-time.Hour))
			ms[0].Reachable, ms[1].Reachable = false, false
			return Input{Now: t0, Members: ms}
		}()},
		{name: "the group does not list the member: not this cause", in: func() Input {
			ms := cluster(t0.Add(-time.Hour))
			for _, i := range []int{0, 1} {
				ms[i].View[0].Raft = map[string]nacos.RaftGroup{ConfigGroup: {Leader: "n-0:7848", Members: []string{"n-0:7848", "n-1:7848"}}}
			}
			return Input{Now: t0, Members: ms}
		}()},
		{name: "only the leader reachable: the stalled member becomes leader", in: func() Input {
			ms := cluster(t0.Add(-time.Hour))
			ms[1].Reachable = false
			return Input{Now: t0, Members: ms}
		}(), nudge: true, target: "n-2:7848"},
		{name: "a member that answers is not stalled", in: func() Input {
			ms := cluster(t0.Add(-time.Hour))
			ms[2].Reachable = true
			return Input{Now: t0, Members: ms}
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := Decide(tc.in)
			if ok := n.Kind == Nudge; ok != tc.nudge {
				t.Fatalf("nudge %v (%+v), want %v", ok, n, tc.nudge)
			}
			if !tc.nudge {
				if n.Kind != None {
					t.Fatalf("action %+v, want none", n)
				}
				return
			}
			if n.Member != "n-2" || n.UID != "u2" || n.Target != tc.target || n.Via == "" {
				t.Fatalf("nudge %+v, want n-2 (u2) moved to %s via a reachable member", n, tc.target)
			}
			for _, want := range []string{"n-2 has been starting since", "Raft group nacos_config has leader n-0:7848", "moves to " + tc.target} {
				if !strings.Contains(n.Message, want) {
					t.Fatalf("message %q lacks %q", n.Message, want)
				}
			}
		})
	}
}

// deadlocked is cluster() with n-2 nudged at nudged and its Raft port as given.
func deadlocked(nudged time.Time, raftOpen bool, restarts int) Input {
	ms := cluster(t0.Add(-time.Hour))
	ms[2].RaftOpen = raftOpen
	rec := Record{UID: "u2", Nudges: 1, LastNudge: nudged, Restarts: restarts, LastRestart: t0.Add(-time.Hour)}
	if raftOpen {
		rec.RaftOpenSince = t0.Add(-time.Hour)
	}
	return Input{Now: t0, Members: ms, Records: map[string]Record{"n-2": rec}}
}

func TestDecideRestartsAMemberANudgeDidNotFreeWhileItsRaftPortAnswers(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		want Kind
	}{
		{name: "nudged less than NudgeGrace(0) ago: wait for it to open", in: deadlocked(t0.Add(-NudgeGrace(0)+time.Second), true, 0), want: None},
		{name: "nudged NudgeGrace(0) ago, Raft port answers: restart", in: deadlocked(t0.Add(-NudgeGrace(0)), true, 0), want: Restart},
		{name: "restarted once already (an earlier pod): a second restart", in: deadlocked(t0.Add(-NudgeGrace(0)), true, 1), want: Restart},
		{name: "MaxRestarts reached: left to the startup probe", in: deadlocked(t0.Add(-time.Hour), true, MaxRestarts), want: None},
		{name: "Raft port closed to the operator too: not a deadlock, a second nudge once due", in: deadlocked(t0.Add(-StallAfter), false, 0), want: Nudge},
		{name: "Raft port closed, nudged within StallAfter: wait", in: deadlocked(t0.Add(-NudgeGrace(0)), false, 0), want: None},
		{name: "Raft port open only since less than NudgeGrace (a healed network): no restart; a nudge it can hear now", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			r := in.Records["n-2"]
			r.RaftOpenSince = t0.Add(-NudgeGrace(0) + time.Second)
			in.Records["n-2"] = r
			return in
		}(), want: Nudge},
		{name: "no leader reported any more: not stalled, nothing to do", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			in.Members[0].Reachable, in.Members[1].Reachable = false, false
			return in
		}(), want: None},
		{name: "another member down: no restart, the deadlocked JVM may still be needed for a Raft majority", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			in.Members[1].Reachable = false
			return in
		}(), want: None},
		{name: "its pod is terminating: going, not stalled", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			in.Members[2].Terminating = true
			return in
		}(), want: None},
		{name: "the cluster's last action within Settle, its record gone with its started member: wait", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			in.LastAction = t0.Add(-Settle + time.Second)
			return in
		}(), want: None},
		{name: "a restart of another member within Settle: wait", in: func() Input {
			in := deadlocked(t0.Add(-time.Hour), true, 0)
			in.Records["n-1"] = Record{UID: "u1", Restarts: 1, LastRestart: t0.Add(-Settle + time.Second)}
			return in
		}(), want: None},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := Decide(tc.in)
			if a.Kind != tc.want {
				t.Fatalf("action %+v, want kind %d", a, tc.want)
			}
			if a.Kind != Restart {
				return
			}
			restarts := tc.in.Records["n-2"].Restarts
			for _, want := range []string{"n-2 has kept port 8848 closed since", "did not free it while its Raft port accepts connections", "deadlocked in start-up",
				fmt.Sprintf("restart %d of %d", restarts+1, MaxRestarts)} {
				if !strings.Contains(a.Message, want) {
					t.Fatalf("message %q lacks %q", a.Message, want)
				}
			}
			if a.Member != "n-2" || a.UID != "u2" {
				t.Fatalf("restart %+v, want n-2 (u2)", a)
			}
		})
	}
}

func TestApplyCountsNudgesPerPodAndRestartsPerName(t *testing.T) {
	r := Apply(Record{}, Action{Kind: Nudge, UID: "a"}, t0)
	r = Apply(r, Action{Kind: Restart, UID: "a"}, t0.Add(time.Minute))
	r = Apply(r, Action{Kind: Nudge, UID: "b"}, t0.Add(2*time.Minute))
	want := Record{UID: "b", Nudges: 1, LastNudge: t0.Add(2 * time.Minute), Restarts: 1, LastRestart: t0.Add(time.Minute)}
	if r != want {
		t.Fatalf("record %+v, want %+v", r, want)
	}
}

func TestObserveTracksHowLongTheRaftPortHasAnswered(t *testing.T) {
	m := Member{Name: "n-2", UID: "u2", RaftOpen: true}
	r := Observe(Record{}, m, t0)
	r = Observe(r, m, t0.Add(time.Minute))
	if r.RaftOpenSince != t0 || r.UID != "u2" {
		t.Fatalf("open at two passes: %+v, want open since the first", r)
	}
	m.RaftOpen = false
	if r = Observe(r, m, t0.Add(2*time.Minute)); !r.RaftOpenSince.IsZero() {
		t.Fatalf("closed: %+v, want no open-since", r)
	}
	m.RaftOpen, m.UID = true, "u3"
	r.Nudges = 2
	if r = Observe(r, m, t0.Add(3*time.Minute)); r.RaftOpenSince != t0.Add(3*time.Minute) || r.Nudges != 0 || r.UID != "u3" {
		t.Fatalf("a new pod: %+v, want its own open-since and no nudges", r)
	}
}

package fidelity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

// TestRealServer is the live lane (make test-nacos): real members of each version are put
// through every state, recorded, and compared with the simulator in the same state. With
// NACOS_RECORD=1 the records replace internal/nacos/testdata/real-<version>/, which make test
// replays. NACOS_VERSIONS narrows the versions.
func TestRealServer(t *testing.T) {
	if os.Getenv("NACOS_REAL") == "" {
		t.Skip("the real-Nacos lane runs with `make test-nacos` (needs root and hack/nacos-server.sh)")
	}
	versions := Versions
	if v := strings.Fields(os.Getenv("NACOS_VERSIONS")); len(v) > 0 {
		versions = v
	}
	network, err := realnacos.NewNetwork("nacosrt", 213)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(network.Close)
	t.Cleanup(func() {
		for _, line := range mismatches.all() {
			t.Log(line)
		}
	})
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			if _, err := realnacos.ServerDir(v); err != nil {
				t.Fatal(err)
			}
			root, err := os.MkdirTemp("", "nacos-real-"+v+"-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(root) }) // after the logs are printed
			l := &liveRun{t: t, version: v, major: Major(v), runner: &realnacos.Runner{Net: network}, saved: map[string]Saved{}, root: root}
			// Cleanups run last-registered first: the members' logs, then the journal of
			// waits and recoveries, so the last lines of a failed run (all a CI report may
			// keep) say which wait failed and what was tried.
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("journal of %s:\n  %s", v, strings.Join(l.journal, "\n  "))
				}
			})
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(l.runner.Logs(4000))
				}
			})
			l.solo()
			l.cluster()
			dir := t.TempDir()
			if os.Getenv("NACOS_RECORD") != "" {
				dir = FixtureDir(v)
				_ = os.RemoveAll(dir)
			}
			for _, st := range States() {
				s, ok := l.saved[st.Name]
				if !ok {
					t.Errorf("state %s was not reached", st.Name)
					continue
				}
				if err := s.Save(dir); err != nil {
					t.Fatalf("save %s: %v", st.Name, err)
				}
				t.Run(st.Name, func(t *testing.T) { compareWithSimulator(t, v, s) })
			}
			t.Logf("records of %s in %s", v, dir)
		})
	}
}

type liveRun struct {
	t       *testing.T
	version string
	major   int
	runner  *realnacos.Runner
	pods    *Pods
	saved   map[string]Saved
	root    string
	start   time.Time
	journal []string // what each wait took and what recovery did, printed last on failure
}

// note logs a line and keeps it, stamped with the seconds since the version's run began.
func (l *liveRun) note(format string, args ...any) {
	if l.start.IsZero() {
		l.start = time.Now()
	}
	line := fmt.Sprintf("%4.0fs ", time.Since(l.start).Seconds()) + fmt.Sprintf(format, args...)
	l.journal = append(l.journal, line)
	l.t.Log(line)
}

func (l *liveRun) newPods(cluster string) *Pods {
	p, err := NewPods(ClusterSpec(cluster, l.version), l.runner, filepath.Join(l.root, cluster), l.runner.Net.AllocateIP)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(p.Close)
	l.pods = p
	return p
}

// record probes the state's member and keeps the record, with notes.
func (l *liveRun) record(name string, notes ...string) Record {
	st, _ := StateNamed(name)
	ctx := l.t.Context()
	rec, err := Probe(ctx, l.pods.Dial(st.Member), l.major, st.Cred)
	if err != nil {
		l.t.Fatal(err)
	}
	s := Saved{State: name, Doc: st.Doc, Version: l.version, View: rec.View, Answers: rec.Answers, Login: rec.Login, Notes: map[string]string{}}
	for i := 0; i+1 < len(notes); i += 2 {
		s.Notes[notes[i]] = notes[i+1]
	}
	l.saved[name] = s
	l.t.Logf("%s: %+v", name, rec.View)
	return rec
}

// waitFor polls cond every second until it holds or the deadline passes.
func (l *liveRun) waitFor(what string, d time.Duration, cond func(ctx context.Context) bool) time.Duration {
	l.t.Helper()
	start := time.Now()
	err := harness.Eventually(l.t.Context(), d, func(ctx context.Context) (bool, error) {
		return cond(ctx), fmt.Errorf("%s", what)
	})
	if err != nil {
		l.note("FAILED: %s: not within %s", what, d)
		l.t.FailNow()
	}
	l.note("%s: %.0f s", what, time.Since(start).Seconds())
	return time.Since(start)
}

func (l *liveRun) solo() {
	p := l.newPods("solo")
	if _, err := p.Start(0); err != nil {
		l.t.Fatal(err)
	}
	took := l.waitFor("standalone member ready", 4*time.Minute, l.pods.Ready(0))
	l.record("standalone", "readyAfter", secs(took))
	l.record("auth-none")
	a := InitAdmin(l.t.Context(), p.Dial(0), l.major, AdminPassword)
	if a.Status != 200 {
		l.t.Fatalf("init admin: %+v", a)
	}
	l.record("auth-login", "initAdmin", fmt.Sprintf("%d %s", a.Status, redactToken(a.Body)))
	l.record("auth-wrong-password")
	p.Close()
}

func (l *liveRun) cluster() {
	p := l.newPods("nacos")
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := p.Start(i); err != nil {
			l.t.Fatal(err)
		}
	}
	l.record("cluster-starting")
	open := l.startedDespiteHang(0, coldStartWithin, p.Answers(0))
	l.record("cluster-loading", "apiOpenAfter", secs(open))
	for i := 0; i < 3; i++ {
		l.startedDespiteHang(i, coldStartWithin, l.pods.Ready(i))
	}
	l.waitFor("member 0's list settled", 2*time.Minute, p.Settled(0))
	l.record("cluster-healthy", "apiOpenAfter", secs(open), "allReadyAfter", secs(time.Since(start)))

	p.Stop(2)
	down := l.waitFor("member 0 lists member 2 DOWN", 2*time.Minute, l.pods.Lists(0, 2, "DOWN"))
	l.record("peer-stopped", "downAfter", secs(down))

	took := l.restart(2, l.pods.Ready(2), l.pods.Lists(0, 2, "UP"), l.pods.Settled(2))
	l.record("peer-restarted", "readyAfter", secs(took))

	l.runner.DropAtStart(p.NC.Namespace, p.PodName(2), 9849)
	p.Stop(2)
	start = time.Now()
	if _, err := p.Start(2); err != nil {
		l.t.Fatal(err)
	}
	opened := l.waitFor("member 2 answers behind the 9849 drop", 5*time.Minute, p.Answers(2))
	l.holds("member 2 stays not ready behind the 9849 drop", 30*time.Second, func(ctx context.Context) bool { return !p.Ready(2)(ctx) })
	l.record("distro-blocked", "apiOpenAfter", secs(opened), "observedFor", secs(time.Since(start)))
	l.record("distro-blocked-peer")
	if err := l.member(2).Heal(); err != nil {
		l.t.Fatal(err)
	}
	healed := l.waitFor("member 2 ready once healed", 5*time.Minute, l.pods.Ready(2))
	l.waitFor("member 2's list settled once healed", 2*time.Minute, p.Settled(2))
	l.record("distro-healed", "readyAfterHeal", secs(healed))

	l.runner.DropAtStart(p.NC.Namespace, p.PodName(2), 9849, 7848)
	p.Stop(2)
	if _, err := p.Start(2); err != nil {
		l.t.Fatal(err)
	}
	l.runner.DropAtStart(p.NC.Namespace, p.PodName(2))
	l.holds("member 2's API stays closed behind the 9849 and 7848 drops", 90*time.Second, func(ctx context.Context) bool {
		return !p.Answers(2)(ctx)
	})
	l.record("raft-blocked", "observedFor", "90")
	if err := l.member(2).Heal(); err != nil {
		l.t.Fatal(err)
	}
	// Once the drops are lifted the member may still not start: measured on real 2.5.1
	// (2026-12-04), a member that had been cut from 7848 and 9849 since its start logged
	// "Failed to join the cluster, retry..." and kept its port closed for the whole 8
	// minutes after the heal, its nacos_config votes timing out. The operator's start-up
	// recovery (a nudge, then a restart) is what frees it, so the wait does the same.
	healed = l.startedDespiteHang(2, 8*time.Minute, l.pods.Ready(2))
	l.waitFor("member 2's list settled once both drops are lifted", 2*time.Minute, p.Settled(2))
	l.record("raft-healed", "readyAfterHeal", secs(healed))
}

// coldStartWithin bounds a cold start's wait for one member: room for a stall, its nudges and
// a restart (RestartStalledAfter), then a second stall and its deadlock restart. A CI run's
// 3.0.3 cold start once used all of the 10 minutes this was before.
const coldStartWithin = 12 * time.Minute

// startedDespiteHang waits for cond on a member that is starting, nudging or restarting a
// stalled one as the operator would (Pods.StartedDespiteStall).
func (l *liveRun) startedDespiteHang(ordinal int, d time.Duration, cond func(ctx context.Context) bool) time.Duration {
	l.t.Helper()
	took, _, err := l.pods.StartedDespiteStall(l.t.Context(), ordinal, d, cond, l.note)
	if err != nil {
		l.note("FAILED: start-up: %v", err)
		l.t.FailNow()
	}
	l.note("start-up: member %d there after %.0f s", ordinal, took.Seconds())
	return took
}

func (l *liveRun) member(ordinal int) *realnacos.Member {
	return l.pods.Member(ordinal).(*realnacos.Member)
}

func (l *liveRun) restart(ordinal int, conds ...func(context.Context) bool) time.Duration {
	l.pods.Stop(ordinal)
	start := time.Now()
	if _, err := l.pods.Start(ordinal); err != nil {
		l.t.Fatal(err)
	}
	for _, c := range conds {
		l.waitFor(fmt.Sprintf("member %d back", ordinal), 6*time.Minute, c)
	}
	return time.Since(start)
}

// holds fails unless cond stays true for the whole window (an observation, checked every
// second, not a wait for something to happen).
func (l *liveRun) holds(what string, window time.Duration, cond func(context.Context) bool) {
	l.t.Helper()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for end := time.Now().Add(window); time.Now().Before(end); <-tick.C {
		if !cond(l.t.Context()) {
			l.note("FAILED: %s: no longer so after %s", what, window-time.Until(end))
			l.t.FailNow()
		}
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.0f", d.Seconds()) }

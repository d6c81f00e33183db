package fidelity

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// simDriver puts simulated members, configured from the same NacosCluster as the real ones,
// in a state. Periods are fast; what the real server takes a minute for takes milliseconds.
type simDriver struct {
	version string
	major   int
	root    string
	pods    *Pods

	mu          sync.Mutex
	faults      map[string]sim.Faults // pod name -> faults it starts with
	startDelay  time.Duration         // sim.Config.StartDelay of every member
	reportDelay time.Duration         // sim.Periods.ReportDelay of every member (0: fast)
	statusDelay time.Duration         // sim.Periods.StatusUpdate of every member (0: fast)
}

var loopback struct {
	sync.Mutex
	next int
}

// loopbackIP hands out 127.79.x.y addresses, like pod IPs, distinct across drivers.
func loopbackIP() string {
	loopback.Lock()
	defer loopback.Unlock()
	loopback.next++
	return harness.PodIP("127.79.", loopback.next)
}

func newSimDriver(version, root string) *simDriver {
	return &simDriver{version: version, major: Major(version), root: root, faults: map[string]sim.Faults{}}
}

func (d *simDriver) start(cluster string) error {
	runner := harness.SimRunner{
		Faults: func(p harness.PodRun) sim.Faults {
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.faults[p.Name]
		},
		Configure: func(_ harness.PodRun, c *sim.Config) {
			d.mu.Lock()
			defer d.mu.Unlock()
			c.StartDelay = d.startDelay
			if d.reportDelay > 0 {
				c.Periods.ReportDelay = d.reportDelay
			}
			if d.statusDelay > 0 {
				c.Periods.StatusUpdate = d.statusDelay
			}
		},
	}
	p, err := NewPods(ClusterSpec(cluster, d.version), runner, filepath.Join(d.root, cluster), loopbackIP)
	if err != nil {
		return err
	}
	d.pods = p
	for i := 0; i < int(p.NC.Spec.Replicas); i++ {
		if _, err := p.Start(i); err != nil {
			return err
		}
	}
	return nil
}

func (d *simDriver) member(ordinal int) *sim.Member { return d.pods.Member(ordinal).(*sim.Member) }

// restartWith restarts a member with the faults it starts with (none: clean).
func (d *simDriver) restartWith(ordinal int, f sim.Faults) error {
	d.mu.Lock()
	d.faults[d.pods.PodName(ordinal)] = f
	d.mu.Unlock()
	_, err := d.pods.Start(ordinal)
	return err
}

func (d *simDriver) wait(ctx context.Context, what string, cond func(context.Context) bool) error {
	err := harness.Eventually(ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
		return cond(ctx), nil
	})
	if err != nil {
		return fmt.Errorf("simulator: %s: %w", what, err)
	}
	return nil
}

// ready, listed and answers read d.pods when they are asked: the paths are built before the
// pods exist.
func (d *simDriver) ready(i int) func(context.Context) bool {
	return func(ctx context.Context) bool { return d.pods.Ready(i)(ctx) }
}

func (d *simDriver) listed(from, i int, state string) func(context.Context) bool {
	return func(ctx context.Context) bool { return d.pods.Lists(from, i, state)(ctx) }
}

func (d *simDriver) answers(i int) func(context.Context) bool {
	return func(ctx context.Context) bool { return d.pods.Answers(i)(ctx) }
}

func (d *simDriver) allReady(ctx context.Context) error {
	for i := 0; i < 3; i++ {
		if err := d.wait(ctx, fmt.Sprintf("member %d ready", i), d.ready(i)); err != nil {
			return err
		}
	}
	return nil
}

// step is one action or wait on the way to a state.
type step func(ctx context.Context) error

// reach brings a fresh simulated cluster to the state's outcome (Outcomes), step by step.
func (d *simDriver) reach(ctx context.Context, outcome string) error {
	steps, ok := d.paths()[outcome]
	if !ok {
		return fmt.Errorf("simulator: no way to reach %s", outcome)
	}
	for _, s := range steps {
		if err := s(ctx); err != nil {
			return err
		}
	}
	return nil
}

// paths lists, per state, what the simulator does to get there; each path mirrors what the
// live scenario (real_test.go) does to the real members.
func (d *simDriver) paths() map[string][]step {
	solo := []step{d.do(func() error { return d.start("solo") }), d.until("standalone ready", d.ready(0))}
	withAdmin := append(append([]step(nil), solo...), d.initAdmin)
	healthy := []step{d.do(func() error { return d.start("nacos") }), d.allReady}
	stopped := append(append([]step(nil), healthy...), d.do(func() error { d.pods.Stop(2); return nil }),
		d.until("member 0 lists member 2 DOWN", d.listed(0, 2, "DOWN")))
	distro := append(append([]step(nil), healthy...), d.restart(2, sim.Faults{PeerPartition: true}),
		d.until("member 0 lists member 2 DOWN", d.listed(0, 2, "DOWN")),
		d.until("member 2 answers behind the partition", d.answers(2)),
		// The real member was observed for 30 s more: by then it lists both peers DOWN.
		d.until("member 2 lists its peers DOWN", func(ctx context.Context) bool {
			return d.listed(2, 0, "DOWN")(ctx) && d.listed(2, 1, "DOWN")(ctx)
		}))
	raft := append(append([]step(nil), healthy...), d.restart(2, sim.Faults{PeerPartition: true, RaftPartition: true}))
	heal := []step{d.do(func() error { d.member(2).SetFaults(sim.Faults{}); return nil }), d.until("member 2 ready once healed", d.ready(2))}
	return map[string][]step{
		"standalone": solo, "auth-none": solo, "auth-login": withAdmin, "auth-wrong-password": withAdmin,
		// The real member's port stays closed for its first minute.
		"cluster-starting": {d.do(func() error { return d.startDelayed(time.Minute) })},
		"cluster-loading":  {d.startLoading},
		// The other outcomes of the race (Outcomes): member 0 opened late enough to have
		// exchanged member reports, to have loaded Distro before its naming status was
		// refreshed (every 5 s), or to be ready.
		"cluster-loading:reported": {d.startLoadingReported},
		"cluster-loading:loaded-unrefreshed": {d.do(func() error { d.statusDelay = time.Minute; return d.start("nacos") }),
			d.until("member 0 loaded Distro", func(context.Context) bool { return d.member(0).DistroInitialized() })},
		"cluster-loading:loaded": {d.do(func() error { return d.start("nacos") }), d.until("member 0 ready", d.ready(0))},
		"cluster-healthy":        healthy,
		"peer-stopped":           stopped,
		"peer-restarted": append(append([]step(nil), stopped...), d.restart(2, sim.Faults{}),
			d.until("member 2 back", func(ctx context.Context) bool { return d.ready(2)(ctx) && d.listed(0, 2, "UP")(ctx) })),
		"distro-blocked":      distro,
		"distro-blocked-peer": distro,
		"distro-healed":       append(append([]step(nil), distro...), heal...),
		"raft-blocked":        raft,
		"raft-healed":         append(append([]step(nil), raft...), heal...),
	}
}

func (d *simDriver) do(fn func() error) step { return func(context.Context) error { return fn() } }

func (d *simDriver) until(what string, cond func(context.Context) bool) step {
	return func(ctx context.Context) error { return d.wait(ctx, what, cond) }
}

func (d *simDriver) restart(ordinal int, f sim.Faults) step {
	return func(context.Context) error { return d.restartWith(ordinal, f) }
}

func (d *simDriver) initAdmin(ctx context.Context) error {
	if a := InitAdmin(ctx, d.pods.Dial(0), d.major, AdminPassword); a.Status != 200 {
		return fmt.Errorf("simulator: init admin: %+v", a)
	}
	return nil
}

// startDelayed starts the cluster with every member's port closed for d.
func (d *simDriver) startDelayed(delay time.Duration) error {
	d.startDelay = delay
	return d.start("nacos")
}

// startLoading starts the cluster with member 0 answering but its Distro data not loaded,
// as a real member is for 15-25 s after its port opens; no member has reported to another
// yet (the real report task starts 5 s after the web server).
func (d *simDriver) startLoading(ctx context.Context) error {
	d.faults["nacos-0"] = sim.Faults{DistroStuck: true} // before the pods exist: the "nacos" cluster's member 0
	d.reportDelay = time.Minute
	if err := d.start("nacos"); err != nil {
		return err
	}
	return d.wait(ctx, "member 0 answers", d.answers(0))
}

// startLoadingReported is startLoading with member reports at their normal pace: member 0
// has not loaded Distro but already lists both peers with their versions.
func (d *simDriver) startLoadingReported(ctx context.Context) error {
	d.faults["nacos-0"] = sim.Faults{DistroStuck: true}
	if err := d.start("nacos"); err != nil {
		return err
	}
	return d.wait(ctx, "member 0 lists its peers with versions", func(ctx context.Context) bool {
		members, err := d.pods.Client(0).Members(ctx)
		if err != nil || len(members) != 3 {
			return false
		}
		for _, m := range members {
			if m.Version == "" {
				return false
			}
		}
		return true
	})
}

// SimRecord runs the call sequence against simulated members in one outcome of a state
// (Outcomes; the state's name for the state itself).
func SimRecord(ctx context.Context, version, root string, st State, outcome string) (Saved, error) {
	d := newSimDriver(version, root)
	defer func() {
		if d.pods != nil {
			d.pods.Close()
		}
	}()
	if err := d.reach(ctx, outcome); err != nil {
		return Saved{}, err
	}
	rec, err := Probe(ctx, d.pods.Dial(st.Member), d.major, st.Cred)
	return Saved{State: st.Name, Version: version, View: rec.View, Answers: rec.Answers, Login: rec.Login}, err
}

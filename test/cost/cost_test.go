// Package cost measures what the operator binary costs (make bench): memory, CPU, API
// requests and Nacos calls while idle with 1, 10 and 100 clusters, memory in a namespace
// full of other Pods and Secrets, and apply-to-Ready as a ratio to the members' own start.
// It runs the binary against the sandbox (real control plane, fake kubelet, simulated
// members with Nacos's own periods), one scenario after the other, and reports each figure
// with b.ReportMetric; a missed target fails the benchmark (docs/benchmarks.md).
package cost

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

// periods are Nacos's defaults except the first report and the Distro retry, shortened so
// that 300 members start in minutes; idle cost does not depend on them.
var periods = sim.Periods{ReportDelay: time.Second, Report: 2 * time.Second, UnhealthyProbe: 5 * time.Second,
	StatusUpdate: time.Second, DistroRetryDelay: 5 * time.Second, DistroWaitList: 200 * time.Millisecond,
	ElectionTimeout: 2 * time.Second, PeerTimeout: 3 * time.Second}

// window is how long each idle scenario is measured, after a warm-up of warmup.
const (
	window = 60 * time.Second
	warmup = 30 * time.Second
)

type bed struct {
	box    *sandbox.Sandbox
	binary string
	dir    string
	op     *sandbox.Operator // the running operator, if any
	starts int
}

var (
	once    sync.Once
	shared  *bed
	bootErr error
	results sync.Map // benchmark name -> measured figures, so b.N reruns reuse one measurement
)

// setup starts one sandbox for every scenario; it is stopped when the process exits.
func setup(b *testing.B) *bed {
	b.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		b.Skip("needs the control plane: run make bench")
	}
	once.Do(func() {
		dir, err := os.MkdirTemp("", "nacos-cost-")
		if err != nil {
			bootErr = err
			return
		}
		binary, err := sandbox.BuildOperator(dir)
		if err != nil {
			bootErr = err
			return
		}
		box, err := sandbox.Start(sandbox.Options{Dir: filepath.Join(dir, "sandbox"), Periods: periods})
		if err != nil {
			bootErr = err
			return
		}
		shared = &bed{box: box, binary: binary, dir: dir}
	})
	if bootErr != nil {
		b.Fatal(bootErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if shared.op != nil {
			_ = shared.op.Stop()
		}
		_ = shared.box.Stop()
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// measured runs measure once per benchmark name and reports its figures on every b.N run.
func measured(b *testing.B, measure func(b *testing.B) map[string]float64) {
	b.Helper()
	v, ok := results.Load(b.Name())
	if !ok {
		v = measure(b)
		results.Store(b.Name(), v)
	}
	for unit, x := range v.(map[string]float64) {
		b.ReportMetric(x, unit)
	}
}

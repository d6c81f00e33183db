package harness

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// slowMember answers its liveness path only after start+delay (a JVM still starting),
// and fails it while sick is set.
type slowMember struct {
	srv  *http.Server
	sick *atomic.Bool
}

func (m *slowMember) Stop() { _ = m.srv.Close() }

type slowRunner struct {
	delay  time.Duration
	sick   atomic.Bool
	starts atomic.Int32
	port   atomic.Int32 // of the newest member
}

func (r *slowRunner) Run(p PodRun) (Running, error) {
	r.starts.Add(1)
	l, err := net.Listen("tcp", p.IP+":0")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if time.Since(start) < r.delay || r.sick.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	r.port.Store(int32(l.Addr().(*net.TCPAddr).Port))
	return &slowMember{srv: srv, sick: &r.sick}, nil
}

func container(port int, startupFailures int32) corev1.Container {
	probe := func(failures int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt(port)}},
			PeriodSeconds: 5, TimeoutSeconds: 3, FailureThreshold: failures}
	}
	return corev1.Container{StartupProbe: probe(startupFailures), LivenessProbe: probe(6), ReadinessProbe: probe(3)}
}

// A member slower than the startup budget is restarted with the probe's words; one within it
// is not, and a later liveness failure restarts it.
func TestProbesRestartOnlyPastTheirBudget(t *testing.T) {
	k := &Kubelet{EnforceProbes: true, ProbeScale: 0.01} // 5 s periods become 50 ms
	for _, tc := range []struct {
		name     string
		delay    time.Duration
		failures int32 // startup FailureThreshold: budget 50 ms x failures
		restarts bool
	}{
		{"within the startup budget", 300 * time.Millisecond, 20, false}, // 1 s budget
		{"past the startup budget", 2 * time.Second, 4, true},            // 200 ms budget
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &slowRunner{delay: tc.delay}
			k.Runner = r
			run := PodRun{Name: "nacos-0", IP: "127.0.0.1"}
			m, err := r.Run(run)
			if err != nil {
				t.Fatal(err)
			}
			s := &podState{ip: "127.0.0.1", member: m, enforce: true}
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); s.running().Stop() }()
			go k.runProbes(ctx, s, container(int(r.port.Load()), tc.failures), func(reason string) { k.restartContainer(s, run, reason) })
			err = Eventually(ctx, 5*time.Second, func(context.Context) (bool, error) {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.probes.ready || s.probes.restarts > 0, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n, why := s.restartCount()
			if tc.restarts != (n > 0) {
				t.Fatalf("restarts = %d (%q), want restarted=%v", n, why, tc.restarts)
			}
			if tc.restarts && !strings.HasPrefix(why, "Startup probe failed 4 times in a row: HTTP probe failed with statuscode: 503") {
				t.Fatalf("restart reason %q", why)
			}
			if tc.restarts {
				return
			}
			r.sick.Store(true)
			err = Eventually(ctx, 5*time.Second, func(context.Context) (bool, error) {
				n, _ := s.restartCount()
				return n == 1, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, why := s.restartCount(); !strings.HasPrefix(why, "Liveness probe failed 6 times in a row") {
				t.Fatalf("restart reason %q", why)
			}
		})
	}
}

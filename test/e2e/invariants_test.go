package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// confLag is how long a running member's cluster.conf may differ from the desired members.
const confLag = 10 * time.Second

// watchers are the invariants that run through a scenario:
//   - the rollout recorder: never more than one member unavailable, no deletion while
//     another member is not UP in every view with Distro initialized;
//   - every running member's cluster.conf equals the desired set within confLag.
type watchers struct {
	rec    *harness.Recorder
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	conf   []string // cluster.conf violations
}

func watch(t testing.TB, key types.NamespacedName, replicas int) *watchers {
	t.Helper()
	member := func(pod string) *sim.Member {
		m, _ := box.Kubelet.Member(key.Namespace, pod).(*sim.Member)
		return m
	}
	w := &watchers{done: make(chan struct{})}
	w.rec = harness.StartRecorder(t, box.Env.Config, key.Namespace, replicas, harness.MemberAccess{
		Dial: func(pod string) string {
			if m := member(pod); m != nil {
				return box.Kubelet.Resolve(m.Address())
			}
			return ""
		},
		Distro: func(_ context.Context, pod string) (bool, error) {
			if m := member(pod); m != nil {
				return m.DistroInitialized(), nil
			}
			return false, fmt.Errorf("%s is not running", pod)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.watchConf(ctx, key)
	t.Cleanup(w.stop)
	return w
}

func (w *watchers) stop() {
	w.rec.Stop()
	w.cancel()
	<-w.done
}

// check stops the watchers and fails the test on any violation; it returns the pods the
// scenario deleted, in order.
func (w *watchers) check(t testing.TB) []string {
	t.Helper()
	w.stop()
	deletions, violations := w.rec.Result()
	w.mu.Lock()
	violations = append(violations, w.conf...)
	w.mu.Unlock()
	if len(violations) > 0 {
		t.Fatalf("invariants broken:\n%s\nhistory:\n%s", strings.Join(violations, "\n"), w.rec.HistoryText())
	}
	return deletions
}

func (w *watchers) watchConf(ctx context.Context, key types.NamespacedName) {
	defer close(w.done)
	since := map[string]time.Time{} // pod -> when its file first differed
	reported := map[string]bool{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		nc := &nacosv1alpha1.NacosCluster{}
		pods := &corev1.PodList{}
		if box.Env.Client.Get(ctx, key, nc) != nil ||
			box.Env.Client.List(ctx, pods, client.InNamespace(key.Namespace), client.MatchingLabels{nacosv1alpha1.LabelInstance: key.Name}) != nil {
			continue
		}
		want := resource.MemberAddresses(nc, nc.Spec.Replicas)
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || box.Kubelet.Member(p.Namespace, p.Name) == nil {
				delete(since, p.Name)
				continue
			}
			got := readConf(filepath.Join(box.Kubelet.Root, p.Namespace, p.Name, "home", "conf", resource.ClusterConfKey))
			if slices.Equal(got, want) {
				delete(since, p.Name)
				continue
			}
			if since[p.Name].IsZero() {
				since[p.Name] = time.Now()
			}
			if lag := time.Since(since[p.Name]); lag > confLag && !reported[p.Name] {
				reported[p.Name] = true
				w.mu.Lock()
				w.conf = append(w.conf, fmt.Sprintf("%s: cluster.conf %v differs from the desired %v for %s", p.Name, got, want, lag.Round(time.Second)))
				w.mu.Unlock()
			}
		}
	}
}

// readConf reads a cluster.conf as Nacos does: one member per line, # comments.
func readConf(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// scrape reads the operator's Prometheus metrics, one sample per line.
func scrape(t testing.TB, metricsURL string) []string {
	t.Helper()
	resp, err := http.Get(metricsURL) //nolint:gosec // a loopback URL the test made
	if err != nil {
		t.Fatalf("scrape operator metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return strings.Split(string(body), "\n")
}

func sampleValue(line string) float64 {
	fields := strings.Fields(line)
	v, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
	return v
}

// metric sums the samples of one metric (every label set).
func metric(t testing.TB, metricsURL, name string) float64 {
	var sum float64
	for _, line := range scrape(t, metricsURL) {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			sum += sampleValue(line)
		}
	}
	return sum
}

// apiWrites sums the operator's write requests to the API server so far, from its own
// client-go metrics (rest_client_requests_total by method).
func apiWrites(t testing.TB, metricsURL string) float64 {
	t.Helper()
	var sum float64
	for _, line := range scrape(t, metricsURL) {
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		for _, m := range []string{`method="POST"`, `method="PUT"`, `method="PATCH"`, `method="DELETE"`} {
			if strings.Contains(line, m) {
				sum += sampleValue(line)
			}
		}
	}
	return sum
}

// steadyState asserts the operator writes nothing to the API server over window while its
// clusters stay Ready (leader-election renewals are the one write it must make; replicas
// without --leader-elect make none).
func steadyState(t testing.TB, metricsURL string, window time.Duration) {
	t.Helper()
	before := apiWrites(t, metricsURL)
	time.Sleep(window) // the window measured: nothing to wait for, writes are counted after it
	if after := apiWrites(t, metricsURL); after != before {
		t.Fatalf("%v API writes in %s of steady state, want 0", after-before, window)
	}
}

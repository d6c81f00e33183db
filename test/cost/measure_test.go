package cost

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

// sample is one look at the operator process and what it has done so far.
type sample struct {
	at         time.Time
	rss        float64 // bytes
	cpuTicks   float64 // user + system, in clock ticks
	apiCalls   float64 // rest_client_requests_total, every method
	apiWrites  float64 // ... POST, PUT, PATCH, DELETE
	nacosCalls float64 // requests the simulated members served to the operator
}

// clockTicks is USER_HZ, 100 on every Linux this runs on (/proc/<pid>/stat's unit).
const clockTicks = 100

func (bd *bed) sample(b *testing.B, op *sandbox.Operator, namespaces ...string) sample {
	b.Helper()
	s := sample{at: time.Now()}
	var err error
	if s.rss, s.cpuTicks, err = procStats(op.Pid()); err != nil {
		b.Fatal(err)
	}
	if s.apiCalls, s.apiWrites, err = apiRequests(op.Metrics); err != nil {
		b.Fatal(err)
	}
	s.nacosCalls = bd.nacosCalls(b, namespaces...)
	return s
}

// procStats reads the resident set (VmRSS) and the CPU time used of a process.
func procStats(pid int) (rss, ticks float64, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the operator's /proc status: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			rss = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the operator's /proc stat: %w", err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(rest) < 13 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat: %q", pid, stat)
	}
	utime, _ := strconv.ParseFloat(rest[11], 64)
	stime, _ := strconv.ParseFloat(rest[12], 64)
	return rss, utime + stime, nil
}

// apiRequests sums client-go's request counter from the operator's metrics endpoint: every
// method, and the writes.
func apiRequests(url string) (all, writes float64, err error) {
	sums, err := metricSums(url, "rest_client_requests_total", func(string) bool { return true }, func(labels string) bool {
		for _, m := range []string{`method="POST"`, `method="PUT"`, `method="PATCH"`, `method="DELETE"`} {
			if strings.Contains(labels, m) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return 0, 0, err
	}
	return sums[0], sums[1], nil
}

// metricSums reads one Prometheus text page and adds up, per matcher, the samples of one
// metric whose labels match.
func metricSums(url, name string, matchers ...func(labels string) bool) ([]float64, error) {
	resp, err := http.Get(url) //nolint:noctx,gosec // the operator's local metrics endpoint
	if err != nil {
		return nil, fmt.Errorf("read the operator's metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	sums := make([]float64, len(matchers))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		for k, match := range matchers {
			if match(line[len(name):i]) {
				sums[k] += v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the operator's metrics: %w", err)
	}
	return sums, nil
}

// nacosCalls sums the operator's requests served by the simulated members of the namespaces.
func (bd *bed) nacosCalls(b *testing.B, namespaces ...string) float64 {
	b.Helper()
	total := 0.0
	for _, ns := range namespaces {
		pods := &corev1.PodList{}
		if err := bd.box.Env.Client.List(context.Background(), pods, client.InNamespace(ns),
			client.MatchingLabels{nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue}); err != nil {
			b.Fatal(err)
		}
		for _, p := range pods.Items {
			if m, ok := bd.box.Kubelet.Member(ns, p.Name).(*sim.Member); ok {
				total += float64(m.OperatorCalls())
			}
		}
	}
	return total
}

// idle is a measurement window's figures.
type idle struct {
	maxRSS, cpuShare, apiPerMin, writesPerMin, nacosPerMin float64
}

// observe samples the operator every second for d and returns the window's figures.
func (bd *bed) observe(b *testing.B, op *sandbox.Operator, d time.Duration, namespaces ...string) idle {
	b.Helper()
	first := bd.sample(b, op, namespaces...)
	if first.apiCalls == 0 {
		b.Fatalf("the operator's metrics have no rest_client_requests_total: API requests cannot be counted")
	}
	last, peak := first, first.rss
	for time.Since(first.at) < d {
		time.Sleep(time.Second) // the sampling interval of a fixed measurement window
		last = bd.sample(b, op, namespaces...)
		peak = max(peak, last.rss)
	}
	minutes := last.at.Sub(first.at).Minutes()
	return idle{
		maxRSS:       peak,
		cpuShare:     (last.cpuTicks - first.cpuTicks) / clockTicks / last.at.Sub(first.at).Seconds(),
		apiPerMin:    (last.apiCalls - first.apiCalls) / minutes,
		writesPerMin: (last.apiWrites - first.apiWrites) / minutes,
		nacosPerMin:  (last.nacosCalls - first.nacosCalls) / minutes,
	}
}

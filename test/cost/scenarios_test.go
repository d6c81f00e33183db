package cost

import (
	"fmt"
	"testing"
	"time"
)

const mib = 1 << 20

// BenchmarkCost runs the scenarios in order on one sandbox: idle with 1 cluster, the same
// with 10,000 unrelated objects, idle with 10 and 100 clusters, then apply-to-Ready.
func BenchmarkCost(b *testing.B) {
	bd := setup(b)
	b.Run("idle-1", func(b *testing.B) { measured(b, func(b *testing.B) map[string]float64 { return bd.idleWith(b, 1) }) })
	b.Run("unrelated-objects", func(b *testing.B) { measured(b, bd.unrelatedObjects) })
	b.Run("idle-10", func(b *testing.B) { measured(b, func(b *testing.B) map[string]float64 { return bd.idleWith(b, 10) }) })
	b.Run("idle-100", func(b *testing.B) { measured(b, func(b *testing.B) map[string]float64 { return bd.idleWith(b, 100) }) })
	b.Run("apply-to-ready-1", func(b *testing.B) {
		measured(b, func(b *testing.B) map[string]float64 { return bd.applyToReady(b, 1) })
	})
	b.Run("apply-to-ready-50", func(b *testing.B) {
		measured(b, func(b *testing.B) map[string]float64 { return bd.applyToReady(b, 50) })
	})
}

// idleWith grows the idle namespace to n clusters of 3 members, restarts the operator so
// its memory is that of this load alone, and measures a window after a warm-up.
func (bd *bed) idleWith(b *testing.B, n int) map[string]float64 {
	op := bd.operator(b)
	bd.clusters(b, idleNS, n)
	bd.waitReady(b, idleNS, n, time.Duration(n)*6*time.Second+2*time.Minute)
	_ = op.Stop()
	bd.op = nil
	op = bd.operator(b)
	bd.waitReconciledBy(b, op, idleNS, n)
	time.Sleep(warmup) // a fixed warm-up before a fixed measurement window, not a synchronisation
	w := bd.observe(b, op, window, idleNS)
	if n == 100 {
		profile(b, 30*time.Second)
	}
	out := map[string]float64{
		"MiB-rss": w.maxRSS / mib, "%-core": 100 * w.cpuShare, "api-req/min": w.apiPerMin,
		"api-writes/min": w.writesPerMin, "nacos-calls/min": w.nacosPerMin,
		"nacos-calls/min/member": w.nacosPerMin / float64(3*n),
	}
	b.Logf("%d clusters x 3 members, idle for %s: %.1f MiB RSS, %.2f%% of a core, %.1f API requests/min (%.1f writes), %.1f Nacos calls/min",
		n, window, w.maxRSS/mib, 100*w.cpuShare, w.apiPerMin, w.writesPerMin, w.nacosPerMin)
	if w.writesPerMin > 0 {
		b.Errorf("%d idle clusters: %.1f API writes per minute, want 0 in steady state", n, w.writesPerMin)
	}
	if n == 100 && (w.maxRSS > 150*mib || w.cpuShare > 0.05) {
		b.Errorf("100 idle clusters: %.1f MiB and %.2f%% of a core; targets < 150 MiB and < 5%%", w.maxRSS/mib, 100*w.cpuShare)
	}
	return out
}

// unrelatedObjects measures a fresh operator with one cluster before and after 5,000 Pods
// and 5,000 Secrets that are not its own land in the same namespace: its cache holds only
// what it owns, so memory must stay within 10%.
func (bd *bed) unrelatedObjects(b *testing.B) map[string]float64 {
	bd.clusters(b, idleNS, 1)
	before := bd.freshOperatorRSS(b)
	start := time.Now()
	bd.unrelated(b, idleNS, 5000)
	b.Logf("created 5,000 Pods and 5,000 Secrets in %.1f s", time.Since(start).Seconds())
	after := bd.freshOperatorRSS(b)
	ratio := after / before
	b.Logf("operator RSS with one cluster: %.1f MiB alone, %.1f MiB among 10,000 unrelated objects (x%.3f)", before/mib, after/mib, ratio)
	if ratio > 1.10 {
		b.Errorf("RSS grew x%.3f with unrelated objects; target within 10%%", ratio)
	}
	return map[string]float64{"MiB-rss-alone": before / mib, "MiB-rss-among-10k": after / mib, "x-rss": ratio}
}

func (bd *bed) freshOperatorRSS(b *testing.B) float64 {
	b.Helper()
	if bd.op != nil {
		_ = bd.op.Stop()
		bd.op = nil
	}
	op := bd.operator(b)
	bd.waitReconciledBy(b, op, idleNS, 1)
	time.Sleep(warmup) // as in idleWith: a fixed warm-up before measuring
	return bd.observe(b, op, 15*time.Second, idleNS).maxRSS
}

// applyToReady removes the idle clusters, then times n new clusters from creation to Ready,
// as a ratio to the time three simulated members with the same periods take by themselves.
func (bd *bed) applyToReady(b *testing.B, n int) map[string]float64 {
	bd.operator(b)
	bd.removeClusters(b, idleNS)
	bare := bareStart(b)
	ns := fmt.Sprintf("apply-%d", n)
	start := time.Now()
	bd.clusters(b, ns, n)
	bd.waitReady(b, ns, n, time.Duration(n)*6*time.Second+2*time.Minute)
	took := time.Since(start)
	b.Logf("%d clusters x 3 members: Ready %.1f s after creation; 3 members started by hand: %.1f s (x%.2f)",
		n, took.Seconds(), bare.Seconds(), took.Seconds()/bare.Seconds())
	return map[string]float64{"s-to-ready": took.Seconds(), "s-bare-start": bare.Seconds(), "x-bare-start": took.Seconds() / bare.Seconds()}
}

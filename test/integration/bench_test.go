package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkRolloutOverhead measures what the operator adds to a rolling restart: the total
// rollout time minus the time the members themselves spent restarting (pod recreated until
// Ready), per member. The rest is the operator's deciding and the StatefulSet controller's
// pod replacement; the target is under 2 s per member, driven by events, not fixed polls.
func BenchmarkRolloutOverhead(b *testing.B) {
	for _, n := range []int{3, 5} {
		b.Run(fmt.Sprintf("%d members", n), func(b *testing.B) {
			var overhead time.Duration
			for i := 0; i < b.N; i++ {
				overhead += rolloutOverhead(b, n, i)
			}
			b.ReportMetric(overhead.Seconds()/float64(b.N*n), "s-overhead/member")
		})
	}
}

func rolloutOverhead(b *testing.B, n, i int) time.Duration {
	b.Helper()
	b.StopTimer()
	var t testing.TB = b
	stop := startOperatorUntil(t)
	defer stop()
	ns := namespace(t)
	key := sizedCluster(t, ns, n, externalMySQL)
	rec := startRecorder(t, ns, n)
	image := fmt.Sprintf("nacos/nacos-server:v2.5.1-bench%d", i)
	b.StartTimer()
	start := time.Now()
	setImage(t, key, image)
	rolledOut(t, key, n, image)
	total := time.Since(start)
	b.StopTimer()
	rec.Stop()
	return total - memberRestartTime(rec.HistoryText())
}

// memberRestartTime sums, over the recorder's history, the time from each new pod being
// added until it became Ready: the members' own restart time, not the operator's.
func memberRestartTime(history string) time.Duration {
	added := map[string]time.Time{}
	var sum time.Duration
	for _, line := range strings.Split(history, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		at, err := time.Parse("15:04:05.000", f[0])
		if err != nil {
			continue
		}
		uid := f[3]
		switch {
		case f[1] == "ADDED":
			added[uid] = at
		case strings.HasSuffix(line, "ready=true deleting=false"):
			if t0, ok := added[uid]; ok {
				sum += at.Sub(t0)
				delete(added, uid)
			}
		}
	}
	return sum
}

package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// TestFakeClockDrivesThePeriods: with an injected fake clock nothing periodic happens until
// the test moves time, so timing-sensitive behaviour (Distro's 30s retry) is tested exactly.
func TestFakeClockDrivesThePeriods(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	home := t.TempDir()
	must(t, WriteClusterConf(home, []string{"127.0.26.1:8848"}))
	m, err := New(Config{Version: "2.5.1", Address: "127.0.26.1:8848", Home: home, Warmup: true, Clock: fc})
	must(t, err)
	must(t, m.Start())
	t.Cleanup(m.Stop)
	waits := func() int {
		n := 0
		for _, l := range m.Log() {
			if strings.Contains(l, "waiting server list init") {
				n++
			}
		}
		return n
	}
	eventually(t, 5*time.Second, "first wait, at start", func() error {
		if waits() != 1 {
			return fmt.Errorf("%d waits", waits())
		}
		return nil
	})
	// Move fake time one period at a time until three more waits happened.
	eventually(t, 5*time.Second, "waits follow fake time", func() error {
		fc.Step(time.Second) // the default DistroWaitList period
		if waits() < 4 {
			return fmt.Errorf("%d waits", waits())
		}
		return nil
	})
	// Each wait is stamped with fake time, at least one period after the previous one:
	// the period is measured on the injected clock, not the wall clock.
	var stamps []time.Time
	for _, l := range m.Log() {
		if strings.Contains(l, "waiting server list init") {
			ts, err := time.Parse(time.RFC3339Nano, strings.Fields(l)[0])
			must(t, err)
			stamps = append(stamps, ts)
		}
	}
	for i := 1; i < len(stamps); i++ {
		if gap := stamps[i].Sub(stamps[i-1]); gap < time.Second || gap%time.Second != 0 {
			t.Fatalf("wait %d came %s after the previous one; want whole fake periods", i, gap)
		}
	}
	if !stamps[0].Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("first wait at %s, want the fake start time", stamps[0])
	}
}

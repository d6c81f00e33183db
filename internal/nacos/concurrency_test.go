package nacos

import (
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// TestConcurrentUse shares one client between goroutines while the token expires
// under them; run with -race.
func TestConcurrentUse(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := testingclock.NewFakePassiveClock(start)
	srv := newFakeNacos(t, scenario3())
	c := srv.client(Options{Clock: clk, Auth: Auth{Username: "nacos", Password: "pw-race"}})
	ctx := t.Context()

	const workers, rounds, steps = 8, 15, 10
	errs := make(chan error, workers*rounds*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if _, err := c.Members(ctx); err != nil {
					errs <- err
				}
				if _, err := c.Self(ctx); err != nil {
					errs <- err
				}
				if _, err := c.Readiness(ctx); err != nil {
					errs <- err
				}
				if _, err := c.NamingStatus(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for i := range steps {
			clk.SetTime(start.Add(time.Duration(i+1) * time.Hour))
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	// The clock moves 10 h with a token reused for 4.5 h: each expiry costs one
	// login however many goroutines need the token at once.
	if n := len(srv.requests(pathLogin3)); n < 1 || n > 3 {
		t.Errorf("%d logins, want 1 to 3", n)
	}
	// Concurrent first calls may each detect the version, but no more than that.
	if n := len(srv.requests(pathState3)); n < 1 || n > workers {
		t.Errorf("%d detections, want 1 to %d", n, workers)
	}
	if major, err := c.Major(ctx); err != nil || major != 3 {
		t.Errorf("Major = %d, %v", major, err)
	}
}

func TestPoolConcurrentFor(t *testing.T) {
	p := NewPool(Options{})
	got := make([]*Client, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = p.For("nacos-0:8848", Auth{}) })
	}
	wg.Wait()
	for _, c := range got {
		if c != got[0] {
			t.Fatalf("For returned different clients for one address")
		}
	}
}

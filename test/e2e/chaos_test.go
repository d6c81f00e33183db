package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

// rolloutSpec is the sample's rollout (leadership handed over before the leader restarts:
// without it the election briefly fails the other members' readiness, seen here as two
// members unavailable) without the stabilization pause, so a run measures the gates and the
// kills rather than a fixed wait.
const rolloutSpec = `rollout: {stabilizationDelay: 0s, transferRaftLeadership: true}`

// seeds are the runs of TestOperatorKilledMidRollout: 20 by default, E2E_SEED=n replays one.
func seeds(t *testing.T) []uint64 {
	if s := os.Getenv("E2E_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("E2E_SEED=%q: %v", s, err)
		}
		return []uint64{n}
	}
	out := make([]uint64, 20)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// onceEach fails unless every member was deleted exactly once: a rollout that an operator
// restart made repeat would delete some twice.
func onceEach(t testing.TB, deletions []string, n int) {
	t.Helper()
	sorted := slices.Sorted(slices.Values(deletions))
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("nacos-%d", i)
	}
	if !slices.Equal(sorted, want) {
		t.Fatalf("members deleted %v, want each of %v once", deletions, want)
	}
}

// TestOperatorKilledMidRollout SIGKILLs the operator binary at seeded random points of a
// rolling restart and starts it again at once: the new process must pick the rollout up
// where the cluster is, never restart a member twice, never break an invariant. Each run
// has its own namespace and operator (--watch-namespaces), so runs go in parallel.
func TestOperatorKilledMidRollout(t *testing.T) {
	for _, seed := range seeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			ns := namespace(t)
			name := fmt.Sprintf("killed-%d", seed)
			op := startOperator(t, name, "--watch-namespaces="+ns)
			key := createCluster(t, ns, "nacos", 3, rolloutSpec)
			w := watch(t, key, 3)
			at := restart(t, key)
			kills := 1 + rng.IntN(3)
			var pauses []string
			for range kills {
				pause := time.Duration(rng.IntN(6000)) * time.Millisecond
				// The kill point itself is the seeded input, not a synchronisation.
				time.Sleep(pause)
				if err := op.Kill(); err != nil {
					t.Fatal(err)
				}
				pauses = append(pauses, pause.String())
				op = startOperator(t, name, "--watch-namespaces="+ns)
			}
			t.Logf("seed %d: operator killed %d times, after %s (replay: E2E_SEED=%d make test-e2e)", seed, kills, strings.Join(pauses, ", "), seed)
			// 4 runs share 2 cores with the rest of the package: room for a slow one.
			rolledOut(t, key, 3, at, 3*time.Minute)
			onceEach(t, w.check(t), 3)
		})
	}
}

// TestLeaderFailoverMidRollout runs two replicas with leader election and kills the leader
// once the rollout has restarted a member: the other replica takes the lease and finishes
// the rollout, restarting no member twice.
func TestLeaderFailoverMidRollout(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	ns := namespace(t)
	flags := []string{"--leader-elect", "--leader-election-namespace=" + ns, "--watch-namespaces=" + ns}
	a := startOperator(t, "replica-a", flags...)
	b := startOperator(t, "replica-b", flags...)
	key := createCluster(t, ns, "nacos", 3, rolloutSpec)
	leader, follower := leaderOf(t, a, b)
	w := watch(t, key, 3)
	at := restart(t, key)
	firstDeletion(t, w)
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rolledOut(t, key, 3, at, 2*time.Minute)
	onceEach(t, w.check(t), 3)
	if metric(t, follower.Metrics, "leader_election_master_status") != 1 {
		t.Fatalf("%s finished the rollout without holding the lease", follower.Name)
	}
	t.Logf("%s killed; %s took over and finished the rollout in %s", leader.Name, follower.Name, time.Since(start).Round(100*time.Millisecond))
}

// leaderOf waits until one of the replicas holds the lease, by its own
// leader_election_master_status metric.
func leaderOf(t testing.TB, ops ...*sandbox.Operator) (leader, other *sandbox.Operator) {
	t.Helper()
	poll(t, 60*time.Second, func(_ context.Context) error {
		for i, op := range ops {
			if metric(t, op.Metrics, "leader_election_master_status") == 1 {
				leader, other = op, ops[1-i]
				return nil
			}
		}
		return fmt.Errorf("no replica holds the lease yet")
	})
	return leader, other
}

// firstDeletion waits until the rollout has deleted its first member.
func firstDeletion(t testing.TB, w *watchers) {
	t.Helper()
	poll(t, 60*time.Second, func(_ context.Context) error {
		if deletions, _ := w.rec.Result(); len(deletions) == 0 {
			return fmt.Errorf("no member restarted yet")
		}
		return nil
	})
}

// TestAPIServerRestartMidRollout stops kube-apiserver for a few seconds after the rollout
// restarted its first member: the operator's watches and writes fail, then resume; the
// rollout finishes with every invariant kept.
func TestAPIServerRestartMidRollout(t *testing.T) {
	ns := namespace(t)
	startOperator(t, "apiserver-restart", "--watch-namespaces="+ns)
	key := createCluster(t, ns, "nacos", 3, rolloutSpec)
	w := watch(t, key, 3)
	at := restart(t, key)
	firstDeletion(t, w)
	if err := box.Env.RestartAPIServer(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	rolledOut(t, key, 3, at, 3*time.Minute)
	onceEach(t, w.check(t), 3)
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// until polls the cluster until cond holds, and prints how long it took.
func (st *story) until(ctx context.Context, what string, timeout time.Duration, cond func(*nacosv1alpha1.NacosCluster) bool) error {
	start := st.since
	last := ""
	err := harness.Eventually(ctx, timeout, func(ctx context.Context) (bool, error) {
		nc, err := st.get(ctx)
		if err != nil {
			return false, err
		}
		last = summarize(nc)
		return cond(nc), errors.New(last)
	})
	if err != nil {
		return fmt.Errorf("%s: not within %s (last seen: %s)", what, timeout, last)
	}
	st.printf("\n_%s after %.1f s._\n", what, time.Since(start).Seconds())
	return nil
}

// holds checks for d that no pod of before is replaced or deleted.
func (st *story) holds(ctx context.Context, d time.Duration, before map[string]types.UID) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		now, err := st.pods(ctx)
		if err != nil {
			return err
		}
		for name, uid := range before {
			if now[name] != uid {
				return fmt.Errorf("%s was restarted while the rollout was blocked", name)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("while checking that nothing restarts: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	st.printf("\n_Nothing restarted for %.0f s while blocked._\n", d.Seconds())
	return nil
}

// oneAtATime checks a rollout's timeline: every member of before was replaced exactly once,
// each new pod was ready before the next member went, and never were two members without
// a ready pod at once.
func oneAtATime(entries []entry, before map[string]types.UID) error {
	replaced := map[string]int{}
	pending := "" // replaced, not ready yet
	for _, e := range entries {
		if e.pod == "" {
			continue
		}
		if e.unavailable > 1 {
			return fmt.Errorf("%.1fs: %d members unavailable at once (%s)", e.at.Seconds(), e.unavailable, e.text)
		}
		if e.replaced {
			if pending != "" && pending != e.pod {
				return fmt.Errorf("%.1fs: %s replaced before %s was ready", e.at.Seconds(), e.pod, pending)
			}
			replaced[e.pod]++
			pending = e.pod
		}
		if e.ready && e.pod == pending {
			pending = ""
		}
	}
	for name := range before {
		if replaced[name] != 1 {
			return fmt.Errorf("%s was replaced %d times, want once", name, replaced[name])
		}
	}
	return nil
}

// podsGone waits until the cluster has exactly n pods, terminating ones included, so the
// next listing shows what a user sees once the removed members have stopped.
func (st *story) podsGone(ctx context.Context, n int32) error {
	count := 0
	err := harness.Eventually(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		list := &corev1.PodList{}
		if err := st.s.Env.Client.List(ctx, list, client.InNamespace(st.ns), client.MatchingLabels(st.selector())); err != nil {
			return false, fmt.Errorf("list pods: %w", err)
		}
		count = len(list.Items)
		return count == int(n), fmt.Errorf("%d pods", count)
	})
	if err != nil {
		return fmt.Errorf("the removed members' pods are not gone: %d pods, want %d: %w", count, n, err)
	}
	return nil
}

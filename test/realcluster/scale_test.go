package realcluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// scaleOutAndIn: 3 -> 5 -> 3 without restarting any member that stays; every member's own
// list converges on the desired set (cluster.conf is rewritten live, not by restarts); the
// removed members leave the Raft groups, or the stale peers are named as Nacos lists them.
func scaleOutAndIn(t *testing.T, key types.NamespacedName) {
	before := incarnations(t, key.Namespace)
	start := time.Now()
	patch(t, key, `{"spec":{"replicas":5}}`)
	poll(t, 15*time.Minute, readyWith(key, 5))
	poll(t, 3*time.Minute, listsConverged(key, 5))
	up := time.Since(start)
	unrestarted(t, key.Namespace, before)

	start = time.Now()
	patch(t, key, `{"spec":{"replicas":3}}`)
	poll(t, 10*time.Minute, readyWith(key, 3))
	poll(t, 3*time.Minute, listsConverged(key, 3))
	down := time.Since(start)
	unrestarted(t, key.Namespace, before)
	stale := staleRaftPeers(t, key, 3)
	nc, err := get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	raft := cond(nc, nacosv1alpha1.ConditionRaftLeaderElected)
	if len(stale) > 0 && (raft.Reason != nacosv1alpha1.ReasonRaftPeersMismatch || !strings.Contains(raft.Message, "nacos-4")) {
		t.Errorf("Raft groups still list %v after the scale-down, but RaftLeaderElected says %s: %s", stale, raft.Reason, raft.Message)
	}
	t.Logf("scale 3->5 %.0f s, 5->3 %.0f s; Raft leftovers after the scale-down: %v; RaftLeaderElected %s: %s", up.Seconds(), down.Seconds(), stale, raft.Reason, raft.Message)
	writeMeasure("scale", fmt.Sprintf("3->5 %.0f s, 5->3 %.0f s, raft leftovers %v", up.Seconds(), down.Seconds(), stale))
}

// unrestarted fails if a member of before was restarted (new pod or a container restart).
func unrestarted(t *testing.T, ns string, before map[string]string) {
	t.Helper()
	now := incarnations(t, ns)
	for name, inc := range before {
		if now[name] != inc {
			t.Errorf("%s was restarted by the scale (%s -> %s)", name, inc, now[name])
		}
	}
}

// listsConverged: every member lists exactly the desired n addresses.
func listsConverged(key types.NamespacedName, n int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		var want []string
		for i := 0; i < n; i++ {
			want = append(want, resource.MemberAddress(nc, i))
		}
		ps := pods(ctx, key.Namespace)
		if len(ps) != n {
			return fmt.Errorf("%d pods, want %d", len(ps), n)
		}
		for _, p := range ps {
			members, err := nacos.New(p.Status.PodIP+":8848", nacos.Options{Major: 2, Timeout: 3 * time.Second}).Members(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
			var got []string
			for _, m := range members {
				got = append(got, m.Address)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s lists %v, want %v", p.Name, got, want)
			}
		}
		return nil
	}
}

// staleRaftPeers lists the Raft group members, on any member's own view, that are not among
// the first n ordinals.
func staleRaftPeers(t *testing.T, key types.NamespacedName, n int) []string {
	t.Helper()
	var stale []string
	for _, p := range pods(t.Context(), key.Namespace) {
		self, err := nacos.New(p.Status.PodIP+":8848", nacos.Options{Major: 2, Timeout: 3 * time.Second}).Self(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		for group, g := range self.Raft {
			for _, peer := range g.Members {
				ordinal := -1
				_, _ = fmt.Sscanf(peer, key.Name+"-%d.", &ordinal)
				if ordinal >= n {
					stale = append(stale, fmt.Sprintf("%s:%s:%s", p.Name, group, strings.SplitN(peer, ".", 2)[0]))
				}
			}
		}
	}
	slices.Sort(stale)
	return slices.Compact(stale)
}

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

func patchCluster(t testing.TB, key types.NamespacedName, patch string) {
	t.Helper()
	if err := box.Env.Client.Patch(context.Background(), &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}},
		client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// podUIDs are the member pods of a cluster by name.
func podUIDs(t testing.TB, key types.NamespacedName) map[string]types.UID {
	t.Helper()
	pods := &corev1.PodList{}
	if err := box.Env.Client.List(context.Background(), pods, client.InNamespace(key.Namespace), client.MatchingLabels{nacosv1alpha1.LabelInstance: key.Name}); err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, p := range pods.Items {
		out[p.Name] = p.UID
	}
	return out
}

// TestTwoOfThreeMembersDeletedAtOnce: someone deletes two member pods at once. The
// StatefulSet brings them back, the operator gets the cluster Ready again, deletes nothing
// itself, and no member's cluster.conf stays wrong.
func TestTwoOfThreeMembersDeletedAtOnce(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	ns := namespace(t)
	startOperator(t, "two-deleted", "--watch-namespaces="+ns)
	key := createCluster(t, ns, "nacos", 3, rolloutSpec)
	before := podUIDs(t, key)
	w := watch(t, key, 3)
	for _, name := range []string{"nacos-0", "nacos-1"} {
		if err := box.Env.Client.Delete(context.Background(), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, key, 3, 2*time.Minute)
	w.stop()
	deletions, _ := w.rec.Result() // two unavailable is what the test did, not a violation
	if slices.Sort(deletions); !slices.Equal(deletions, []string{"nacos-0", "nacos-1"}) {
		t.Fatalf("deletions %v, want only the two the test made", deletions)
	}
	if after := podUIDs(t, key); after["nacos-2"] != before["nacos-2"] {
		t.Fatal("the surviving member nacos-2 was restarted")
	}
	if len(w.conf) > 0 {
		t.Fatalf("cluster.conf: %v", w.conf)
	}
}

// TestPauseHoldsARestartUntilResumed: with spec.rollout.paused a requested restart waits
// (Paused=True, PausedBySpec, no member deleted); unpaused, it rolls through the gates.
func TestPauseHoldsARestartUntilResumed(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	ns := namespace(t)
	startOperator(t, "pause", "--watch-namespaces="+ns)
	key := createCluster(t, ns, "nacos", 3, rolloutSpec)
	w := watch(t, key, 3)
	before := podUIDs(t, key)
	patchCluster(t, key, `{"spec":{"rollout":{"paused":true}}}`)
	at := restart(t, key)
	poll(t, 30*time.Second, func(ctx context.Context) error {
		nc := &nacosv1alpha1.NacosCluster{}
		if err := box.Env.Client.Get(ctx, key, nc); err != nil {
			return err
		}
		for _, c := range nc.Status.Conditions {
			if c.Type == nacosv1alpha1.ConditionPaused && c.Status == metav1.ConditionTrue && c.Reason == nacosv1alpha1.ReasonPausedBySpec && c.ObservedGeneration == nc.Generation {
				return nil
			}
		}
		return fmt.Errorf("%s", conditionText(nc, nacosv1alpha1.ConditionPaused))
	})
	// Several reconciles (one a second) while paused: none may delete a member.
	time.Sleep(5 * time.Second) // the observation window itself; nothing is awaited
	if after := podUIDs(t, key); !maps.Equal(after, before) {
		t.Fatalf("a member restarted while paused: %v -> %v", before, after)
	}
	patchCluster(t, key, `{"spec":{"rollout":{"paused":false}}}`)
	rolledOut(t, key, 3, at, 2*time.Minute)
	onceEach(t, w.check(t), 3)
}

// claims lists the cluster's PersistentVolumeClaims by name.
func claims(ctx context.Context, ns string) ([]string, error) {
	list := &corev1.PersistentVolumeClaimList{}
	if err := box.Env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range list.Items {
		if c.DeletionTimestamp == nil {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func wantClaims(t testing.TB, ns string, want ...string) {
	t.Helper()
	poll(t, 60*time.Second, func(ctx context.Context) error {
		got, err := claims(ctx, ns)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("claims %v, want %v", got, want)
		}
		return nil
	})
}

// TestPVCRetention: persistence.whenScaled and whenDeleted reach the StatefulSet, and the
// StatefulSet controller keeps or deletes the members' claims as they say.
func TestPVCRetention(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	for _, tc := range []struct {
		policy                string
		afterScale, afterGone []string
	}{
		{"Retain", []string{"data-nacos-0", "data-nacos-1", "data-nacos-2", "data-nacos-3"}, []string{"data-nacos-0", "data-nacos-1", "data-nacos-2", "data-nacos-3"}},
		{"Delete", []string{"data-nacos-0", "data-nacos-1", "data-nacos-2"}, nil},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			ns := namespace(t)
			startOperator(t, "pvc-"+tc.policy, "--watch-namespaces="+ns)
			key := createCluster(t, ns, "nacos", 4, fmt.Sprintf("persistence: {whenScaled: %s, whenDeleted: %s}\n%s", tc.policy, tc.policy, rolloutSpec))
			wantClaims(t, ns, "data-nacos-0", "data-nacos-1", "data-nacos-2", "data-nacos-3")
			patchCluster(t, key, `{"spec":{"replicas":3}}`)
			waitReady(t, key, 3, 2*time.Minute)
			wantClaims(t, ns, tc.afterScale...)
			if err := box.Env.Client.Delete(context.Background(), &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name}}); err != nil {
				t.Fatal(err)
			}
			poll(t, 60*time.Second, func(ctx context.Context) error {
				switch err := box.Env.Client.Get(ctx, key, &nacosv1alpha1.NacosCluster{}); {
				case err == nil:
					return fmt.Errorf("NacosCluster still there")
				case !apierrors.IsNotFound(err):
					return fmt.Errorf("get NacosCluster: %w", err)
				}
				if pods := podUIDs(t, key); len(pods) > 0 {
					return fmt.Errorf("pods left: %v", pods)
				}
				return nil
			})
			wantClaims(t, ns, tc.afterGone...)
		})
	}
}

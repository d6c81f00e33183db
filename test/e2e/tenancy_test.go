package e2e

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// TestTwoClustersInOneNamespace: two NacosClusters side by side stay apart (each member's
// cluster.conf lists only its own cluster), a restart of one restarts each of its members
// and leaves the other alone, and once both are Ready the operator writes nothing to the API
// server. (The rollout recorder assumes one cluster per namespace; the other tests run it.)
func TestTwoClustersInOneNamespace(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	ns := namespace(t)
	op := startOperator(t, "two-clusters", "--watch-namespaces="+ns)
	alpha := createCluster(t, ns, "alpha", 3, rolloutSpec)
	beta := createCluster(t, ns, "beta", 3, rolloutSpec)
	steadyState(t, op.Metrics, 5*time.Second)
	alphaPods, betaPods := podUIDs(t, alpha), podUIDs(t, beta)
	at := restart(t, alpha)
	rolledOut(t, alpha, 3, at, 2*time.Minute)
	after := podUIDs(t, alpha)
	for name, uid := range alphaPods {
		if after[name] == uid {
			t.Errorf("alpha's %s was not restarted", name)
		}
	}
	if got := podUIDs(t, beta); !maps.Equal(got, betaPods) {
		t.Fatalf("beta restarted by alpha's rollout: %v -> %v", betaPods, got)
	}
	for _, key := range []types.NamespacedName{alpha, beta} {
		for i := range 3 {
			pod := fmt.Sprintf("%s-%d", key.Name, i)
			conf := readConf(filepath.Join(box.Kubelet.Root, ns, pod, "home", "conf", resource.ClusterConfKey))
			nc := &nacosv1alpha1.NacosCluster{}
			nc.Namespace, nc.Name = ns, key.Name
			if want := resource.MemberAddresses(nc, 3); !slices.Equal(conf, want) {
				t.Errorf("%s cluster.conf %v, want %v", pod, conf, want)
			}
		}
	}
}

// TestWatchNamespaces: an operator told --watch-namespaces=a,b runs the clusters of a and b
// and never touches one in c (no StatefulSet, no status).
func TestWatchNamespaces(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	a, b, c := namespace(t), namespace(t), namespace(t)
	startOperator(t, "watch-namespaces", "--watch-namespaces="+a+","+b)
	createCluster(t, a, "nacos", 3, rolloutSpec)
	createCluster(t, b, "nacos", 3, rolloutSpec)
	other := types.NamespacedName{Namespace: c, Name: "nacos"}
	applyCluster(t, c, "nacos", 3, rolloutSpec)
	nc := &nacosv1alpha1.NacosCluster{}
	// Clusters in a and b were reconciled within seconds; c's gets the same time.
	time.Sleep(5 * time.Second) // the observation window itself; nothing is awaited
	if err := box.Env.Client.Get(context.Background(), other, nc); err != nil {
		t.Fatal(err)
	}
	if nc.Status.ObservedGeneration != 0 || len(nc.Status.Conditions) > 0 {
		t.Fatalf("the cluster in unwatched %s was reconciled: %+v", c, nc.Status)
	}
	err := box.Env.Client.Get(context.Background(), other, &appsv1.StatefulSet{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("StatefulSet in unwatched %s: %v", c, err)
	}
}

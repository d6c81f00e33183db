package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

func setReplicas(t testing.TB, key types.NamespacedName, n int) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)
	if err := env.Client.Patch(context.Background(), newCluster(t, key.Namespace, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

// converged waits for n Ready members and a StatefulSet of n, with no member beyond.
func converged(t testing.TB, key types.NamespacedName, n int) {
	t.Helper()
	waitForStatusWithin(t, key, 90*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		sts := &appsv1.StatefulSet{}
		if err := env.Client.Get(context.Background(), key, sts); err != nil {
			return err
		}
		pods := &corev1.PodList{}
		if err := env.Client.List(context.Background(), pods, client.InNamespace(key.Namespace)); err != nil {
			return err
		}
		if *sts.Spec.Replicas != int32(n) || len(pods.Items) != n || nc.Status.Distro != fmt.Sprintf("%d/%d", n, n) || nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("sts %d pods %d distro %s phase %s: %s", *sts.Spec.Replicas, len(pods.Items), nc.Status.Distro, nc.Status.Phase,
				condition(nc, nacosv1alpha1.ConditionProgressing).Message)
		}
		return nil
	})
}

// TestScaleUpThenDownKeepsSurvivors: 3 -> 5 -> 3 restarts no surviving member, and at the end
// every member lists exactly the three members, in its member list and in every Raft group.
func TestScaleUpThenDownKeepsSurvivors(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	before := podUIDs(t, ns)
	setReplicas(t, key, 5)
	converged(t, key, 5)
	setReplicas(t, key, 3)
	converged(t, key, 3)
	after := podUIDs(t, ns)
	for name, uid := range before {
		if after[name] != uid {
			t.Errorf("%s was restarted by scaling", name)
		}
	}
	var want, wantRaft []string
	for i := 0; i < 3; i++ {
		a := fmt.Sprintf("nacos-%d.nacos-headless.%s.svc.cluster.local:8848", i, ns)
		want, wantRaft = append(want, a), append(wantRaft, strings.Replace(a, ":8848", ":7848", 1))
	}
	err := pollUntil(30*time.Second, func() error {
		for i := 0; i < 3; i++ {
			m := simMember(t, ns, fmt.Sprintf("nacos-%d", i))
			view, err := nacos.New(kubelet.Resolve(m.Address()), nacos.Options{Major: 2}).Members(context.Background())
			if err != nil {
				return err
			}
			var got []string
			for _, v := range view {
				got = append(got, v.Address)
				if v.Address != m.Address() {
					continue
				}
				for g, rg := range v.Raft {
					peers := slices.Sorted(slices.Values(rg.Members))
					if !slices.Equal(peers, wantRaft) {
						return fmt.Errorf("nacos-%d: Raft group %s peers %v", i, g, peers)
					}
				}
			}
			if slices.Sort(got); !slices.Equal(got, want) {
				return fmt.Errorf("nacos-%d lists %v", i, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestScaleDownWaitsForAHealthyCluster: with a member unhealthy, a scale-down does not start
// and says why; once the member recovers, it completes.
func TestScaleDownWaitsForAHealthyCluster(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 5)
	sick := simMember(t, ns, "nacos-1")
	sick.Stop()
	sick.SetFaults(sim.Faults{DistroStuck: true})
	if err := sick.Start(); err != nil {
		t.Fatal(err)
	}
	setReplicas(t, key, 3)
	waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if c.Reason != nacosv1alpha1.GateDistroNotInitialized || !strings.Contains(c.Message, "scale-down from 5 to 3 waits for a healthy cluster: nacos-1: Distro snapshot load failed") {
			return fmt.Errorf("Progressing %s: %s", c.Reason, c.Message)
		}
		return nil
	})
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(context.Background(), key, sts); err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 5 {
		t.Fatalf("scaled to %d while a member was unhealthy", *sts.Spec.Replicas)
	}
	sick.SetFaults(sim.Faults{})
	converged(t, key, 3)
}

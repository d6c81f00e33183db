package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestControllerManagerRunsStatefulSets proves the harness runs a real
// kube-controller-manager: a StatefulSet gets its pods, and deleting it garbage-collects them.
func TestControllerManagerRunsStatefulSets(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	labels := map[string]string{"app": "probe"}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To[int32](3),
			ServiceName:         "probe-hs",
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example/none"}}},
			},
		},
	}
	if err := env.Client.Create(ctx, sts); err != nil {
		t.Fatal(err)
	}
	countPods := func(want int) func(context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			pods := &corev1.PodList{}
			if err := env.Client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
				return false, err
			}
			if len(pods.Items) != want {
				return false, fmt.Errorf("%d pods, want %d", len(pods.Items), want)
			}
			return true, nil
		}
	}
	if err := harness.Eventually(ctx, 30*time.Second, countPods(3)); err != nil {
		t.Fatalf("StatefulSet controller: %v\n%s", err, env.ControllerManagerLog())
	}
	pod := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "probe-2"}, pod); err != nil {
		t.Fatalf("pods are not named by ordinal: %v", err)
	}
	if err := env.Client.Delete(ctx, sts, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	if err := harness.Eventually(ctx, 60*time.Second, countPods(0)); err != nil {
		t.Fatalf("garbage collector: %v\n%s", err, env.ControllerManagerLog())
	}
}

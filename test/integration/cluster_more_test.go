package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// readyCluster creates a 3-member cluster from the sample and waits until it is Ready.
func readyCluster(t testing.TB, ns, name string) types.NamespacedName {
	t.Helper()
	key := types.NamespacedName{Namespace: ns, Name: name}
	if err := env.Client.Create(context.Background(), newCluster(t, ns, name, sampleSpec(t, "nacos_v1alpha1_nacoscluster.yaml"))); err != nil {
		t.Fatal(err)
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("phase %s", nc.Status.Phase)
		}
		return conditionIs(nc, nacosv1alpha1.ConditionReady, metav1.ConditionTrue)
	})
	return key
}

func simMember(t testing.TB, ns, pod string) *sim.Member {
	t.Helper()
	m, ok := kubelet.Member(ns, pod).(*sim.Member)
	if !ok {
		t.Fatalf("no simulated member for %s/%s", ns, pod)
	}
	return m
}

func condition(nc *nacosv1alpha1.NacosCluster, condType string) metav1.Condition {
	if c := meta.FindStatusCondition(nc.Status.Conditions, condType); c != nil {
		return *c
	}
	return metav1.Condition{}
}

func TestDistroStuckMemberIsNamedInNacosWords(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := readyCluster(t, ns, "nacos")
	m := simMember(t, ns, "nacos-1")
	m.Stop()
	m.SetFaults(sim.Faults{DistroStuck: true})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	want := "nacos-1: Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionDistroInitialized)
		if c.Status != metav1.ConditionFalse || c.Reason != nacosv1alpha1.ReasonDistroNotInitialized || !strings.HasPrefix(c.Message, want+" Likely cause: ") {
			return fmt.Errorf("DistroInitialized %+v", c)
		}
		return nil
	})
	if nc.Status.Distro != "2/3" || nc.Status.Members[1].DistroInitialized || nc.Status.Members[1].NamingStatus != "DOWN" {
		t.Fatalf("distro %s, member %+v", nc.Status.Distro, nc.Status.Members[1])
	}
	m.SetFaults(sim.Faults{})
	waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		return conditionIs(nc, nacosv1alpha1.ConditionDistroInitialized, metav1.ConditionTrue)
	})

	// A member that stops answering is named as unreachable.
	simMember(t, ns, "nacos-2").SetFaults(sim.Faults{Hang: true})
	nc = waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionDistroInitialized)
		if c.Status != metav1.ConditionFalse || !strings.HasPrefix(c.Message, "nacos-2: unreachable (Timeout)") {
			return fmt.Errorf("DistroInitialized %+v", c)
		}
		return nil
	})
	if h := nc.Status.Members[2].Health; h != nacosv1alpha1.HealthUnreachable {
		t.Fatalf("nacos-2 health %s", h)
	}
	simMember(t, ns, "nacos-2").SetFaults(sim.Faults{})
}

func podUIDs(t testing.TB, ns string) map[string]types.UID {
	t.Helper()
	pods := &corev1.PodList{}
	if err := env.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, p := range pods.Items {
		out[p.Name] = p.UID
	}
	return out
}

func TestScaleUpUpdatesRunningMembersWithoutRestart(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := readyCluster(t, ns, "nacos")
	before := podUIDs(t, ns)
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(ctx, key, sts); err != nil {
		t.Fatal(err)
	}
	hash := sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationConfigHash]
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, `{"spec":{"replicas":5}}`)); err != nil {
		t.Fatal(err)
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Distro != "5/5" {
			return fmt.Errorf("distro %s", nc.Status.Distro)
		}
		c := condition(nc, nacosv1alpha1.ConditionMembershipConsistent)
		if c.Status != metav1.ConditionTrue || c.Message != "Every member lists the same 5 members, all UP." {
			return fmt.Errorf("MembershipConsistent %+v", c)
		}
		return conditionIs(nc, nacosv1alpha1.ConditionReady, metav1.ConditionTrue)
	})
	after := podUIDs(t, ns)
	for name, uid := range before {
		if after[name] != uid {
			t.Errorf("%s was restarted by a scale-up", name)
		}
	}
	if err := env.Client.Get(ctx, key, sts); err != nil {
		t.Fatal(err)
	}
	if sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationConfigHash] != hash {
		t.Error("replicas moved the config hash")
	}
	// A config change moves the hash (the restart is the rollout's job).
	patch := `{"spec":{"config":{"properties":{"nacos.core.protocol.distro.data.load.retryDelayMs":"5000"}}}}`
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	err := pollUntil(30*time.Second, func() error {
		if err := env.Client.Get(ctx, key, sts); err != nil {
			return err
		}
		if sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationConfigHash] == hash {
			return fmt.Errorf("hash unchanged")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func pollUntil(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return nil
		}
		<-time.After(50 * time.Millisecond)
	}
	return err
}

func TestSteadyStateReconcileMakesNoWrites(t *testing.T) {
	var counting *countingClient
	reconciles := startOperatorWith(t, func(c client.Client) client.Client {
		counting = &countingClient{Client: c}
		return counting
	})
	ns := namespace(t)
	readyCluster(t, ns, "nacos")
	// Let the status settle: Raft metadata and refresh times keep converging for a moment
	// after Ready. Settled means three reconciles in a row without a write.
	if err := pollUntil(30*time.Second, func() error {
		w, n := counting.writes.Load(), reconciles.n.Load()
		if err := pollUntil(10*time.Second, func() error {
			if reconciles.n.Load() < n+3 {
				return fmt.Errorf("waiting for reconciles")
			}
			return nil
		}); err != nil {
			return err
		}
		if counting.writes.Load() != w {
			return fmt.Errorf("still converging")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	writes := counting.writes.Load()
	if writes == 0 {
		t.Fatal("the counting client saw no writes while the cluster was created: it is not the operator's client")
	}
	reconciles.waitReconciles(t, 5)
	if got := counting.writes.Load() - writes; got != 0 {
		t.Fatalf("%d API writes over 5 steady-state reconciles, want 0", got)
	}
}

func TestPauseFreezesWorkloadsButKeepsStatusFresh(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := readyCluster(t, ns, "nacos")
	patch := `{"metadata":{"annotations":{"nacos.io/paused":"true"}},"spec":{"replicas":5}}`
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionPaused)
		if c.Status != metav1.ConditionTrue || c.Reason != nacosv1alpha1.ReasonPausedByAnnotation || nc.Status.ObservedGeneration != nc.Generation {
			return fmt.Errorf("Paused %+v, observedGeneration %d of %d", c, nc.Status.ObservedGeneration, nc.Generation)
		}
		return nil
	})
	if nc.Status.Phase != nacosv1alpha1.PhasePaused || !strings.Contains(condition(nc, nacosv1alpha1.ConditionPaused).Message, "status is still observed") {
		t.Fatalf("phase %s, Paused %+v", nc.Status.Phase, condition(nc, nacosv1alpha1.ConditionPaused))
	}
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(ctx, key, sts); err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 3 {
		t.Fatalf("paused, yet the StatefulSet was scaled to %d", *sts.Spec.Replicas)
	}
	// Resuming applies the pending change.
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.JSONPatchType, `[{"op":"remove","path":"/metadata/annotations/nacos.io~1paused"}]`)); err != nil {
		t.Fatal(err)
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Distro != "5/5" {
			return fmt.Errorf("distro %s", nc.Status.Distro)
		}
		return conditionIs(nc, nacosv1alpha1.ConditionPaused, metav1.ConditionFalse)
	})
}

func TestDeletingTheClusterCollectsOwnedObjects(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := readyCluster(t, ns, "nacos")
	if err := env.Client.Delete(ctx, newCluster(t, ns, key.Name, `{}`)); err != nil {
		t.Fatal(err)
	}
	err := pollUntil(60*time.Second, func() error {
		for _, obj := range []client.Object{&appsv1.StatefulSet{}, &corev1.ConfigMap{}, &corev1.Service{}, &corev1.Secret{}} {
			name := key.Name
			switch obj.(type) {
			case *corev1.ConfigMap:
				name += "-config"
			case *corev1.Secret:
				name += "-auth"
			}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err == nil {
				return fmt.Errorf("%T %s still exists", obj, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

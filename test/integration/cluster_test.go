package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// sampleSpec reads the spec of a sample in config/samples.
func sampleSpec(t testing.TB, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(obj.Spec)
	return string(b)
}

func conditionIs(nc *nacosv1alpha1.NacosCluster, condType string, status metav1.ConditionStatus) error {
	c := meta.FindStatusCondition(nc.Status.Conditions, condType)
	if c == nil || c.Status != status || c.ObservedGeneration != nc.Generation {
		return fmt.Errorf("%s = %+v, want %s", condType, c, status)
	}
	return nil
}

func TestSampleClusterBecomesReady(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := types.NamespacedName{Namespace: ns, Name: "nacos"}
	if err := env.Client.Create(ctx, newCluster(t, ns, key.Name, sampleSpec(t, "nacos_v1alpha1_nacoscluster.yaml"))); err != nil {
		t.Fatal(err)
	}
	nc := waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		for _, c := range []string{nacosv1alpha1.ConditionReady, nacosv1alpha1.ConditionAvailable, nacosv1alpha1.ConditionDistroInitialized,
			nacosv1alpha1.ConditionMembershipConsistent, nacosv1alpha1.ConditionRaftLeaderElected} {
			if err := conditionIs(nc, c, metav1.ConditionTrue); err != nil {
				return err
			}
		}
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Distro != "3/3" || nc.Status.ReadyReplicas != 3 || nc.Status.Version != "2.5.1" {
			return fmt.Errorf("phase %s distro %s ready %d version %q", nc.Status.Phase, nc.Status.Distro, nc.Status.ReadyReplicas, nc.Status.Version)
		}
		return nil
	})
	leaders := 0
	for i, m := range nc.Status.Members {
		want := fmt.Sprintf("nacos-%d.nacos-headless.%s.svc.cluster.local:8848", i, ns)
		if m.Name != fmt.Sprintf("nacos-%d", i) || m.Address != want || !m.KubeReady || m.Health != nacosv1alpha1.HealthReady ||
			m.NamingStatus != "UP" || !m.DistroInitialized || m.Version != "2.5.1" {
			t.Errorf("member %d = %+v", i, m)
		}
		if m.RaftLeader {
			leaders++
		}
	}
	if leaders == 0 {
		t.Error("no member reports leading a Raft group")
	}
	row := kubectl(t, "get", "nacos", "-n", ns, "nacos", "--no-headers")
	if got := strings.Join(strings.Fields(row)[:6], " "); got != "nacos cluster 3 3 3/3 2.5.1" {
		t.Errorf("kubectl get columns = %q", row)
	}
	describe := kubectl(t, "describe", "nacoscluster", "-n", ns, "nacos")
	for _, want := range []string{"Type:  Ready", "Reason:  AllMembersReady", "Reason:  DistroInitialized", "Reason:  LeaderElected", "Reason:  MembershipConsistent"} {
		if !strings.Contains(strings.Join(strings.Fields(describe), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("kubectl describe lacks %q", want)
		}
	}
}

func waitForStatusWithin(t testing.TB, key types.NamespacedName, timeout time.Duration, check func(*nacosv1alpha1.NacosCluster) error) *nacosv1alpha1.NacosCluster {
	t.Helper()
	return waitForObject(t, env.Client, key, timeout, &nacosv1alpha1.NacosCluster{}, check)
}

// waitForObject polls the object until check accepts it, failing the test at the deadline
// with check's last complaint.
func waitForObject[T client.Object](t testing.TB, c client.Client, key types.NamespacedName, timeout time.Duration, obj T, check func(T) error) T {
	t.Helper()
	err := harness.Eventually(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, obj); err != nil {
			return false, err
		}
		err := check(obj)
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("%T %s: %v", obj, key, err)
	}
	return obj
}

// Package e2e runs the operator binary (built from main.go) as its own process against the
// sandbox: the real control plane, the fake kubelet and simulated members (package sandbox).
// Invariant watchers run through every scenario (invariants_test.go); the scenarios kill,
// fail over and restart what a production operator meets (make test-e2e).
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

var (
	box    *sandbox.Sandbox
	binary string // the operator binary
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("NACOS_E2E") == "" {
		fmt.Fprintln(os.Stderr, "e2e: skipped; run with `make test-e2e` (about 8 minutes)")
		return 0
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "e2e:", harness.ErrNoAssets)
		return 1
	}
	dir, err := os.MkdirTemp("", "nacos-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if binary, err = sandbox.BuildOperator(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// Probes at a tenth of their periods: a member restart takes about a second.
	box, err = sandbox.Start(sandbox.Options{Dir: dir + "/sandbox", ProbeScale: 0.1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if err := box.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop sandbox:", err)
	}
	return code
}

// operatorFlags are the operator's flags in these tests: its defaults, but probing every
// second (the simulated members answer in milliseconds; 10 s would only slow the tests).
var operatorFlags = []string{"--probe-period=1s"}

// startOperator runs the binary watching the given namespaces, stopped when the test ends.
func startOperator(t testing.TB, name string, extra ...string) *sandbox.Operator {
	t.Helper()
	op, err := box.StartOperator(binary, name, append(append([]string{}, operatorFlags...), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", op.Name, op.Tail(3000))
		}
		_ = op.Stop()
	})
	return op
}

// namespace creates a namespace for one test; its clusters are deleted when it ends.
func namespace(t testing.TB) string {
	t.Helper()
	ns, err := box.Env.CreateNamespace(context.Background(), "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = box.Env.Client.DeleteAllOf(ctx, &nacosv1alpha1.NacosCluster{}, client.InNamespace(ns))
		_ = box.Env.Client.DeleteAllOf(ctx, &appsv1.StatefulSet{}, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground))
	})
	return ns
}

// createCluster applies a NacosCluster from its spec in YAML, as a user would, and waits
// until it is Ready with every member's Distro initialized.
func createCluster(t testing.TB, ns, name string, replicas int, specYAML string) types.NamespacedName {
	t.Helper()
	key := applyCluster(t, ns, name, replicas, specYAML)
	describeOnFailure(t, key)
	waitReady(t, key, replicas, 90*time.Second)
	return key
}

// applyCluster creates a NacosCluster from its spec in YAML without waiting.
func applyCluster(t testing.TB, ns, name string, replicas int, specYAML string) types.NamespacedName {
	t.Helper()
	spec := map[string]any{}
	if err := yaml.Unmarshal([]byte(specYAML), &spec); err != nil {
		t.Fatalf("spec YAML: %v", err)
	}
	spec["replicas"] = replicas
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "nacos.io/v1alpha1", "kind": "NacosCluster",
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}}
	if err := box.Env.Client.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return types.NamespacedName{Namespace: ns, Name: name}
}

// waitReady waits for phase Ready, Distro n/n and every condition caught up with the spec.
func waitReady(t testing.TB, key types.NamespacedName, n int, timeout time.Duration) *nacosv1alpha1.NacosCluster {
	t.Helper()
	nc := &nacosv1alpha1.NacosCluster{}
	poll(t, timeout, func(ctx context.Context) error {
		if err := box.Env.Client.Get(ctx, key, nc); err != nil {
			return err
		}
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Distro != fmt.Sprintf("%d/%d", n, n) {
			return fmt.Errorf("%s: phase %s, distro %s, %s", key.Name, nc.Status.Phase, nc.Status.Distro, conditionText(nc, nacosv1alpha1.ConditionReady))
		}
		return caughtUp(nc)
	})
	return nc
}

// caughtUp is the observedGeneration invariant: status and every condition describe the
// current spec.
func caughtUp(nc *nacosv1alpha1.NacosCluster) error {
	if nc.Status.ObservedGeneration != nc.Generation {
		return fmt.Errorf("status.observedGeneration %d, generation %d", nc.Status.ObservedGeneration, nc.Generation)
	}
	for _, c := range nc.Status.Conditions {
		if c.ObservedGeneration != nc.Generation {
			return fmt.Errorf("condition %s observedGeneration %d, generation %d", c.Type, c.ObservedGeneration, nc.Generation)
		}
	}
	return nil
}

func conditionText(nc *nacosv1alpha1.NacosCluster, condType string) string {
	for _, c := range nc.Status.Conditions {
		if c.Type == condType {
			return fmt.Sprintf("%s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	return condType + " not set"
}

// poll waits for cond with a deadline, failing with cond's last error.
func poll(t testing.TB, d time.Duration, cond func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := harness.Eventually(context.Background(), d, func(ctx context.Context) (bool, error) {
		err := cond(ctx)
		// Keep the condition's own reason, not the deadline cutting its last call short.
		if err == nil || ctx.Err() == nil && !strings.Contains(err.Error(), "would exceed context deadline") {
			last = err
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("not within %s: %v", d, last)
	}
}

// restart asks for a gated rolling restart (nacos.io/restartedAt) and returns its value.
func restart(t testing.TB, key types.NamespacedName) string {
	t.Helper()
	at := time.Now().UTC().Format(time.RFC3339Nano)
	patchCluster(t, key, fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, nacosv1alpha1.AnnotationRestartedAt, at))
	return at
}

// rolledOut waits until the StatefulSet's template carries the restart, every member pod
// runs its update revision, Ready, and the cluster says it is up to date.
func rolledOut(t testing.TB, key types.NamespacedName, n int, restartedAt string, timeout time.Duration) {
	t.Helper()
	poll(t, timeout, func(ctx context.Context) error {
		sts := &appsv1.StatefulSet{}
		if err := box.Env.Client.Get(ctx, key, sts); err != nil {
			return err
		}
		// The annotation does not bump the generation: without this the old revision,
		// all Ready, would pass for a finished rollout before the operator reacted.
		if got := sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationRestartedAt]; got != restartedAt {
			return fmt.Errorf("StatefulSet template has restartedAt %q, want %q", got, restartedAt)
		}
		if sts.Status.ObservedGeneration != sts.Generation || sts.Status.UpdateRevision == "" {
			return fmt.Errorf("StatefulSet status not current")
		}
		pods := &corev1.PodList{}
		if err := box.Env.Client.List(ctx, pods, client.InNamespace(key.Namespace), client.MatchingLabels{nacosv1alpha1.LabelInstance: key.Name}); err != nil {
			return err
		}
		var behind []string
		for _, p := range pods.Items {
			if p.Labels["controller-revision-hash"] != sts.Status.UpdateRevision || !harness.PodReady(&p) || p.DeletionTimestamp != nil {
				behind = append(behind, p.Name)
			}
		}
		if len(pods.Items) != n || len(behind) > 0 {
			return fmt.Errorf("%d pods, not yet updated and ready: %s", len(pods.Items), strings.Join(behind, ", "))
		}
		nc := &nacosv1alpha1.NacosCluster{}
		if err := box.Env.Client.Get(ctx, key, nc); err != nil {
			return err
		}
		if nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("phase %s: %s", nc.Status.Phase, conditionText(nc, nacosv1alpha1.ConditionProgressing))
		}
		return caughtUp(nc)
	})
}

// describeOnFailure prints what kubectl describe says of a cluster when the test fails, so
// a stuck run explains itself before its namespace is deleted.
func describeOnFailure(t testing.TB, key types.NamespacedName) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		out, err := exec.Command(filepath.Join(box.Env.Assets, "kubectl"), "--kubeconfig="+box.Kubeconfig,
			"describe", "nacos", "-n", key.Namespace, key.Name).CombinedOutput()
		t.Logf("kubectl describe nacos %s (%v):\n%s", key, err, out)
	})
}

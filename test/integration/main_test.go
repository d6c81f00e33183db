// Package integration runs the operator's API and controller against a real control plane
// (etcd, kube-apiserver and kube-controller-manager built by hack/control-plane.sh).
package integration

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// env is shared by the package: starting the control plane takes seconds, each test works in
// its own namespace. kubelet runs simulated members for every Nacos pod.
var (
	env     *harness.Env
	kubelet *harness.Kubelet
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The operator's logs are noise in a passing run; NACOS_TEST_LOG=1 shows them.
	logger := logr.Discard()
	if os.Getenv("NACOS_TEST_LOG") != "" {
		logger = zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr))
	}
	ctrl.SetLogger(logger)
	var err error
	env, err = harness.Start(harness.Options{ControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: ", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "nacos-kubelet-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: ", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	kubelet = &harness.Kubelet{Client: env.Client, Runner: harness.SimRunner{Faults: startFaults.take, Configure: seedUsers}, Root: dir, IPPrefix: "127.77.",
		ProbesIn: probesIn, ProbeScale: 0.1} // probed pods: startup probe every second
	kubelet.Start(ctx)
	defer func() {
		cancel() // the kubelet first: it talks to the API server
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "integration: stop control plane:", err)
		}
	}()
	return m.Run()
}

// namespace creates a fresh namespace for one test. When the test ends its StatefulSets are
// deleted (the garbage collector removes their pods and the fake kubelet stops their
// members), so members of finished tests do not load the machine.
func namespace(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	ns, err := env.CreateNamespace(ctx, "it")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client.DeleteAllOf(ctx, &nacosv1alpha1.NacosCluster{}, client.InNamespace(ns))
		_ = env.Client.DeleteAllOf(ctx, &appsv1.StatefulSet{}, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground))
	})
	return ns
}

// faultQueue hands a member, by namespace/pod, the faults it should start with, once.
type faultQueue struct {
	mu     sync.Mutex
	faults map[string]sim.Faults
}

var startFaults = &faultQueue{faults: map[string]sim.Faults{}}

func (q *faultQueue) set(ns, pod string, f sim.Faults) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.faults[ns+"/"+pod] = f
}

func (q *faultQueue) take(p harness.PodRun) sim.Faults {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.faults[p.Namespace+"/"+p.Name]
	delete(q.faults, p.Namespace+"/"+p.Name)
	return f
}

// presetUsers are Nacos users a namespace's members start with (by namespace), as if someone
// had created them before the operator.
var presetUsers sync.Map

func seedUsers(p harness.PodRun, c *sim.Config) {
	if users, ok := presetUsers.Load(p.Namespace); ok {
		c.Auth.Users = users.(map[string]string)
	}
}

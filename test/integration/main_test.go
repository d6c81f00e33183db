// Package integration runs the operator's API and controller against a real control plane
// (etcd, kube-apiserver and kube-controller-manager built by hack/control-plane.sh).
package integration

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

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
	kubelet = &harness.Kubelet{Client: env.Client, Runner: harness.SimRunner{}, Root: dir, IPPrefix: "127.77."}
	kubelet.Start(ctx)
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "integration: stop control plane:", err)
		}
	}()
	return m.Run()
}

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	ns, err := env.CreateNamespace(context.Background(), "it")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

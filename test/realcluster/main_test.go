// Package realcluster runs the operator against real Nacos members (make test-nacos): the
// real control plane, the fake kubelet enforcing the pod's probes, and the real-member
// runner, which runs each pod's JVM in its own network namespace the way the image does.
package realcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/nacos-operator/nacos-operator/controllers"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

var (
	env     *harness.Env
	kubelet *harness.Kubelet
	runner  *realnacos.Runner
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("NACOS_REAL") == "" {
		return m.Run() // every test skips
	}
	logger := logr.Discard()
	if os.Getenv("NACOS_TEST_LOG") != "" {
		logger = zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr))
	}
	ctrl.SetLogger(logger)
	network, err := realnacos.NewNetwork("nacosop", 214)
	if err != nil {
		fmt.Fprintln(os.Stderr, "realcluster:", err)
		return 1
	}
	defer network.Close()
	env, err = harness.Start(harness.Options{ControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "realcluster:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "nacos-real-kubelet-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "realcluster:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// Each pod's sidecar is the operator binary, run in the pod's namespace.
	binary, err := harness.BuildOperator(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "realcluster:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	runner = &realnacos.Runner{Net: network, SidecarBinary: binary}
	kubelet = &harness.Kubelet{Client: env.Client, Runner: runner, Root: dir, EnforceProbes: true, Period: 200 * time.Millisecond}
	kubelet.Start(ctx)
	go covered.watch(ctx, env.Config, client.Options{Scheme: env.Scheme})
	defer func() {
		cancel()
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "realcluster: stop control plane:", err)
		}
	}()
	code := m.Run()
	seen := covered.report()
	fmt.Fprintf(os.Stderr, "realcluster: gates and diagnosis codes seen on real members:\n%s", seen)
	writeMeasure("coverage", strings.ReplaceAll(strings.TrimSpace(seen), "\n", "; "))
	// The tables are checked only after a full run: a narrowed one (REAL_RUN) sees less.
	if f := flag.Lookup("test.run"); code == 0 && (f == nil || f.Value.String() == "" || f.Value.String() == ".") {
		if err := covered.check(); err != nil {
			fmt.Fprintln(os.Stderr, "realcluster:", err)
			return 1
		}
	}
	return code
}

func needReal(t *testing.T) {
	t.Helper()
	if os.Getenv("NACOS_REAL") == "" {
		t.Skip("the real-Nacos lane runs with `make test-nacos` (needs root and the built servers)")
	}
	for _, v := range []string{"2.4.3", "2.5.1", "3.0.3"} {
		if _, err := realnacos.ServerDir(v); err != nil {
			t.Fatal(err)
		}
	}
	// Members' logs help only when something went wrong.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(runner.Logs(3000))
		}
	})
}

// startOperator runs the operator in this process until the test ends, with the timeouts
// main.go uses against real members.
func startOperator(t *testing.T) {
	t.Helper()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{ByObject: controllers.CacheByObject(false)},
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &controllers.NacosClusterReconciler{
		Client: mgr.GetClient(), Scheme: mgr.GetScheme(), SecretReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("nacos-operator"), Clock: clock.RealClock{},
		Clients:     nacos.NewPool(nacos.Options{Timeout: 3 * time.Second}),
		WriterImage: "nacos-operator:test", ProbePeriod: 2 * time.Second,
	}
	if err := r.SetupWithManager(mgr, 2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
}

// memberAccess reaches real members at their pod IPs for the invariant recorder.
func memberAccess(ns string, major int, auth ...nacos.Auth) harness.MemberAccess {
	var a nacos.Auth
	if len(auth) > 0 {
		a = auth[0]
	}
	return memberAccessWith(ns, major, func() nacos.Auth { return a })
}

// memberAccessWith asks authNow at every read (an upgrade to 3.x brings an identity the
// operator generates on the way).
func memberAccessWith(ns string, major int, authNow func() nacos.Auth) harness.MemberAccess {
	dial := func(pod string) string {
		p := &corev1.Pod{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: pod}, p); err != nil || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			return ""
		}
		return p.Status.PodIP + ":8848"
	}
	return harness.MemberAccess{Major: major, AuthNow: authNow, Dial: dial, Distro: func(ctx context.Context, pod string) (bool, error) {
		d := dial(pod)
		if d == "" {
			return false, fmt.Errorf("%s has no pod IP", pod)
		}
		st, err := nacos.New(d, nacos.Options{Major: major, Timeout: 2 * time.Second, Auth: authNow()}).NamingStatus(ctx)
		if err != nil {
			return false, err
		}
		return strings.EqualFold(st.Status, "UP"), fmt.Errorf("naming %s %s", st.Status, st.Message)
	}}
}

// poll waits for cond with a deadline, failing with cond's last error.
func poll(t *testing.T, d time.Duration, cond func(ctx context.Context) error) time.Duration {
	t.Helper()
	start := time.Now()
	var last error
	err := harness.Eventually(t.Context(), d, func(ctx context.Context) (bool, error) {
		err := cond(ctx)
		if err == nil || last == nil || ctx.Err() == nil {
			last = err // the deadline cutting the last call short hides nothing
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("not within %s: %v", d, last)
	}
	return time.Since(start)
}

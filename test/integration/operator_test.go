package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/controllers"
	"github.com/nacos-operator/nacos-operator/internal/metrics"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// startOperator runs the NacosCluster controller in this process until the test ends.
func startOperator(t testing.TB) { t.Helper(); startOperatorWith(t, nil) }

// reconcileCounter counts finished reconciles.
type reconcileCounter struct {
	reconcile.Reconciler
	n atomic.Int64
}

func (c *reconcileCounter) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	defer c.n.Add(1)
	return c.Reconciler.Reconcile(ctx, req)
}

// waitReconciles waits until the operator finished n more reconciles.
func (c *reconcileCounter) waitReconciles(t testing.TB, n int64) {
	t.Helper()
	start := c.n.Load()
	if err := pollUntil(30*time.Second, func() error {
		if got := c.n.Load() - start; got < n {
			return fmt.Errorf("%d of %d reconciles", got, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// startOperatorWith runs the controller with its client wrapped (nil: as is) and returns a
// counter of its reconciles.
func startOperatorWith(t testing.TB, wrap func(client.Client) client.Client) *reconcileCounter {
	t.Helper()
	counter, stop := runOperator(t, wrap)
	t.Cleanup(stop)
	return counter
}

// startOperatorUntil runs an operator until the returned stop is called.
func startOperatorUntil(t testing.TB) func() {
	_, stop := runOperator(t, nil)
	return stop
}

// runOperator starts an operator process (in this process) and returns its stop function,
// so a test can stop it mid-way and start a new one.
func runOperator(t testing.TB, wrap func(client.Client) client.Client) (*reconcileCounter, func()) {
	return runOperatorWith(t, operatorOptions{wrap: wrap})
}

// operatorOptions vary how a test runs the operator; the zero value is as admin, on every
// namespace, without leader election or a metrics endpoint.
type operatorOptions struct {
	wrap        func(client.Client) client.Client
	metricsAddr string       // the manager's metrics endpoint ("" : none)
	config      *rest.Config // the operator's identity (nil: the test's admin)
	namespaces  []string     // the namespaces it watches (nil: all)
	// leaderElectionNamespace turns leader election on, with the Lease there.
	leaderElectionNamespace string
	logger                  *logr.Logger  // the manager's logger (nil: the process's)
	podMonitors             bool          // the env serves PodMonitors (controllers.PodMonitorServed)
	distroWindow            time.Duration // the operator's --distro-init-window (0: its default)
}

// runOperatorWith runs the operator as o says. Every operator here records into the
// process's metrics (metrics.Default), as the binary does.
func runOperatorWith(t testing.TB, o operatorOptions) (*reconcileCounter, func()) {
	t.Helper()
	m, err := metrics.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg, addr := o.config, o.metricsAddr
	if cfg == nil {
		cfg = env.Config
	}
	if addr == "" {
		addr = "0"
	}
	var namespaces map[string]cache.Config
	for _, ns := range o.namespaces {
		if namespaces == nil {
			namespaces = map[string]cache.Config{}
		}
		namespaces[ns] = cache.Config{}
	}
	var logger logr.Logger
	if o.logger != nil {
		logger = *o.logger
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Logger:                 logger,
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: addr},
		HealthProbeBindAddress: "0",
		// The cache main.go gives the binary: only the operator's own objects.
		Cache: cache.Options{DefaultNamespaces: namespaces, ByObject: controllers.CacheByObject(o.podMonitors)},
		// Each test runs its own operator; only one at a time reconciles.
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
		LeaderElection:          o.leaderElectionNamespace != "",
		LeaderElectionNamespace: o.leaderElectionNamespace,
		LeaderElectionID:        "nacos-operator-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mgr.GetClient()
	if o.wrap != nil {
		c = o.wrap(c)
	}
	r := &controllers.NacosClusterReconciler{
		Client: c, Scheme: mgr.GetScheme(), SecretReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("nacos-operator"), Clock: clock.RealClock{},
		Clients:     nacos.NewPool(nacos.Options{Timeout: 500 * time.Millisecond, Observe: m.NacosRequest}),
		WriterImage: "nacos-operator:test", ProbePeriod: 300 * time.Millisecond,
		StartupStallAfter: integrationStallAfter, Metrics: m, PodMonitors: o.podMonitors, DistroInitWindow: o.distroWindow,
	}
	counter := &reconcileCounter{Reconciler: r}
	if err := r.SetupWithManagerAs(mgr, 2, counter); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	return counter, func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("manager: %v", err)
			}
		})
	}
}

// waitForStatus polls the NacosCluster until check accepts it.
func waitForStatus(t testing.TB, key types.NamespacedName, check func(*nacosv1alpha1.NacosCluster) error) *nacosv1alpha1.NacosCluster {
	t.Helper()
	return waitForStatusWithin(t, key, 20*time.Second, check)
}

func reconciledAt(generation int64, status metav1.ConditionStatus, reason string) func(*nacosv1alpha1.NacosCluster) error {
	return func(nc *nacosv1alpha1.NacosCluster) error {
		want := generation
		if want == 0 {
			want = nc.Generation
		}
		c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionReconciled)
		if nc.Status.ObservedGeneration != want || c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != want {
			return fmt.Errorf("observedGeneration %d (want %d), Reconciled %+v (want %s/%s)", nc.Status.ObservedGeneration, want, c, status, reason)
		}
		return nil
	}
}

func TestOperatorObservesGenerations(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := types.NamespacedName{Namespace: ns, Name: "gen"}
	if err := env.Client.Create(ctx, newCluster(t, ns, key.Name, `{}`)); err != nil {
		t.Fatal(err)
	}
	nc := waitForStatus(t, key, reconciledAt(1, metav1.ConditionTrue, nacosv1alpha1.ReasonReconcileSucceeded))
	if nc.Status.Phase != nacosv1alpha1.PhasePending && nc.Status.Phase != nacosv1alpha1.PhaseInitializing {
		t.Errorf("phase = %q, want Pending or Initializing", nc.Status.Phase)
	}
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, `{"spec":{"replicas":5}}`)); err != nil {
		t.Fatal(err)
	}
	waitForStatus(t, key, reconciledAt(2, metav1.ConditionTrue, nacosv1alpha1.ReasonReconcileSucceeded))
}

func TestOperatorReportsSpecItCannotApply(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	key := types.NamespacedName{Namespace: ns, Name: "managed-env"}
	if err := env.Client.Create(ctx, newCluster(t, ns, key.Name, `pod: {env: [{name: MODE, value: standalone}]}`)); err != nil {
		t.Fatal(err)
	}
	nc := waitForStatus(t, key, reconciledAt(0, metav1.ConditionFalse, nacosv1alpha1.ReasonInvalidSpec))
	c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionReconciled)
	want := "spec.pod.env[0].name: Forbidden: MODE is set by the operator from spec.mode"
	if !strings.Contains(c.Message, want) || nc.Status.Phase != nacosv1alpha1.PhaseFailed {
		t.Fatalf("phase %q, message %q; want Failed and %q", nc.Status.Phase, c.Message, want)
	}
	// The user reads it with kubectl describe: a Warning Event on the object.
	err := harness.Eventually(ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
		list := &eventsv1.EventList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == key.Name && e.Type == "Warning" && e.Reason == nacosv1alpha1.ReasonInvalidSpec && strings.Contains(e.Note, want) {
				return true, nil
			}
		}
		return false, fmt.Errorf("no Warning InvalidSpec event among %d events", len(list.Items))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Fixing the spec clears the failure.
	if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.JSONPatchType, `[{"op":"remove","path":"/spec/pod/env"}]`)); err != nil {
		t.Fatal(err)
	}
	nc = waitForStatus(t, key, reconciledAt(0, metav1.ConditionTrue, nacosv1alpha1.ReasonReconcileSucceeded))
	if nc.Status.Phase == nacosv1alpha1.PhaseFailed {
		t.Errorf("phase after the fix = %q, want it cleared", nc.Status.Phase)
	}
}

// Command manager runs the nacos-operator: the NacosCluster controller, its metrics and
// health endpoints, and (optionally) leader election.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/controllers"
	"github.com/nacos-operator/nacos-operator/internal/metrics"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// options are the manager's command-line flags.
type options struct {
	metricsAddr             string
	secureMetrics           bool
	enableHTTP2             bool
	probeAddr               string
	pprofAddr               string
	leaderElect             bool
	leaderElectNamespace    string
	watchNamespaces         string
	maxConcurrentReconciles int
	writerImage             string
	probePeriod             time.Duration
	nacosTimeout            time.Duration
	distroWindow            time.Duration
	zap                     zap.Options
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to (:8443 for HTTPS, :8080 for HTTP with --metrics-secure=false); 0 disables it.")
	fs.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, authenticated and authorized through the API server.")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false,
		"Allow HTTP/2 on the metrics server (off by default: HTTP/2 Rapid Reset, CVE-2023-44487).")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Address of Go's /debug/pprof endpoints, for profiling; empty disables them.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false,
		"Elect a leader so that only one of several manager replicas reconciles.")
	fs.StringVar(&o.leaderElectNamespace, "leader-election-namespace", "",
		"Namespace of the leader-election Lease; empty means the operator pod's own namespace (required outside a cluster).")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces to watch; empty watches all namespaces.")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 2,
		"How many NacosClusters are reconciled at the same time.")
	fs.StringVar(&o.writerImage, "writer-image", envOr("OPERATOR_IMAGE", "nacos-operator:latest"),
		"Image of the cluster.conf writer sidecar in member pods (the operator's own image; env OPERATOR_IMAGE).")
	fs.DurationVar(&o.probePeriod, "probe-period", 10*time.Second, "How often a healthy cluster's members are re-probed.")
	fs.DurationVar(&o.nacosTimeout, "nacos-timeout", 3*time.Second, "Timeout of each call to a member's Nacos API.")
	fs.DurationVar(&o.distroWindow, "distro-init-window", 2*time.Minute,
		"How long a member may load Distro data before diagnosis reports a fault instead of progress.")
	o.zap.Development = false
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("parse flags: %w", err)
	}
	if o.probePeriod <= 0 || o.nacosTimeout <= 0 {
		return o, fmt.Errorf("--probe-period and --nacos-timeout must be positive, got %s and %s", o.probePeriod, o.nacosTimeout)
	}
	if o.maxConcurrentReconciles < 1 {
		return o, fmt.Errorf("--max-concurrent-reconciles must be at least 1, got %d", o.maxConcurrentReconciles)
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// namespaces splits --watch-namespaces into a cache configuration (nil: all namespaces).
func (o options) namespaces() map[string]cache.Config {
	if strings.TrimSpace(o.watchNamespaces) == "" {
		return nil
	}
	out := map[string]cache.Config{}
	for _, ns := range strings.Split(o.watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			out[ns] = cache.Config{}
		}
	}
	return out
}

// cacheOptions: the watched namespaces, and informers narrowed to the operator's own objects
// (controllers.CacheByObject). Without the narrowing the binary cached every Pod and Secret
// of those namespaces: measured by make bench (test/cost), its memory doubled among 10,000
// unrelated objects, while the in-process tests, which set the narrowing themselves, did not show it.
func (o options) cacheOptions(podMonitors bool) cache.Options {
	return cache.Options{DefaultNamespaces: o.namespaces(), ByObject: controllers.CacheByObject(podMonitors)}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == writerCommand {
		err := runWriter(os.Args[2:])
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, writerCommand+":", err)
			os.Exit(2)
		}
		return
	}
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	if err := run(o); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(nacosv1alpha1.AddToScheme(scheme))
	utilruntime.Must(monitoringv1.AddToScheme(scheme))

	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	cfg := ctrl.GetConfigOrDie()
	podMonitors, err := controllers.PodMonitorServed(cfg)
	if err != nil {
		return fmt.Errorf("ask the API server whether it serves PodMonitors: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  o.probeAddr,
		PprofBindAddress:        o.pprofAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "nacos-operator.nacos.io",
		LeaderElectionNamespace: o.leaderElectNamespace,
		// A replica that stops cleanly hands the lease over at once instead of after it expires;
		// safe because run returns right after the manager stops.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         o.cacheOptions(podMonitors),
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}

	m, err := metrics.Default()
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	reconciler := &controllers.NacosClusterReconciler{
		Client:           mgr.GetClient(),
		SecretReader:     mgr.GetAPIReader(),
		Scheme:           mgr.GetScheme(),
		Recorder:         mgr.GetEventRecorder("nacos-operator"),
		Clock:            clock.RealClock{},
		Clients:          nacos.NewPool(nacos.Options{Timeout: o.nacosTimeout, Observe: m.NacosRequest}),
		Metrics:          m,
		WriterImage:      o.writerImage,
		ProbePeriod:      o.probePeriod,
		DistroInitWindow: o.distroWindow,
		PodMonitors:      podMonitors,
	}
	if err := reconciler.SetupWithManager(mgr, o.maxConcurrentReconciles); err != nil {
		return fmt.Errorf("set up NacosCluster controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("add healthz check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("add readyz check: %w", err)
	}
	ctrl.Log.Info("starting manager", "watchNamespaces", o.watchNamespaces, "maxConcurrentReconciles", o.maxConcurrentReconciles, "podMonitorsServed", podMonitors)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// Env is a running control plane.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a direct (uncached) client with the operator's scheme.
	Client client.Client
	// Scheme holds the built-in types and the NacosCluster API.
	Scheme *k8sruntime.Scheme
	// Kubeconfig is the path of an admin kubeconfig file, for kubectl and other processes.
	Kubeconfig string
	// Assets is the directory holding the control-plane binaries.
	Assets string

	env       *envtest.Environment
	kcm       *controllerManager
	dir       string
	restarted []*exec.Cmd // kube-apiservers RestartAPIServer started
}

// Options select what to start besides etcd and kube-apiserver.
type Options struct {
	// ControllerManager starts kube-controller-manager with the StatefulSet and
	// garbage-collector controllers, so StatefulSets create Pods and owner references delete.
	ControllerManager bool
	// CRDDirs are more CRD files or directories to install beside the NacosCluster's (such
	// as the prometheus-operator's, which make install-manifests generates).
	CRDDirs []string
}

// ErrNoAssets explains how to get the control-plane binaries.
var ErrNoAssets = errors.New("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, " +
	"or export KUBEBUILDER_ASSETS=$(hack/control-plane.sh)")

// RepoRoot is the checkout root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start starts the control plane with the NacosCluster CRD from config/crd/bases installed.
func Start(opts Options) (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, ErrNoAssets
	}
	scheme := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	if err := nacosv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	if err := monitoringv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	e := &Env{Scheme: scheme, Assets: assets}
	e.env = &envtest.Environment{
		CRDDirectoryPaths:     append([]string{filepath.Join(RepoRoot(), "config", "crd", "bases")}, opts.CRDDirs...),
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := e.env.Start()
	if err != nil {
		return nil, fmt.Errorf("start etcd and kube-apiserver from %s: %w", assets, err)
	}
	// Tests, the fake kubelet and several operators share this API server: no client-side
	// throttling, or waits would measure the rate limiter instead of the operator.
	cfg.QPS, cfg.Burst = 1000, 2000
	e.Config = cfg
	if err := e.setUp(opts); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) setUp(opts Options) error {
	var err error
	if e.Client, err = client.New(e.Config, client.Options{Scheme: e.Scheme}); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "nacos-operator-harness-"); err != nil {
		return fmt.Errorf("create harness dir: %w", err)
	}
	user, err := e.env.AddUser(envtest.User{Name: "harness-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("create admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("render admin kubeconfig: %w", err)
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write admin kubeconfig: %w", err)
	}
	if opts.ControllerManager {
		if e.kcm, err = startControllerManager(e.Assets, e.Kubeconfig, e.dir); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops every process the harness started and removes its files.
func (e *Env) Stop() error {
	var errs []error
	if e.kcm != nil {
		errs = append(errs, e.kcm.stop())
	}
	e.stopRestarted()
	if e.env != nil {
		errs = append(errs, e.env.Stop())
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

// ControllerManagerLog returns the end of kube-controller-manager's log (for failure messages).
func (e *Env) ControllerManagerLog() string {
	if e.kcm == nil {
		return "kube-controller-manager not started"
	}
	state := "running"
	select {
	case <-e.kcm.done:
		state = fmt.Sprintf("exited: %v", e.kcm.err)
	default:
	}
	return state + "\n" + tail(e.kcm.log.Name())
}

// CreateNamespace creates a namespace with a generated name for one test.
func (e *Env) CreateNamespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{}
	ns.GenerateName = prefix + "-"
	if err := e.Client.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("create namespace: %w", err)
	}
	return ns.Name, nil
}

// Eventually polls cond every interval until it returns true or the deadline passes; the
// last error cond returned explains a timeout. Tests use it instead of sleeping.
func Eventually(ctx context.Context, timeout time.Duration, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		// Keep the condition's reason, not the deadline's own error (a client's rate limiter
		// reports the coming deadline before ctx.Err() is set).
		if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "would exceed context deadline") {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("condition not met within %s: %w", timeout, last)
			}
			return fmt.Errorf("condition not met within %s", timeout)
		case <-tick.C:
		}
	}
}

// Holds checks cond every period for the whole window and returns its first error, with
// how long it had held: an observation that something stays so, not a wait.
func Holds(ctx context.Context, window, period time.Duration, cond func(context.Context) error) error {
	tick := time.NewTicker(period)
	defer tick.Stop()
	start := time.Now()
	for end := start.Add(window); time.Now().Before(end); {
		if err := cond(ctx); err != nil {
			return fmt.Errorf("no longer so after %s: %w", time.Since(start).Round(time.Millisecond), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cut short after %s: %w", time.Since(start).Round(time.Millisecond), ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// BuildOperator builds the operator binary (main.go) into dir and returns its path.
func BuildOperator(dir string) (string, error) {
	out := filepath.Join(dir, "manager")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build the operator: %w\n%s", err, b)
	}
	return out, nil
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// UpOptions are `sandbox up`'s flags.
type UpOptions struct {
	Dir      string
	Operator string // binary; built into Dir when empty
	Real     bool
	Sample   string // applied with kubectl once the operator runs; empty: none
}

// Up runs the sandbox for a person at a terminal until SIGINT or SIGTERM, then stops
// everything it started and removes its directory.
func Up(o UpOptions) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := os.Stdout
	s, op, err := launch(o, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, shutdown(s, op, o.Dir, log)) }()
	if o.Sample != "" {
		if err := s.Kubectl(ctx, "apply", "-f", o.Sample); err != nil {
			return err
		}
		start := time.Now()
		_, _ = fmt.Fprintf(log, "sandbox: applied %s; waiting for Ready\n", o.Sample)
		if err := s.WaitAllReady(ctx, "default", 10*time.Minute); err != nil {
			printNext(s, op)
			return err
		}
		_, _ = fmt.Fprintf(log, "sandbox: Ready after %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	printNext(s, op)
	<-ctx.Done()
	return nil
}

// launch starts the sandbox and the operator binary (built into the sandbox directory when
// o.Operator is empty); on an error nothing it started is left running.
func launch(o UpOptions, log io.Writer) (*Sandbox, *Operator, error) {
	s, err := Start(Options{Dir: o.Dir, Real: o.Real, ProbeScale: 0.2, Log: log})
	if err != nil {
		return nil, nil, err
	}
	binary := o.Operator
	if binary == "" {
		_, _ = fmt.Fprintln(log, "sandbox: building the operator binary")
		if binary, err = BuildOperator(s.Dir); err != nil {
			return nil, nil, errors.Join(err, s.Stop())
		}
	}
	if s.real != nil {
		s.real.SidecarBinary = binary // real members get their real sidecar, in their namespace
	}
	// The operator's normal flags, as a Deployment would give them; only the endpoints move
	// to loopback ports so that several sandboxes do not collide.
	op, err := s.StartOperator(binary, "operator")
	if err != nil {
		return nil, nil, errors.Join(err, s.Stop())
	}
	_, _ = fmt.Fprintf(log, "sandbox: operator running (pid %d, log %s)\n", op.Pid(), op.LogPath)
	return s, op, nil
}

func shutdown(s *Sandbox, op *Operator, dir string, log io.Writer) error {
	_, _ = fmt.Fprintln(log, "sandbox: stopping the operator, the members and the control plane")
	err := errors.Join(op.Stop(), s.Stop())
	if err == nil {
		_, _ = fmt.Fprintf(log, "sandbox: stopped; %s removed\n", dir)
	}
	return err
}

func printNext(s *Sandbox, op *Operator) {
	kubectl := filepath.Join(harness.RepoRoot(), "bin", "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		kubectl = filepath.Join(s.Env.Assets, "kubectl")
	}
	fmt.Printf(`
The sandbox runs until Ctrl-C. In another terminal:

  export KUBECONFIG=%s
  %s get nacos -w                        # NAME MODE REPLICAS READY DISTRO VERSION PHASE AGE
  %s describe nacos nacos                # conditions, members, diagnosis, events
  hack/sandbox fault nacos-1 distro-stuck   # or hang, partition, crash; then: heal
  %s annotate --overwrite nacos nacos nacos.io/restartedAt="$(date +%%s)"   # a gated rollout

Operator log: %s
`, s.Kubeconfig, kubectl, kubectl, kubectl, op.LogPath)
}

// Kubectl runs the control plane's kubectl with the sandbox's kubeconfig; a relative file
// argument is read from the checkout.
func (s *Sandbox) Kubectl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.Env.Assets, "kubectl"), append([]string{"--kubeconfig=" + s.Kubeconfig}, args...)...)
	cmd.Dir = harness.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl %v: %w\n%s", args, err, out)
	}
	return nil
}

// WaitAllReady waits until every NacosCluster of the namespace is Ready.
func (s *Sandbox) WaitAllReady(ctx context.Context, namespace string, timeout time.Duration) error {
	err := harness.Eventually(ctx, timeout, func(ctx context.Context) (bool, error) {
		list := &nacosv1alpha1.NacosClusterList{}
		if err := s.Env.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return false, fmt.Errorf("list NacosClusters: %w", err)
		}
		if len(list.Items) == 0 {
			return false, fmt.Errorf("no NacosCluster in %s", namespace)
		}
		for _, c := range list.Items {
			if c.Status.Phase != nacosv1alpha1.PhaseReady {
				return false, fmt.Errorf("%s is %s: %s", c.Name, c.Status.Phase, readyMessage(&c))
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for Ready: %w", err)
	}
	return nil
}

func readyMessage(c *nacosv1alpha1.NacosCluster) string {
	for _, cond := range c.Status.Conditions {
		if cond.Type == nacosv1alpha1.ConditionReady {
			return cond.Reason + ": " + cond.Message
		}
	}
	return "no Ready condition yet"
}

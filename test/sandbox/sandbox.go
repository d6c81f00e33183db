// Package sandbox runs the whole product on one machine: the local control plane (etcd,
// kube-apiserver, kube-controller-manager), the fake kubelet with simulated or real Nacos
// members, the CRD, and the operator binary as its own process with a kubeconfig. `make
// sandbox` runs it for people; the end-to-end tests (test/e2e) and the benchmarks drive it
// from Go. Everything it starts lives under one directory and stops with Stop.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

// Options say what to run.
type Options struct {
	// Dir holds the kubeconfig, the control socket, the logs and the pods' files; it is
	// created by Start and removed by Stop.
	Dir string
	// Real runs real Nacos JVMs in network namespaces (root, make nacos-server) instead of
	// simulated members.
	Real bool
	// Periods of the simulated members (sim.FastPeriods() when zero).
	Periods sim.Periods
	// ProbeScale multiplies the pods' probe periods (1 when zero); real members keep 1.
	ProbeScale float64
	// Log receives progress lines (io.Discard when nil).
	Log io.Writer
}

// Sandbox is a running control plane with a kubelet; operators are started on it with
// StartOperator.
type Sandbox struct {
	Env     *harness.Env
	Kubelet *harness.Kubelet
	// Kubeconfig is an admin kubeconfig under Dir, for kubectl and the operator.
	Kubeconfig string
	Dir        string

	opts    Options
	faults  *faultTable
	real    *realnacos.Runner
	network *realnacos.Network
	control *controlServer
	cancel  context.CancelFunc
	slot    *slot
}

// Start brings up the control plane (with the CRD installed) and the kubelet.
func Start(opts Options) (*Sandbox, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Dir == "" {
		return nil, errors.New("sandbox: Options.Dir is empty")
	}
	if err := claimDir(opts.Dir); err != nil {
		return nil, err
	}
	s := &Sandbox{Dir: opts.Dir, opts: opts, faults: newFaultTable()}
	if err := s.start(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Sandbox) start() error {
	started := time.Now()
	_, _ = fmt.Fprintln(s.opts.Log, "sandbox: starting etcd, kube-apiserver and kube-controller-manager")
	var err error
	if s.slot, err = claimSlot(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if s.Env, err = harness.Start(harness.Options{ControllerManager: true}); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.Kubeconfig = filepath.Join(s.Dir, "kubeconfig")
	data, err := os.ReadFile(s.Env.Kubeconfig)
	if err != nil {
		return fmt.Errorf("read admin kubeconfig: %w", err)
	}
	if err := os.WriteFile(s.Kubeconfig, data, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	runner, err := s.runner()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.Kubelet = &harness.Kubelet{Client: s.Env.Client, Runner: runner, Root: filepath.Join(s.Dir, "pods"),
		IPPrefix: s.slot.podIPPrefix(), EnforceProbes: true, ProbeScale: s.opts.ProbeScale, MaxGrace: 5 * time.Second}
	if s.opts.Real {
		s.Kubelet.ProbeScale, s.Kubelet.Period, s.Kubelet.MaxGrace = 1, 200*time.Millisecond, 30*time.Second
	}
	s.Kubelet.Start(ctx)
	if s.control, err = serveControl(s); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(s.opts.Log, "sandbox: control plane and kubelet up in %s\n", time.Since(started).Round(100*time.Millisecond))
	return nil
}

// runner is the simulated runner with the sandbox's faults, or the real one.
func (s *Sandbox) runner() (harness.Runner, error) {
	if !s.opts.Real {
		return harness.SimRunner{Periods: s.opts.Periods, Faults: s.faults.atStart}, nil
	}
	for _, v := range []string{"2.5.1", "3.0.3"} {
		if _, err := realnacos.ServerDir(v); err != nil {
			return nil, fmt.Errorf("NACOS=real needs the built servers (make nacos-server): %w", err)
		}
	}
	network, err := realnacos.NewNetwork(s.slot.network())
	if err != nil {
		return nil, fmt.Errorf("NACOS=real needs root and hack/netns-tools.sh: %w", err)
	}
	s.network = network
	s.real = &realnacos.Runner{Net: network}
	return s.real, nil
}

// Stop stops the kubelet's members, the control plane and the network, and removes Dir.
// Operators started with StartOperator must be stopped first (they are the caller's).
func (s *Sandbox) Stop() error {
	var errs []error
	if s.control != nil {
		errs = append(errs, s.control.close())
	}
	if s.cancel != nil {
		s.cancel()
		s.Kubelet.Wait()
	}
	if s.Env != nil {
		errs = append(errs, s.Env.Stop())
	}
	if s.network != nil {
		s.network.Close()
	}
	errs = append(errs, s.slot.release(), os.RemoveAll(s.Dir))
	return errors.Join(errs...)
}

// claimDir makes Dir, refusing one that a running sandbox owns and clearing one a crashed
// sandbox left.
func claimDir(dir string) error {
	if pid, alive := running(dir); alive {
		return fmt.Errorf("a sandbox is already running in %s (pid %d): stop it with Ctrl-C, or use another SANDBOX_DIR", dir, pid)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pid"), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o600); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RestartAPIServer stops kube-apiserver (SIGTERM, as a control-plane upgrade or a crashed
// master would), keeps it down for down, and starts it again with the same flags, certificates
// and etcd, so every client's kubeconfig still works. envtest's own restart would mint new
// certificates and drop the users it provisioned, which is not what a real restart does.
func (e *Env) RestartAPIServer(down time.Duration) error {
	certDir := e.env.ControlPlane.APIServer.CertDir
	pid, args, err := findProcess(filepath.Join(e.Assets, "kube-apiserver"), "--cert-dir="+certDir)
	if err != nil {
		return err
	}
	proc, _ := os.FindProcess(pid)
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	// It drains watches for up to a minute on SIGTERM; past 10 s it is killed, as a
	// crashed control plane node would be.
	if err := waitGone(pid, 10*time.Second); err != nil {
		_ = proc.Signal(syscall.SIGKILL)
		if err := waitGone(pid, 30*time.Second); err != nil {
			return err
		}
	}
	time.Sleep(down) // the outage itself: what the test measures the operator against
	cmd := exec.Command(args[0], args[1:]...)
	log, err := os.Create(filepath.Join(e.dir, "kube-apiserver-restarted.log"))
	if err != nil {
		return fmt.Errorf("create kube-apiserver log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kube-apiserver again: %w", err)
	}
	e.restarted = append(e.restarted, cmd)
	return nil
}

// stopRestarted ends the API servers RestartAPIServer started (envtest knows only its own).
func (e *Env) stopRestarted() {
	for _, cmd := range e.restarted {
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		EndGroup(cmd.Process.Pid, syscall.SIGTERM, done, 20*time.Second)
	}
}

// findProcess finds a running process of binary whose arguments include marker.
func findProcess(binary, marker string) (int, []string, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, nil, fmt.Errorf("list processes: %w", err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
		if args[0] != binary {
			continue
		}
		for _, a := range args[1:] {
			if a == marker {
				return pid, args, nil
			}
		}
	}
	return 0, nil, fmt.Errorf("no running %s with %s", binary, marker)
}

func waitGone(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond) // poll for the exit of a process that is not our child
	}
	return fmt.Errorf("kube-apiserver (pid %d) did not stop within %s", pid, timeout)
}

package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// controllerManager is a kube-controller-manager process.
type controllerManager struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	once sync.Once
	err  error
}

// startControllerManager runs only the controllers the operator relies on: the StatefulSet
// controller creates and replaces member pods and claims, the garbage collector honours owner
// references, and the claim-protection controller lets a claim go once no pod uses it. Leader election and serving are off: one process, nobody scrapes it.
func startControllerManager(assets, kubeconfig, dir string) (*controllerManager, error) {
	logPath := filepath.Join(dir, "kube-controller-manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create kube-controller-manager log: %w", err)
	}
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers=statefulset-controller,garbage-collector-controller,persistentvolumeclaim-protection-controller",
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-statefulset-syncs=5",
		"--v=1",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so a test that dies does not leave it running under a shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start kube-controller-manager: %w", err)
	}
	m := &controllerManager{cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() { m.err = cmd.Wait(); close(m.done) }()
	return m, nil
}

func (m *controllerManager) stop() error {
	var err error
	m.once.Do(func() {
		EndGroup(m.cmd.Process.Pid, syscall.SIGTERM, m.done, 10*time.Second)
		err = m.log.Close()
		var exitErr *exec.ExitError
		if m.err != nil && !errors.As(m.err, &exitErr) {
			err = errors.Join(err, m.err)
		}
	})
	return err
}

// tail returns the end of a log file, to explain a failed start.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.TrimSpace(b))
}

package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Operator is the operator binary running as its own process against the sandbox, with the
// flags a user gives it (plus local addresses for its metrics and health endpoints).
type Operator struct {
	Name string
	// Metrics is the URL of its Prometheus endpoint (plain HTTP on loopback).
	Metrics string
	// Health is the base URL of /healthz and /readyz.
	Health string
	// LogPath is its log file under the sandbox's Dir.
	LogPath string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	once sync.Once
	err  error
}

// BuildOperator builds the operator binary (main.go) into dir and returns its path.
func BuildOperator(dir string) (string, error) {
	bin, err := harness.BuildOperator(dir)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	return bin, nil
}

// StartOperator runs binary as the operator named name (its log file and leader-election
// identity), with the sandbox's kubeconfig and the given flags.
func (s *Sandbox) StartOperator(binary, name string, args ...string) (*Operator, error) {
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	health, err := freeAddr()
	if err != nil {
		return nil, err
	}
	o := &Operator{Name: name, Metrics: "http://" + metrics + "/metrics", Health: "http://" + health,
		LogPath: filepath.Join(s.Dir, name+".log"), done: make(chan struct{})}
	if o.log, err = os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, fmt.Errorf("open operator log: %w", err)
	}
	flags := append([]string{"--metrics-bind-address=" + metrics, "--metrics-secure=false",
		"--health-probe-bind-address=" + health}, args...)
	o.cmd = exec.Command(binary, flags...)
	o.cmd.Env = append(os.Environ(), "KUBECONFIG="+s.Kubeconfig)
	o.cmd.Stdout, o.cmd.Stderr = o.log, o.log
	// Its own process group, killed with the sandbox even if the sandbox itself is killed.
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := o.cmd.Start(); err != nil {
		_ = o.log.Close()
		return nil, fmt.Errorf("start operator %s: %w", binary, err)
	}
	go func() { o.err = o.cmd.Wait(); _ = o.log.Close(); close(o.done) }()
	if err := o.waitHealthy(60 * time.Second); err != nil {
		_ = o.Kill()
		return nil, err
	}
	return o, nil
}

// waitHealthy waits for /healthz, or for the process to exit.
func (o *Operator) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-o.done:
			return fmt.Errorf("operator %s exited at start (%w):\n%s", o.Name, o.err, o.Tail(4096))
		default:
		}
		if resp, err := c.Get(o.Health + "/healthz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond) // a poll interval: the deadline above bounds the wait
	}
	return fmt.Errorf("operator %s not healthy within %s:\n%s", o.Name, timeout, o.Tail(4096))
}

// Pid is the operator's process id.
func (o *Operator) Pid() int { return o.cmd.Process.Pid }

// Kill ends the operator at once (SIGKILL), as a node failure or the OOM killer would.
func (o *Operator) Kill() error { return o.end(syscall.SIGKILL) }

// Stop ends the operator as Kubernetes does (SIGTERM, SIGKILL after 10 s).
func (o *Operator) Stop() error { return o.end(syscall.SIGTERM) }

func (o *Operator) end(sig syscall.Signal) error {
	var err error
	o.once.Do(func() {
		harness.EndGroup(o.cmd.Process.Pid, sig, o.done, 10*time.Second)
		var exit *exec.ExitError
		if o.err != nil && !errors.As(o.err, &exit) {
			err = o.err
		}
	})
	return err
}

// Exited tells whether the process has ended, and how.
func (o *Operator) Exited() (bool, error) {
	select {
	case <-o.done:
		return true, o.err
	default:
		return false, nil
	}
}

// Tail is the end of the operator's log.
func (o *Operator) Tail(n int) string {
	b, err := os.ReadFile(o.LogPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// freeAddr picks a free loopback port for an endpoint of the operator.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

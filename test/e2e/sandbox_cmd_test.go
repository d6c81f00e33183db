package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// buildSandbox builds the sandbox command (make sandbox, make demo) for one test.
func buildSandbox(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sandbox")
	build := exec.Command("go", "build", "-o", bin, "./test/sandbox/cmd/sandbox")
	build.Dir = harness.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sandbox: %v\n%s", err, out)
	}
	return bin
}

// TestSandboxCommand runs `sandbox up` as a user does (make sandbox): it must bring the
// sample to Ready, let `sandbox fault` change what kubectl describe shows, and on Ctrl-C
// leave no process and no file behind, so that running it again works.
func TestSandboxCommand(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	bin := buildSandbox(t)
	dir := filepath.Join(t.TempDir(), "box")
	for run := 1; run <= 2; run++ {
		cmd, kubeconfig := sandboxUp(t, bin, dir)
		if run == 1 {
			faultShows(t, bin, dir, kubeconfig)
		}
		children := descendants(cmd.Process.Pid)
		if len(children) < 4 {
			t.Fatalf("run %d: want etcd, kube-apiserver, kube-controller-manager and the operator under the sandbox, found %v", run, children)
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: sandbox exited with %v after Ctrl-C", run, err)
			}
		case <-time.After(90 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("run %d: sandbox still running 90 s after Ctrl-C", run)
		}
		for _, pid := range children {
			if alive(pid) {
				t.Errorf("run %d: process %d (%s) outlived the sandbox", run, pid, cmdline(pid))
			}
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("run %d: %s left behind (%v)", run, dir, err)
		}
	}
}

// sandboxUp starts the command and waits for its "Ready after" line.
func sandboxUp(t *testing.T, bin, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "up", "--dir", dir, "--operator", binary)
	cmd.Dir = harness.RepoRoot()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var seen []string
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox exited before Ready:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if strings.HasPrefix(line, "sandbox: Ready after") {
				go func() { // keep draining, or the sandbox blocks on a full pipe
					for range lines {
					}
				}()
				return cmd, filepath.Join(dir, "kubeconfig")
			}
		case <-deadline:
			t.Fatalf("no Ready within 2m:\n%s", strings.Join(seen, "\n"))
		}
	}
}

// faultShows hangs nacos-1 with `sandbox fault` and waits for describe to name it.
func faultShows(t *testing.T, bin, dir, kubeconfig string) {
	t.Helper()
	fault := func(f string) string {
		out, err := exec.Command(bin, "fault", "--dir", dir, "nacos-1", f).CombinedOutput()
		if err != nil {
			t.Fatalf("sandbox fault %s: %v\n%s", f, err, out)
		}
		return string(out)
	}
	if out := fault("hang"); !strings.Contains(out, "nacos-1 hangs") {
		t.Fatalf("fault hang said %q", out)
	}
	describe := func() string {
		out, _ := exec.Command(filepath.Join(box.Env.Assets, "kubectl"), "--kubeconfig="+kubeconfig, "describe", "nacos", "nacos").CombinedOutput()
		return strings.Join(strings.Fields(string(out)), " ")
	}
	poll(t, 60*time.Second, func(context.Context) error {
		if d := describe(); !strings.Contains(d, "Code: Unreachable Message: the operator cannot reach nacos-1's Nacos API") {
			return fmt.Errorf("describe does not show nacos-1 unreachable yet")
		}
		return nil
	})
	fault("heal")
	poll(t, 60*time.Second, func(context.Context) error {
		if d := describe(); !strings.Contains(d, "Phase: Ready") || strings.Contains(d, "Code: Unreachable") {
			return fmt.Errorf("describe does not show the healed cluster Ready yet")
		}
		return nil
	})
}

// descendants lists every process below pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 {
			parent[p], _ = strconv.Atoi(fields[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

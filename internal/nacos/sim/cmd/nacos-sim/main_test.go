package main

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunRejectsBadInput(t *testing.T) {
	cases := map[string][]string{
		"member address":     {"--home", t.TempDir()},
		"must be host:port":  {"--address", "nohost", "--home", t.TempDir()},
		"Home (nacos.home)":  {"--address", "127.0.0.1:1"},
		"models 2.x and 3.x": {"--address", "127.0.0.1:1", "--home", t.TempDir(), "--version", "1.4.1"},
		"not defined":        {"--nope"},
	}
	for want, args := range cases {
		if err := run(args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run(%v) = %v, want an error containing %q", args, err, want)
		}
	}
}

// TestBinaryServesAndStopsOnSIGTERM runs the real binary as a process.
func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "nacos-sim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--address", "127.0.25.1:8848", "--home", t.TempDir(), "--standalone", "--fast")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	line, _ := bufio.NewReader(stderr).ReadString('\n')
	if !strings.Contains(line, "serving 127.0.25.1:8848") {
		t.Fatalf("first line %q", line)
	}
	var status int
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.25.1:8848/nacos/v1/console/health/readiness")
		if err == nil {
			status = resp.StatusCode
			_ = resp.Body.Close()
			if status == 200 {
				break
			}
		}
		<-time.After(20 * time.Millisecond)
	}
	if status != 200 {
		t.Fatalf("readiness of the standalone binary: %d", status)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The control socket lets `sandbox fault` reach the running sandbox: the members live in its
// process, so only it can change them. A Unix socket in Dir, owner-only like Dir itself.
const controlSocket = "control.sock"

type controlServer struct {
	srv *http.Server
	l   net.Listener
}

func serveControl(s *Sandbox) (*controlServer, error) {
	path := filepath.Join(s.Dir, controlSocket)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /fault", func(w http.ResponseWriter, r *http.Request) {
		f, err := ParseFault(r.FormValue("fault"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msg, err := s.Fault(r.FormValue("namespace"), r.FormValue("pod"), f)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		_, _ = io.WriteString(w, msg+"\n")
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, "pid %d\nkubeconfig %s\n", os.Getpid(), s.Kubeconfig)
		for _, f := range s.faults.active() {
			_, _ = fmt.Fprintf(w, "fault %s\n", f)
		}
	})
	c := &controlServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, l: l}
	go func() { _ = c.srv.Serve(l) }()
	return c, nil
}

func (c *controlServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("stop control socket: %w", err)
	}
	return nil
}

// controlClient talks to the sandbox that owns dir.
func controlClient(dir string) *http.Client {
	path := filepath.Join(dir, controlSocket)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

// SendFault asks the sandbox running in dir to apply a fault and returns what it did.
func SendFault(dir, namespace, pod string, f Fault) (string, error) {
	form := url.Values{"namespace": {namespace}, "pod": {pod}, "fault": {string(f)}}
	resp, err := controlClient(dir).PostForm("http://sandbox/fault", form)
	if err != nil {
		return "", fmt.Errorf("no sandbox answers in %s (start one with `make sandbox`): %w", dir, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(strings.TrimSpace(string(body)))
	}
	return strings.TrimSpace(string(body)), nil
}

// running tells whether a sandbox answers on dir's control socket, and its pid.
func running(dir string) (int, bool) {
	resp, err := controlClient(dir).Get("http://sandbox/status")
	if err != nil {
		return 0, false
	}
	_ = resp.Body.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, true
}

package podagent

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
)

const self = "nacos-1"

func members() ([]string, error) {
	return []string{"nacos-0.h.ns.svc.cluster.local:8848", "nacos-1.h.ns.svc.cluster.local:8848"}, nil
}

// refusing counts dials and refuses each, as a peer with nothing listening.
func refusing(n *atomic.Int64) peercheck.Dialer {
	return func(context.Context, string, string) (net.Conn, error) {
		n.Add(1)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
}

func get(t *testing.T, h http.Handler, target string) (*httptest.ResponseRecorder, Report) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	var r Report
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s: not a report: %v: %s", target, err, w.Body)
		}
	}
	return w, r
}

// A fresh read dials the other member's four ports (never its own), once per freshMin,
// and says what each returned; other paths and methods are not served.
func TestFreshReportDialsPeersOnce(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	var dials atomic.Int64
	a := &Agent{Self: self, Members: members, Period: time.Minute, Clock: clk,
		Checker: &peercheck.Checker{Dial: refusing(&dials), Timeout: time.Second, Clock: clk}}
	h := a.Handler()

	_, r := get(t, h, Path+"?fresh=true")
	if dials.Load() != 4 || len(r.Peers) != 4 || !r.PeerChecks || r.Logs || r.Pod != self {
		t.Fatalf("%d dials, report %+v: want the 4 ports of nacos-0, logs off", dials.Load(), r)
	}
	for _, c := range r.Peers {
		if c.Peer != "nacos-0.h.ns.svc.cluster.local" || c.Result != peercheck.Refused || c.Count != 1 {
			t.Errorf("check %+v: want nacos-0 refused once", c)
		}
	}
	get(t, h, Path+"?fresh=true")
	if dials.Load() != 4 {
		t.Fatalf("%d dials: a second fresh read within %s dialed again", dials.Load(), freshMin)
	}
	clk.Step(freshMin)
	_, r = get(t, h, Path+"?fresh=true")
	if dials.Load() != 8 || r.Peers[0].Count != 2 {
		t.Fatalf("%d dials, %+v: want a second round counted", dials.Load(), r.Peers[0])
	}
	get(t, h, Path)
	if dials.Load() != 8 {
		t.Fatal("a plain read dialed")
	}
	if w, _ := get(t, h, "/v1/other"); w.Code != http.StatusNotFound {
		t.Fatalf("other path: %d", w.Code)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, Path, nil))
	if w.Code == http.StatusOK {
		t.Fatal("POST served: the endpoint is read-only")
	}
}

// With logs on and no log directory yet (the member has not started), the report says so
// instead of failing; once the file appears its known lines are reported.
func TestReportSaysWhyLogsAreMissing(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	dir := filepath.Join(t.TempDir(), "logs")
	a := &Agent{Self: self, Clock: clk, Follower: memberlog.NewFollower(dir, clk)}
	h := a.Handler()
	_, r := get(t, h, Path+"?fresh=true")
	if !r.Logs || r.PeerChecks || len(r.LogEntries) != 0 {
		t.Fatalf("report %+v: want logs on, checks off, nothing read", r)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := time.Now().Format("2006-01-02 15:04:05,000") + " ERROR [DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from nacos-0.h.ns.svc.cluster.local:8848 failed.\n"
	if err := os.WriteFile(filepath.Join(dir, "protocol-distro.log"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	clk.Step(freshMin)
	_, r = get(t, h, Path+"?fresh=true")
	if len(r.LogEntries) != 1 || r.LogEntries[0].Code != memberlog.CodeDistroLoadFailed || r.LogEntries[0].Peer != "nacos-0.h.ns.svc.cluster.local:8848" {
		t.Fatalf("entries %+v (error %q): want the Distro line naming nacos-0", r.LogEntries, r.LogError)
	}
}

package nacos

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// fixture is one recorded HTTP answer (format in testdata/README.md).
type fixture struct {
	status      int
	contentType string
	body        []byte
}

func loadFixture(tb testing.TB, name string) fixture {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		tb.Fatalf("fixture %s: no blank line after the header", name)
	}
	lines := bytes.SplitN(head, []byte("\n"), 2)
	status, err := strconv.Atoi(string(lines[0]))
	if err != nil {
		tb.Fatalf("fixture %s: status line: %v", name, err)
	}
	f := fixture{status: status, body: bytes.TrimSuffix(body, []byte("\n"))}
	if len(lines) == 2 {
		f.contentType = string(lines[1])
	}
	return f
}

func (f fixture) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if f.contentType != "" {
		w.Header().Set("Content-Type", f.contentType)
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

// recorded is what the fake server saw of one request.
type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Form   url.Values
}

// fakeNacos is an httptest server that routes paths to fixtures or handlers and
// records every request. Unknown paths get common/not-found.http, as Nacos does.
type fakeNacos struct {
	tb  testing.TB
	srv *httptest.Server

	notFound fixture

	mu     sync.Mutex
	routes map[string]http.Handler
	reqs   []recorded
}

func newFakeNacos(tb testing.TB, routes map[string]string) *fakeNacos {
	tb.Helper()
	f := &fakeNacos{tb: tb, routes: map[string]http.Handler{}, notFound: loadFixture(tb, "common/not-found.http")}
	for path, name := range routes {
		f.routes[path] = loadFixture(tb, name)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeNacos) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Header: r.Header.Clone(), Form: r.PostForm,
	})
	h, ok := f.routes[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		h = f.notFound
	}
	h.ServeHTTP(w, r)
}

// serve routes path to a fixture file.
func (f *fakeNacos) serve(path, name string) {
	f.handle(path, loadFixture(f.tb, name))
}

// reset replaces every route, as when the member behind the address is replaced
// by another version.
func (f *fakeNacos) reset(routes map[string]string) {
	handlers := map[string]http.Handler{}
	for path, name := range routes {
		handlers[path] = loadFixture(f.tb, name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes = handlers
}

func (f *fakeNacos) handle(path string, h http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

func (f *fakeNacos) address() string {
	u, err := url.Parse(f.srv.URL)
	if err != nil {
		f.tb.Fatalf("parse server URL: %v", err)
	}
	return u.Host
}

func (f *fakeNacos) client(opts Options) *Client {
	return New(f.address(), opts)
}

// requests returns the recorded requests to path ("" for all), in arrival order.
func (f *fakeNacos) requests(path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Paths of both versions, for routes and assertions.
const (
	pathState2     = "/nacos/v1/console/server/state"
	pathState3     = "/nacos/v3/admin/core/state"
	pathLive2      = "/nacos/v1/console/health/liveness"
	pathLive3      = "/nacos/v3/admin/core/state/liveness"
	pathReady2     = "/nacos/v1/console/health/readiness"
	pathReady3     = "/nacos/v3/admin/core/state/readiness"
	pathMetricsV1  = "/nacos/v1/ns/operator/metrics"
	pathMetricsV3  = "/nacos/v3/admin/ns/ops/metrics"
	pathNodes2     = "/nacos/v1/core/cluster/nodes"
	pathNodes3     = "/nacos/v3/admin/core/cluster/node/list"
	pathSelf2      = "/nacos/v1/core/cluster/self"
	pathSelf3      = "/nacos/v3/admin/core/cluster/node/self"
	pathLogin2     = "/nacos/v1/auth/login"
	pathLogin3     = "/nacos/v3/auth/user/login"
	fixtureToken2  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTczNTcwNzYwMH0.c2lnbmF0dXJlLTI1MQ"
	fixtureToken3  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTczNTcwNzYwMH0.c2lnbmF0dXJlLTMwMw"
	memberAddress0 = "nacos-0.nacos-hs.demo.svc.cluster.local:8848"
	memberAddress1 = "nacos-1.nacos-hs.demo.svc.cluster.local:8848"
	memberAddress2 = "nacos-2.nacos-hs.demo.svc.cluster.local:8848"
	memberAddress3 = "nacos-3.nacos-hs.demo.svc.cluster.local:8848"
)

// scenario2 is a healthy 2.5.1 member; /nacos/v3/... answers 404 as on 2.x.
func scenario2() map[string]string {
	return map[string]string{
		pathState2:    "2.5.1/server-state.http",
		pathLive2:     "2.5.1/liveness.http",
		pathReady2:    "2.5.1/readiness-ready.http",
		pathMetricsV1: "2.5.1/metrics-up.http",
		pathNodes2:    "2.5.1/nodes.http",
		pathSelf2:     "2.5.1/self.http",
		pathLogin2:    "2.5.1/login-ok.http",
	}
}

// scenario3 is a healthy 3.0.3 member: 2.x cluster paths answer 410, 2.x health
// paths 404, and the v1 metrics endpoint still exists.
func scenario3() map[string]string {
	return map[string]string{
		pathState3:    "3.0.3/server-state.http",
		pathLive3:     "3.0.3/liveness.http",
		pathReady3:    "3.0.3/readiness-ready.http",
		pathMetricsV1: "3.0.3/metrics-v1-up.http",
		pathMetricsV3: "3.0.3/metrics-v3-up.http",
		pathNodes3:    "3.0.3/nodes.http",
		pathSelf3:     "3.0.3/self.http",
		pathLogin3:    "3.0.3/login-ok.http",
		pathNodes2:    "3.0.3/cluster-v1-gone.http",
	}
}

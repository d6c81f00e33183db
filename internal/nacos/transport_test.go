package nacos

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTimeoutIsKindTimeout(t *testing.T) {
	srv := newFakeNacos(t, scenario2())
	srv.handle(pathNodes2, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hold the answer until the client gives up
	}))
	c := srv.client(Options{Major: 2, Timeout: 100 * time.Millisecond})
	_, err := c.Members(t.Context())
	e := kindError(t, err, KindTimeout)
	if !errors.Is(err, context.DeadlineExceeded) || e.StatusCode != 0 || e.Path != pathNodes2 {
		t.Errorf("error = %+v", e)
	}
}

// A real 2.5.1 member with embedded storage and its Raft port dropped answers readiness
// after 5.0 s: the client waits for it (readinessTimeout) past its usual per-request timeout,
// so the operator quotes Nacos instead of calling the member unreachable.
func TestSlowReadinessIsAnsweredNotTimedOut(t *testing.T) {
	srv := newFakeNacos(t, scenario2())
	srv.handle(pathReady2, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-time.After(300 * time.Millisecond) // the Raft read's wait, scaled down
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("config not in readiness"))
	}))
	r, err := srv.client(Options{Major: 2, Timeout: 100 * time.Millisecond}).Readiness(t.Context())
	if err != nil || r.Ready || r.Message != "config not in readiness" {
		t.Fatalf("readiness = %+v, %v; want Nacos's slow answer", r, err)
	}
}

func TestCancelledParentIsUnreachableAndKeepsTheCause(t *testing.T) {
	srv := newFakeNacos(t, scenario2())
	ctx, cancel := context.WithCancel(t.Context())
	srv.handle(pathReady2, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}))
	_, err := srv.client(Options{Major: 2}).Readiness(ctx)
	mustKind(t, err, KindUnreachable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestConnectionRefusedIsUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	c := New(addr, Options{})
	_, err = c.Members(t.Context())
	e := kindError(t, err, KindUnreachable)
	if e.Op != opDetect || e.Path != pathState3 || e.StatusCode != 0 || e.Err == nil {
		t.Errorf("error = %+v", e)
	}
	if err := c.Liveness(t.Context()); KindOf(err) != KindUnreachable {
		t.Errorf("Liveness error = %v", err)
	}
}

func TestServerAndUnexpectedStatuses(t *testing.T) {
	text := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	srv := newFakeNacos(t, scenario2())
	c := srv.client(Options{Major: 2})

	srv.handle(pathReady2, text(502, "Bad Gateway"))
	_, err := c.Readiness(t.Context())
	if e := kindError(t, err, KindServerError); e.StatusCode != 502 || e.Message != "Bad Gateway" {
		t.Errorf("readiness 502 = %+v", e)
	}

	srv.handle(pathMetricsV1, text(503, "upstream connect error or disconnect/reset before headers"))
	_, err = c.NamingStatus(t.Context())
	if e := kindError(t, err, KindServerError); e.StatusCode != 503 {
		t.Errorf("naming 503 without Nacos text = %+v", e)
	}

	srv.handle(pathNodes2, text(400, `{"code":23000,"message":"illegal state","data":"Illegal state: FOO"}`))
	_, err = c.Members(t.Context())
	if e := kindError(t, err, KindUnexpectedStatus); e.StatusCode != 400 || e.Message != "illegal state" {
		t.Errorf("members 400 = %+v", e)
	}

	srv.handle(pathNodes2, text(200, `{"code":500,"message":"cluster not ready","data":null}`))
	_, err = c.Members(t.Context())
	if e := kindError(t, err, KindUnexpectedStatus); e.StatusCode != 200 || e.Message != "cluster not ready (code 500)" {
		t.Errorf("members envelope code 500 = %+v", e)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed to %s with identity %q", r.URL.Path, r.Header.Get("serverIdentity"))
	}))
	t.Cleanup(elsewhere.Close)
	srv := newFakeNacos(t, scenario2())
	srv.handle(pathNodes2, http.RedirectHandler(elsewhere.URL+"/steal", http.StatusFound))
	c := srv.client(Options{Major: 2, Auth: Auth{IdentityKey: "serverIdentity", IdentityValue: "v"}})
	_, err := c.Members(t.Context())
	if e := kindError(t, err, KindUnexpectedStatus); e.StatusCode != 302 {
		t.Errorf("error = %+v", e)
	}
}

func TestBodiesLargerThanOneMiB(t *testing.T) {
	big := func(status int, prefix string, fill byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(prefix))
			_, _ = w.Write([]byte(strings.Repeat(string(fill), 2<<20)))
		})
	}
	srv := newFakeNacos(t, scenario2())
	c := srv.client(Options{Major: 2})

	srv.handle(pathNodes2, big(200, `{"code":200,"message":null,"data":[{"ip":"`, 'a'))
	_, err := c.Members(t.Context())
	if e := kindError(t, err, KindMalformedBody); !strings.Contains(e.Error(), "larger than 1 MiB") {
		t.Errorf("error = %v", e)
	}

	srv.handle(pathReady2, big(500, "naming not in readiness ", 'x'))
	r, err := c.Readiness(t.Context())
	if err != nil || r.Ready || len(r.Message) > maxMessageLen ||
		!strings.HasPrefix(r.Message, "naming not in readiness xxx") || !strings.HasSuffix(r.Message, "...") {
		t.Errorf("readiness = %+v (%d bytes), %v", r, len(r.Message), err)
	}

	srv.handle(pathSelf2, big(403, "user not found! ", 'y'))
	_, err = c.Self(t.Context())
	if e := kindError(t, err, KindAuthRefused); len(e.Message) > maxMessageLen {
		t.Errorf("message of %d bytes", len(e.Message))
	}
}

func TestUserAgentNeverClaimsToBeAPeer(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"", DefaultUserAgent},
		{"Nacos-Server:v2.5.1", DefaultUserAgent},
		{"nacos-server", DefaultUserAgent},
		{"my-operator/1.2", "my-operator/1.2"},
	} {
		srv := newFakeNacos(t, scenario2())
		srv.serve(pathMetricsV1, "2.5.1/metrics-down-detail.http")
		ns, err := srv.client(Options{Major: 2, UserAgent: tc.set}).NamingStatus(t.Context())
		if err != nil || ns.Message != distroDetail {
			t.Errorf("UA %q: NamingStatus = %+v, %v", tc.set, ns, err)
		}
		if got := srv.requests(pathMetricsV1)[0].Header.Get("User-Agent"); got != tc.want {
			t.Errorf("UA %q sent as %q, want %q", tc.set, got, tc.want)
		}
	}
}

func TestPoolKeepsOneClientPerAddress(t *testing.T) {
	p := NewPool(Options{Timeout: time.Second})
	a, b := p.For("nacos-0:8848", Auth{}), p.For("nacos-1:8848", Auth{})
	if a == b || p.For("nacos-0:8848", Auth{}) != a || a.Address() != "nacos-0:8848" {
		t.Fatalf("pool returned %p %p %p", a, b, p.For("nacos-0:8848", Auth{}))
	}
	if a.http != b.http || a.opts.Timeout != time.Second {
		t.Errorf("clients do not share the pool's HTTP client and options")
	}
}

func TestErrorStringFormats(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: KindAuthRefused, Op: "read member list", Method: "GET", Path: "/nacos/v1/core/cluster/nodes",
			StatusCode: 403, Message: "user not found!"},
			"read member list: GET /nacos/v1/core/cluster/nodes: AuthRefused (HTTP 403): user not found!"},
		{&Error{Kind: KindUnreachable, Op: "check liveness", Method: "GET", Path: "/p", Err: errors.New("connection refused")},
			"check liveness: Unreachable: connection refused"},
		{&Error{Kind: KindMalformedBody, StatusCode: 200, Err: errors.New(`field "port" is string, want integer`)},
			`MalformedBody (HTTP 200): field "port" is string, want integer`},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if KindOf(errors.New("plain")) != "" || KindOf(nil) != "" {
		t.Errorf("KindOf of a foreign error is not empty")
	}
}

func TestStripQueries(t *testing.T) {
	got := stripQueries(`Get "http://h:8848/nacos/v1/core/cluster/nodes?accessToken=abc&x=1": dial tcp: refused; see https://x/y?z`)
	want := `Get "http://h:8848/nacos/v1/core/cluster/nodes": dial tcp: refused; see https://x/y`
	if got != want {
		t.Errorf("stripQueries = %q, want %q", got, want)
	}
}

func TestInvalidAddressIsAnErrorNotAPanic(t *testing.T) {
	c := New("bad host:port/with spaces", Options{Major: 2})
	err := c.Liveness(t.Context())
	if e := kindError(t, err, KindUnreachable); e.Path != pathLive2 {
		t.Errorf("error = %+v", e)
	}
}

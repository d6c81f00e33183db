package nacos

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

func TestIdentityHeaderOnEveryRequestAndNoLogin(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{Auth: Auth{
				IdentityKey: "serverIdentity", IdentityValue: "identity-secret",
				Username: "nacos", Password: "never-used-pw",
			}})
			ctx := t.Context()
			if _, err := c.Members(ctx); err != nil {
				t.Fatalf("Members: %v", err)
			}
			if _, err := c.Self(ctx); err != nil {
				t.Fatalf("Self: %v", err)
			}
			if _, err := c.NamingStatus(ctx); err != nil {
				t.Fatalf("NamingStatus: %v", err)
			}
			if _, err := c.Readiness(ctx); err != nil {
				t.Fatalf("Readiness: %v", err)
			}
			reqs := srv.requests("")
			if len(reqs) < 5 {
				t.Fatalf("only %d requests", len(reqs))
			}
			for _, r := range reqs {
				if r.Path == tc.login {
					t.Errorf("logged in although an identity is configured")
				}
				if got := r.Header.Get("serverIdentity"); got != "identity-secret" {
					t.Errorf("%s: identity header = %q", r.Path, got)
				}
				if r.Query.Has("accessToken") {
					t.Errorf("%s: carries an access token", r.Path)
				}
			}
		})
	}
}

func TestTokenCachedUntilNinetyPercentOfTTL(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := testingclock.NewFakePassiveClock(start)
	srv := newFakeNacos(t, scenario3())
	c := srv.client(Options{Major: 3, Clock: clk, Auth: Auth{Username: "nacos", Password: "pw-ttl"}})
	ctx := t.Context()

	// Unsecured endpoints never need a token.
	if _, err := c.NamingStatus(ctx); err != nil {
		t.Fatalf("NamingStatus: %v", err)
	}
	if _, err := c.Readiness(ctx); err != nil {
		t.Fatalf("Readiness: %v", err)
	}
	if n := len(srv.requests(pathLogin3)); n != 0 {
		t.Fatalf("%d logins for unsecured endpoints", n)
	}

	logins := func() int { return len(srv.requests(pathLogin3)) }
	for range 3 {
		if _, err := c.Members(ctx); err != nil {
			t.Fatalf("Members: %v", err)
		}
	}
	if logins() != 1 {
		t.Fatalf("%d logins for 3 calls, want 1", logins())
	}
	// tokenTtl is 18000 s: the token is reused up to 16200 s (90%) after login.
	clk.SetTime(start.Add(16199 * time.Second))
	if _, err := c.Self(ctx); err != nil {
		t.Fatalf("Self: %v", err)
	}
	if logins() != 1 {
		t.Fatalf("logged in again before 90%% of the TTL")
	}
	clk.SetTime(start.Add(16200 * time.Second))
	if _, err := c.Members(ctx); err != nil {
		t.Fatalf("Members: %v", err)
	}
	if logins() != 2 {
		t.Fatalf("%d logins after 90%% of the TTL, want 2", logins())
	}
	for _, r := range srv.requests(pathNodes3) {
		if r.Query.Get("accessToken") != fixtureToken3 {
			t.Errorf("member list sent token %q", r.Query.Get("accessToken"))
		}
	}
}

// tokenServer issues tok-1, tok-2, ... and accepts on the member list only the
// tokens in valid; refuse empties valid, as a restart with a new secret would.
type tokenServer struct {
	mu     sync.Mutex
	issued int
	valid  map[string]bool
	accept bool // false: refuse every token
}

func (s *tokenServer) login(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.issued++
	token := fmt.Sprintf("tok-%d", s.issued)
	s.valid[token] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"accessToken":%q,"tokenTtl":18000,"globalAdmin":true,"username":"nacos"}`, token)
}

func (s *tokenServer) refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.valid = map[string]bool{}
}

func (s *tokenServer) secured(ok, forbidden fixture) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		allowed := s.accept && s.valid[r.URL.Query().Get("accessToken")]
		s.mu.Unlock()
		if allowed {
			ok.ServeHTTP(w, r)
			return
		}
		forbidden.ServeHTTP(w, r)
	})
}

func newTokenNacos(t *testing.T, accept bool) (*fakeNacos, *tokenServer) {
	srv := newFakeNacos(t, scenario2())
	ts := &tokenServer{valid: map[string]bool{}, accept: accept}
	srv.handle(pathLogin2, http.HandlerFunc(ts.login))
	srv.handle(pathNodes2, ts.secured(loadFixture(t, "2.5.1/nodes.http"), loadFixture(t, "2.5.1/forbidden.http")))
	return srv, ts
}

type call struct{ path, token string }

func calls(reqs []recorded) []call {
	out := make([]call, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, call{r.Path, r.Query.Get("accessToken")})
	}
	return out
}

func TestForbiddenCachedTokenReloginsOnceAndRetries(t *testing.T) {
	srv, ts := newTokenNacos(t, true)
	c := srv.client(Options{Major: 2, Auth: Auth{Username: "nacos", Password: "pw-relogin"}})
	if _, err := c.Members(t.Context()); err != nil {
		t.Fatalf("first Members: %v", err)
	}
	ts.refuse()
	members, err := c.Members(t.Context())
	if err != nil || len(members) != 3 {
		t.Fatalf("Members after the token was revoked = %d members, %v", len(members), err)
	}
	want := []call{{pathLogin2, ""}, {pathNodes2, "tok-1"}, {pathNodes2, "tok-1"}, {pathLogin2, ""}, {pathNodes2, "tok-2"}}
	if got := calls(srv.requests("")); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func TestForbiddenAfterReloginIsNotRetriedAgain(t *testing.T) {
	srv, ts := newTokenNacos(t, true)
	c := srv.client(Options{Major: 2, Auth: Auth{Username: "nacos", Password: "pw-relogin"}})
	if _, err := c.Members(t.Context()); err != nil {
		t.Fatalf("first Members: %v", err)
	}
	ts.mu.Lock()
	ts.accept = false
	ts.mu.Unlock()
	_, err := c.Members(t.Context())
	if e := kindError(t, err, KindAuthRefused); e.Message != "user not found!" {
		t.Errorf("error = %+v", e)
	}
	want := []call{{pathLogin2, ""}, {pathNodes2, "tok-1"}, {pathNodes2, "tok-1"}, {pathLogin2, ""}, {pathNodes2, "tok-2"}}
	if got := calls(srv.requests("")); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want exactly one relogin and one retry %v", got, want)
	}
}

func TestForbiddenFreshTokenIsNotRetried(t *testing.T) {
	srv, _ := newTokenNacos(t, false)
	c := srv.client(Options{Major: 2, Auth: Auth{Username: "nacos", Password: "pw-fresh"}})
	_, err := c.Members(t.Context())
	mustKind(t, err, KindAuthRefused)
	want := []call{{pathLogin2, ""}, {pathNodes2, "tok-1"}}
	if got := calls(srv.requests("")); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	const password, identity = "P@ssw0rd-0f-nacos", "identity-value-42"
	echo := func(status int, text string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(text))
		})
	}
	check := func(t *testing.T, err error, secrets ...string) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks %q: %s", s, err)
			}
		}
		if strings.Contains(err.Error(), "?") || strings.Contains(err.Error(), "accessToken") {
			t.Errorf("error carries a query string: %s", err)
		}
	}

	t.Run("password echoed by a refused login", func(t *testing.T) {
		srv := newFakeNacos(t, scenario2())
		srv.handle(pathLogin2, echo(403, "user nacos with password "+password+" not found!"))
		_, err := srv.client(Options{Major: 2, Auth: Auth{Username: "nacos", Password: password}}).Members(t.Context())
		check(t, err, password)
		if e := kindError(t, err, KindAuthRefused); e.Message != "login refused: user nacos with password [redacted] not found!" {
			t.Errorf("message = %q", e.Message)
		}
	})
	t.Run("identity value echoed by a 403", func(t *testing.T) {
		srv := newFakeNacos(t, scenario2())
		srv.handle(pathNodes2, echo(403, `{"status":403,"error":"Forbidden","message":"identity `+identity+` refused"}`))
		_, err := srv.client(Options{Major: 2, Auth: Auth{IdentityKey: "serverIdentity", IdentityValue: identity}}).Members(t.Context())
		check(t, err, identity)
		mustKind(t, err, KindAuthRefused)
	})
	t.Run("token echoed by a 500 and carried by a timeout", func(t *testing.T) {
		srv := newFakeNacos(t, scenario2())
		srv.handle(pathNodes2, echo(500, "bad token "+fixtureToken2))
		srv.handle(pathSelf2, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		c := srv.client(Options{Major: 2, Timeout: 200 * time.Millisecond, Auth: Auth{Username: "nacos", Password: password}})
		_, err := c.Members(t.Context())
		check(t, err, fixtureToken2, password)
		mustKind(t, err, KindServerError)
		_, err = c.Self(t.Context())
		check(t, err, fixtureToken2, password)
		mustKind(t, err, KindTimeout)
	})
	t.Run("token in the URL of a refused connection", func(t *testing.T) {
		srv := newFakeNacos(t, scenario2())
		c := srv.client(Options{Major: 2, Auth: Auth{Username: "nacos", Password: password}})
		if _, err := c.Members(t.Context()); err != nil {
			t.Fatalf("Members: %v", err)
		}
		srv.srv.Close()
		_, err := c.Members(t.Context())
		check(t, err, fixtureToken2, password)
		mustKind(t, err, KindUnreachable)
	})
}

func TestNamingFallbackToV3LogsInOnlyForV3(t *testing.T) {
	srv := newFakeNacos(t, scenario3())
	srv.serve(pathMetricsV1, "3.0.3/metrics-v1-gone.http")
	srv.serve(pathMetricsV3, "3.0.3/metrics-v3-down.http")
	c := srv.client(Options{Major: 3, Auth: Auth{Username: "nacos", Password: "pw-v3"}})
	ns, err := c.NamingStatus(t.Context())
	if err != nil || ns != (NamingStatus{Status: "DOWN"}) {
		t.Fatalf("NamingStatus = %+v, %v", ns, err)
	}
	want := []call{{pathMetricsV1, ""}, {pathLogin3, ""}, {pathMetricsV3, fixtureToken3}}
	if got := calls(srv.requests("")); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

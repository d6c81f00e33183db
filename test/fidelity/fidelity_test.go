package fidelity

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// compareWithSimulator puts simulated members in the state of a real record, runs the same
// calls and fails on every difference that is not a documented one (known).
func compareWithSimulator(t *testing.T, version string, real Saved) {
	t.Helper()
	st, ok := StateNamed(real.State)
	if !ok {
		t.Fatalf("recorded state %q is not in States()", real.State)
	}
	simulated, err := SimRecord(t.Context(), version, t.TempDir(), st)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Compare(real, simulated) {
		if why, ok := Tolerated(known, real.State, d); ok {
			t.Logf("known difference: %s (%s)", d, why)
			continue
		}
		t.Errorf("%s %s: %s", version, real.State, d)
	}
}

// recorded loads every recorded state of a version; a missing directory fails the test (the
// records are committed; make test-nacos with NACOS_RECORD=1 renews them).
func recorded(t *testing.T, version string) []Saved {
	t.Helper()
	var out []Saved
	for _, st := range States() {
		s, err := LoadSaved(FixtureDir(version), st.Name)
		if err != nil {
			t.Fatalf("recorded real answers of %s %s: %v", version, st.Name, err)
		}
		out = append(out, s)
	}
	return out
}

// TestSimulatorMatchesRecordedReal is the differential test without a real server: the
// simulator in each state against what the real server answered in it.
func TestSimulatorMatchesRecordedReal(t *testing.T) {
	for _, v := range Versions {
		for _, s := range recorded(t, v) {
			t.Run(v+"/"+s.State, func(t *testing.T) { compareWithSimulator(t, v, s) })
		}
	}
}

// TestClientReadsRecordedReal replays the real answers of each state to the operator's
// client: it must make of them exactly what it made of the live server.
func TestClientReadsRecordedReal(t *testing.T) {
	for _, v := range Versions {
		for _, s := range recorded(t, v) {
			t.Run(v+"/"+s.State, func(t *testing.T) {
				dial := replay(t, Major(v), s)
				got := viewOf(t.Context(), dial, Major(v))
				if s.Login != nil {
					st, _ := StateNamed(s.State)
					got = view(t.Context(), nacos.New(dial, nacos.Options{Major: Major(v), Auth: nacos.Auth{Username: st.Cred.Username, Password: st.Cred.Password}}))
				}
				if !reflect.DeepEqual(got, s.View) {
					t.Errorf("client view of the replayed %s %s:\n got  %+v\n want %+v", v, s.State, got, s.View)
				}
			})
		}
	}
}

// replay serves a record's answers by path (the credentialed answer to a request with the
// identity header or a token, the "-bare" one otherwise). A record of a member that did not
// answer at all is replayed as a closed port.
func replay(t *testing.T, major int, s Saved) string {
	t.Helper()
	byPath := map[string]map[bool]Answer{}
	answered := false
	for _, c := range Calls(major) {
		a, ok := s.Answers[c.Name]
		if !ok {
			continue
		}
		answered = answered || a.Error == ""
		if byPath[c.Path] == nil {
			byPath[c.Path] = map[bool]Answer{}
		}
		byPath[c.Path][c.Secured] = a
	}
	if !answered {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close() // nothing listens there now: connection refused, as from the real member
		return addr
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Login != nil && strings.Contains(r.URL.Path, "login") {
			write(w, *s.Login)
			return
		}
		answers, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		creds := r.Header.Get(AuthValues.IdentityKey) != "" || r.URL.Query().Get("accessToken") != "" || r.Header.Get("accessToken") != ""
		a, ok := answers[creds]
		if !ok {
			a = answers[!creds]
		}
		write(w, a)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func write(w http.ResponseWriter, a Answer) {
	if a.Error != "" {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
		return
	}
	if a.ContentType != "" {
		w.Header().Set("Content-Type", a.ContentType)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}

var _ = os.Getenv
var _ = context.Background

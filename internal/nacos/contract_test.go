package nacos

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Contract tests run the real Client over HTTP against fixture servers of both
// majors and check the decoded values and error kinds.

type majorCase struct {
	name    string
	major   int
	version string
	routes  func() map[string]string
	dir     string // fixture directory
	// paths the client must use on this major
	nodes, self, login, ready string
	statePaths                []string // detection sequence
	authEnabled               bool     // auth_enabled in the state fixture
	order                     []string // member addresses in nodes.http order
	forbiddenMessage          string   // message of forbidden.http
}

func majorCases() []majorCase {
	return []majorCase{{
		name: "2.5.1", major: 2, version: "2.5.1", routes: scenario2, dir: "2.5.1/",
		nodes: pathNodes2, self: pathSelf2, login: pathLogin2, ready: pathReady2,
		statePaths:       []string{pathState3, pathState2},
		order:            []string{memberAddress0, memberAddress1, memberAddress2},
		forbiddenMessage: "user not found!",
	}, {
		name: "3.0.3", major: 3, version: "3.0.3", routes: scenario3, dir: "3.0.3/",
		nodes: pathNodes3, self: pathSelf3, login: pathLogin3, ready: pathReady3,
		statePaths:       []string{pathState3},
		authEnabled:      true,
		order:            []string{memberAddress1, memberAddress0, memberAddress2},
		forbiddenMessage: "Code: 401, Message: user not found!.",
	}}
}

func requestPaths(reqs []recorded) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Path)
	}
	return out
}

// mustKind fails the test unless err is an *Error of kind want.
func mustKind(t *testing.T, err error, want ErrorKind) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != want {
		t.Fatalf("kind = %q, want %q (err: %v)", KindOf(err), want, err)
	}
}

// kindError is mustKind returning the *Error for further checks.
func kindError(t *testing.T, err error, want ErrorKind) *Error {
	t.Helper()
	mustKind(t, err, want)
	var e *Error
	errors.As(err, &e)
	return e
}

func TestContractServerStateAndDetection(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{})
			st, err := c.ServerState(t.Context())
			if err != nil {
				t.Fatalf("ServerState: %v", err)
			}
			if st.Version != tc.version || st.Major != tc.major || st.StartupMode != "cluster" ||
				st.FunctionMode != "" || st.DatasourcePlatform != "mysql" || st.AuthEnabled != tc.authEnabled {
				t.Errorf("state = %+v", st)
			}
			if _, ok := st.Raw["function_mode"]; ok {
				t.Errorf("null function_mode kept in Raw: %q", st.Raw["function_mode"])
			}
			if st.Raw["server_port"] != "8848" {
				t.Errorf("Raw[server_port] = %q", st.Raw["server_port"])
			}
			if got := requestPaths(srv.requests("")); !slices.Equal(got, tc.statePaths) {
				t.Errorf("requests = %v, want %v", got, tc.statePaths)
			}
			major, err := c.Major(t.Context())
			if err != nil || major != tc.major {
				t.Fatalf("Major = %d, %v", major, err)
			}
			if n := len(srv.requests("")); n != len(tc.statePaths) {
				t.Errorf("Major after ServerState sent %d more requests, want the cached value", n-len(tc.statePaths))
			}
		})
	}
}

func TestContractHealth(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{})
			if err := c.Liveness(t.Context()); err != nil {
				t.Fatalf("Liveness: %v", err)
			}
			r, err := c.Readiness(t.Context())
			if err != nil || r != (Readiness{Ready: true}) {
				t.Fatalf("Readiness = %+v, %v; want ready", r, err)
			}
			srv.serve(tc.ready, tc.dir+"readiness-not-ready.http")
			r, err = c.Readiness(t.Context())
			if err != nil || r != (Readiness{Message: "naming not in readiness"}) {
				t.Fatalf("Readiness = %+v, %v; want not ready with Nacos's message", r, err)
			}
			if got := len(srv.requests(tc.ready)); got != 2 {
				t.Errorf("%s requested %d times, want 2", tc.ready, got)
			}
		})
	}
}

const distroDetail = "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."

func TestContractNamingStatus2(t *testing.T) {
	cases := []struct{ fixture, status, message string }{
		{"2.5.1/metrics-up.http", "UP", ""},
		{"2.5.1/metrics-down-detail.http", "DOWN", distroDetail},
		{"2.5.1/metrics-down-no-detail.http", "DOWN", ""},
		{"2.4.1/metrics-down-optional.http", "DOWN", "No leader for raft group naming_persistent_service, " +
			"please see logs `alipay-jraft.log` or `naming-raft.log` to see details."},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			srv := newFakeNacos(t, scenario2())
			srv.serve(pathMetricsV1, tc.fixture)
			ns, err := srv.client(Options{Major: 2}).NamingStatus(t.Context())
			if err != nil || ns != (NamingStatus{Status: tc.status, Message: tc.message}) {
				t.Fatalf("NamingStatus = %+v, %v", ns, err)
			}
			reqs := srv.requests(pathMetricsV1)
			if len(reqs) != 1 || reqs[0].Query.Get("onlyStatus") != "true" {
				t.Fatalf("metrics requests = %+v", reqs)
			}
			if ua := reqs[0].Header.Get("User-Agent"); ua != DefaultUserAgent {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

func TestContractNamingStatus3(t *testing.T) {
	cases := []struct {
		name, v1, v3    string
		status, message string
		wantPaths       []string
	}{
		{"v1 up", "3.0.3/metrics-v1-up.http", "", "UP", "", []string{pathMetricsV1}},
		{"v1 down with detail", "3.0.3/metrics-v1-down-detail.http", "", "DOWN", distroDetail, []string{pathMetricsV1}},
		{"v1 gone, v3 up", "3.0.3/metrics-v1-gone.http", "3.0.3/metrics-v3-up.http", "UP", "", []string{pathMetricsV1, pathMetricsV3}},
		{"v1 gone, v3 down", "3.0.3/metrics-v1-gone.http", "3.0.3/metrics-v3-down.http", "DOWN", "", []string{pathMetricsV1, pathMetricsV3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, scenario3())
			srv.serve(pathMetricsV1, tc.v1)
			if tc.v3 != "" {
				srv.serve(pathMetricsV3, tc.v3)
			}
			c := srv.client(Options{Major: 3, Auth: Auth{IdentityKey: "serverIdentity", IdentityValue: "id-value-3"}})
			ns, err := c.NamingStatus(t.Context())
			if err != nil || ns != (NamingStatus{Status: tc.status, Message: tc.message}) {
				t.Fatalf("NamingStatus = %+v, %v", ns, err)
			}
			reqs := srv.requests("")
			if got := requestPaths(reqs); !slices.Equal(got, tc.wantPaths) {
				t.Fatalf("requests = %v, want %v", got, tc.wantPaths)
			}
			last := reqs[len(reqs)-1]
			if last.Query.Get("onlyStatus") != "true" || last.Header.Get("serverIdentity") != "id-value-3" {
				t.Errorf("last request query %v, identity header %q", last.Query, last.Header.Get("serverIdentity"))
			}
		})
	}
}

func TestContractMembers(t *testing.T) {
	refreshed := time.UnixMilli(1735689600123).UTC()
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{Major: tc.major})
			members, err := c.Members(t.Context())
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			var got []string
			for _, m := range members {
				got = append(got, m.Address)
				checkHealthyMember(t, m, tc.version)
			}
			if !slices.Equal(got, tc.order) {
				t.Errorf("addresses = %v, want %v (Nacos's order)", got, tc.order)
			}
			self, err := c.Self(t.Context())
			if err != nil {
				t.Fatalf("Self: %v", err)
			}
			checkHealthyMember(t, self, tc.version)
			if self.Address != memberAddress0 || self.IP != strings.TrimSuffix(memberAddress0, ":8848") ||
				self.Port != 8848 || !self.LastRefreshTime.Equal(refreshed) {
				t.Errorf("self = %+v", self)
			}
			if got := requestPaths(srv.requests("")); !slices.Equal(got, []string{tc.nodes, tc.self}) {
				t.Errorf("requests = %v", got)
			}
		})
	}
}

func checkHealthyMember(t *testing.T, m Member, version string) {
	t.Helper()
	if m.State != MemberUp || m.FailAccessCnt != 0 || m.Version != version || m.RaftPort != "7848" ||
		m.NeverContacted() || m.LastRefreshTime.IsZero() {
		t.Errorf("member %s = %+v", m.Address, m)
	}
	groups := []string{"naming_instance_metadata", "naming_persistent_service", "naming_persistent_service_v2", "naming_service_metadata"}
	if len(m.Raft) != len(groups) {
		t.Errorf("member %s has %d raft groups, want %d", m.Address, len(m.Raft), len(groups))
	}
	for _, name := range groups {
		g := m.Raft[name]
		if g.Leader != "nacos-2.nacos-hs.demo.svc.cluster.local:7848" || g.Term != 5 || len(g.Members) != 3 ||
			g.Members[0] != "nacos-0.nacos-hs.demo.svc.cluster.local:7848" || g.ErrMsg != "" {
			t.Errorf("member %s group %s = %+v", m.Address, name, g)
		}
	}
}

func TestContractMixedMembers(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			srv.serve(tc.nodes, tc.dir+"nodes-mixed.http")
			members, err := srv.client(Options{Major: tc.major}).Members(t.Context())
			if err != nil {
				t.Fatalf("Members: %v", err)
			}
			if len(members) != 4 {
				t.Fatalf("got %d members, want 4", len(members))
			}
			want := []struct {
				address string
				state   MemberState
				fail    int
				never   bool
				groups  int
			}{
				{memberAddress0, MemberUp, 0, false, 4},
				{memberAddress1, MemberUp, 0, true, 0},
				{memberAddress2, MemberSuspicious, 2, false, 4},
				{memberAddress3, MemberDown, 4, false, 0},
			}
			for i, w := range want {
				m := members[i]
				if m.Address != w.address || m.State != w.state || m.FailAccessCnt != w.fail ||
					m.NeverContacted() != w.never || len(m.Raft) != w.groups {
					t.Errorf("member %d = %+v, want %+v", i, m, w)
				}
			}
			if m := members[1]; m.Version != "" || !m.LastRefreshTime.IsZero() || m.RaftPort != "7848" || m.Raft != nil {
				t.Errorf("never-contacted member = %+v", m)
			}
			if got := members[2].LastRefreshTime; !got.Equal(time.UnixMilli(1735689500000)) {
				t.Errorf("suspicious member lastRefreshTime = %v", got)
			}
			broken := members[0].Raft["naming_persistent_service_v2"]
			if broken.Leader != "" || broken.Term != 6 || len(broken.Members) != 3 ||
				!strings.HasPrefix(broken.ErrMsg, "ERROR_TYPE_STATE_MACHINE") {
				t.Errorf("group in error = %+v", broken)
			}
		})
	}
}

package nacos

import (
	"slices"
	"strings"
	"testing"
)

// Contract tests of error answers and logins, for both majors.

func TestContractErrorAnswers(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name+" 403", func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			srv.serve(tc.nodes, tc.dir+"forbidden.http")
			_, err := srv.client(Options{Major: tc.major}).Members(t.Context())
			e := kindError(t, err, KindAuthRefused)
			want := "read member list: GET " + tc.nodes + ": AuthRefused (HTTP 403): " + tc.forbiddenMessage
			if e.StatusCode != 403 || e.Message != tc.forbiddenMessage || err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
		t.Run(tc.name+" 500", func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			srv.serve(tc.self, "common/server-error.http")
			_, err := srv.client(Options{Major: tc.major}).Self(t.Context())
			e := kindError(t, err, KindServerError)
			if e.StatusCode != 500 || e.Message != "java.lang.NullPointerException" || e.Path != tc.self || e.Op != "read self member" {
				t.Errorf("error = %+v", e)
			}
		})
	}
	t.Run("410 of a 2.x path on 3.x", func(t *testing.T) {
		srv := newFakeNacos(t, scenario3())
		_, err := srv.client(Options{Major: 2}).Members(t.Context())
		e := kindError(t, err, KindAPIGone)
		if e.StatusCode != 410 || !strings.HasPrefix(e.Message, "Current API will be deprecated, please use API(s) `GET") {
			t.Errorf("error = %+v", e)
		}
		if got := requestPaths(srv.requests("")); !slices.Equal(got, []string{pathNodes2}) {
			t.Errorf("a trusted major must not be re-detected; requests = %v", got)
		}
	})
	t.Run("404 of a 2.x health path on 3.x", func(t *testing.T) {
		srv := newFakeNacos(t, scenario3())
		err := srv.client(Options{Major: 2}).Liveness(t.Context())
		if e := kindError(t, err, KindAPIGone); e.StatusCode != 404 || e.Message != "Not Found" {
			t.Errorf("error = %+v", e)
		}
	})
}

func TestContractLogin(t *testing.T) {
	tokens := map[int]string{2: fixtureToken2, 3: fixtureToken3}
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{Major: tc.major, Auth: Auth{Username: "nacos", Password: "contract-pw"}})
			if _, err := c.Members(t.Context()); err != nil {
				t.Fatalf("Members: %v", err)
			}
			reqs := srv.requests("")
			if got := requestPaths(reqs); !slices.Equal(got, []string{tc.login, tc.nodes}) {
				t.Fatalf("requests = %v", got)
			}
			login, nodes := reqs[0], reqs[1]
			if login.Method != "POST" || login.Form.Get("username") != "nacos" || login.Form.Get("password") != "contract-pw" ||
				len(login.Query) != 0 {
				t.Errorf("login request = %+v", login)
			}
			if nodes.Query.Get("accessToken") != tokens[tc.major] {
				t.Errorf("member list query = %v, want the fixture token", nodes.Query)
			}

			srv.serve(tc.login, tc.dir+"login-refused.http")
			c = srv.client(Options{Major: tc.major, Auth: Auth{Username: "nacos", Password: "wrong-pw"}})
			_, err := c.Self(t.Context())
			if e := kindError(t, err, KindAuthRefused); e.Message != "login refused: user not found!" || e.Op != "log in" {
				t.Errorf("error = %+v", e)
			}
			if n := len(srv.requests(tc.self)); n != 0 {
				t.Errorf("self requested %d times after a refused login", n)
			}
		})
	}
}

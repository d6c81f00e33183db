package nacos_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// The admin bootstrap works once: the first call creates "nacos" with the password (which
// then logs in), later calls are told an admin exists and change nothing. Both majors answer
// HTTP 200 with different bodies (a bare user on 2.x, a Result on 3.x, as the real servers
// recorded in make test-nacos).
func TestInitAdminCreatesOnceThenReportsExisting(t *testing.T) {
	for _, tc := range []struct{ version, prefix string }{{"2.5.1", "127.0.33."}, {"3.0.3", "127.0.34."}} {
		t.Run(tc.version, func(t *testing.T) {
			c := simCluster(t, tc.version, tc.prefix, 1, func(cfg *sim.Config) {
				cfg.Standalone, cfg.Auth.Enabled, cfg.Auth.Users = true, true, nil
			})
			addr := c.Members[0].Address()
			cl := nacos.New(addr, nacos.Options{Timeout: time.Second})
			ctx := t.Context()
			poll(t, "member answers", func() error { return cl.Liveness(ctx) })
			got, err := cl.InitAdmin(ctx, "first-pw")
			if err != nil || got != nacos.AdminCreated {
				t.Fatalf("first InitAdmin = %q, %v; want Created", got, err)
			}
			got, err = cl.InitAdmin(ctx, "second-pw")
			if err != nil || got != nacos.AdminExisted {
				t.Fatalf("second InitAdmin = %q, %v; want AlreadyExisted", got, err)
			}
			login := nacos.New(addr, nacos.Options{Timeout: time.Second, Auth: nacos.Auth{Username: nacos.AdminUser, Password: "first-pw"}})
			if _, err := login.Members(ctx); err != nil {
				t.Fatalf("the created admin cannot log in: %v", err)
			}
			wrong := nacos.New(addr, nacos.Options{Timeout: time.Second, Auth: nacos.Auth{Username: nacos.AdminUser, Password: "second-pw"}})
			if _, err := wrong.Members(ctx); err == nil || strings.Contains(err.Error(), "second-pw") {
				t.Fatalf("the second password logs in or leaks: %v", err)
			}
		})
	}
}

// An auth system that cannot create users answers code 501 in the body: an error naming the
// call and Nacos's words, never the password.
func TestInitAdminRefusedNamesTheCauseNotThePassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"code":501,"message":"not support %s","data":null}`, r.FormValue("password"))
	}))
	defer srv.Close()
	_, err := nacos.New(strings.TrimPrefix(srv.URL, "http://"), nacos.Options{Major: 2, Timeout: time.Second}).InitAdmin(t.Context(), "pw-never-shown")
	if err == nil || !strings.Contains(err.Error(), "initialize the admin user") || !strings.Contains(err.Error(), "code 501: not support") || strings.Contains(err.Error(), "pw-never-shown") {
		t.Fatalf("err = %v", err)
	}
}

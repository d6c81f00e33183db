package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func standalone(t *testing.T, addr string, mutate func(*Config)) *Member {
	t.Helper()
	cfg := Config{Version: "2.5.1", Address: addr, Home: t.TempDir(), Standalone: true, Warmup: true, Periods: FastPeriods(),
		Auth: AuthConfig{IdentityKey: "serverIdentity", IdentityValue: "s3cret", Users: map[string]string{"nacos": "pw"}, TokenTTL: 300 * time.Millisecond}}
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := New(cfg)
	must(t, err)
	must(t, m.Start())
	t.Cleanup(m.Stop)
	return m
}

func TestAuth2x(t *testing.T) {
	m := standalone(t, "127.0.21.1:8848", func(c *Config) { c.Auth.Enabled = true })
	nodes := "/nacos/v1/core/cluster/nodes"
	a := get(t, m.cfg.Bind, nodes)
	if a.status != 403 || a.json(t)["message"] != "user not found!" || a.json(t)["path"] != nodes {
		t.Fatalf("without credentials: %d %s", a.status, a.body)
	}
	if a := call(t, http.MethodGet, m.cfg.Bind, nodes, identity); a.status != 200 {
		t.Fatalf("identity header refused: %d %s", a.status, a.body)
	}
	if a := call(t, http.MethodGet, m.cfg.Bind, nodes, map[string]string{"serverIdentity": "wrong"}); a.status != 403 {
		t.Fatalf("a wrong identity value passed: %d", a.status)
	}
	login := call(t, http.MethodPost, m.cfg.Bind, "/nacos/v1/auth/login?username=nacos&password=pw", nil)
	body := login.json(t)
	token, _ := body["accessToken"].(string)
	if login.status != 200 || !strings.HasPrefix(token, "eyJ") || body["globalAdmin"] != true || body["username"] != "nacos" {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	if a := get(t, m.cfg.Bind, nodes+"?accessToken="+token); a.status != 200 {
		t.Fatalf("token refused: %d %s", a.status, a.body)
	}
	if a := call(t, http.MethodGet, m.cfg.Bind, nodes, map[string]string{"Authorization": "Bearer " + token}); a.status != 200 {
		t.Fatalf("bearer token refused: %d", a.status)
	}
	eventually(t, 5*time.Second, "token expires after its TTL", func() error {
		if a := get(t, m.cfg.Bind, nodes+"?accessToken="+token); a.status != 403 {
			return fmt.Errorf("still %d", a.status)
		}
		return nil
	})
	// Health endpoints never need auth.
	if a := get(t, m.cfg.Bind, "/nacos/v1/console/health/readiness"); a.status != 200 {
		t.Fatalf("readiness behind auth: %d", a.status)
	}
}

func TestAuth3xAdminAPIOffByProperty(t *testing.T) {
	off := false
	m := standalone(t, "127.0.21.2:8848", func(c *Config) { c.Version = "3.0.3"; c.Auth.AdminAPI = &off })
	if a := get(t, m.cfg.Bind, "/nacos/v3/admin/core/cluster/node/self"); a.status != 200 {
		t.Fatalf("admin API with nacos.core.auth.admin.enabled=false: %d %s", a.status, a.body)
	}
}

func TestFaults(t *testing.T) {
	m := standalone(t, "127.0.21.3:8848", nil)
	path := "/nacos/v1/console/health/readiness"

	m.SetFaults(Faults{ServerError: true})
	if a := get(t, m.cfg.Bind, path); a.status != 500 || a.json(t)["error"] != "Internal Server Error" {
		t.Fatalf("ServerError: %d %s", a.status, a.body)
	}
	m.SetFaults(Faults{Garbage: true})
	if a := get(t, m.cfg.Bind, "/nacos/v1/core/cluster/nodes"); a.status != 200 || a.body != `{"code":0,"data":[{"ip":"` {
		t.Fatalf("Garbage: %d %q", a.status, a.body)
	}
	m.SetFaults(Faults{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.cfg.Bind+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hang: err = %v, want a deadline", err)
	}
	m.SetFaults(Faults{Delay: 50 * time.Millisecond})
	start := time.Now()
	if a := get(t, m.cfg.Bind, path); a.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("Delay: %d after %s", a.status, time.Since(start))
	}
	m.SetFaults(Faults{NoRaftLeader: true})
	if e := groupsOf(t, m)["naming_persistent_service"]["errMsg"]; e == nil {
		t.Fatal("NoRaftLeader: no errMsg")
	}
	m.SetFaults(Faults{})
	m.SetWarmup(false)
	if err := m.SetVersion("2.4.3"); err != nil {
		t.Fatal(err)
	}
	if a := get(t, m.cfg.Bind, "/nacos/v1/console/server/state"); a.json(t)["version"] != "2.4.3" {
		t.Fatalf("SetVersion: %s", a.body)
	}
}

func TestDistroStuckNeverInitializes(t *testing.T) {
	c := startCluster(t, 3, "127.0.22.", Config{Version: "2.5.1", Warmup: true})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "boot", func() error { return namingUp(t, m.cfg.Bind) })
	}
	m := c.Members[0]
	m.Stop()
	m.SetFaults(Faults{DistroStuck: true})
	must(t, m.Start())
	eventually(t, 10*time.Second, "three failed load rounds", func() error {
		n := 0
		for _, l := range m.Log() {
			if strings.HasSuffix(l, "result: false") {
				n++
			}
		}
		if n < 6 { // two peers per round
			return fmt.Errorf("%d failed loads", n)
		}
		return nil
	})
	a := get(t, m.cfg.Bind, "/nacos/v1/ns/operator/metrics")
	if a.status != 503 || !strings.Contains(a.body, "Distro snapshot load failed") {
		t.Fatalf("metrics %d %q", a.status, a.body)
	}
	m.SetFaults(Faults{})
	eventually(t, 10*time.Second, "recovers on the next retry", func() error { return namingUp(t, m.cfg.Bind) })
}

func TestOlderVersionsGateNamingOnRaft(t *testing.T) {
	for _, tc := range []struct{ version, msg string }{{"2.4.1", msgNoRaftLeader241}, {"2.3.2", msgCouldNotFindLeader}} {
		m := standalone(t, "127.0.23.1:8848", func(c *Config) { c.Version = tc.version })
		m.SetFaults(Faults{NoRaftLeader: true})
		eventually(t, 5*time.Second, tc.version+" naming DOWN without a leader", func() error {
			a := get(t, m.cfg.Bind, "/nacos/v1/ns/operator/metrics")
			if a.status != 503 || a.body != "server is DOWNnow, detailed error message: "+tc.msg {
				return fmt.Errorf("%d %q", a.status, a.body)
			}
			return nil
		})
		m.Stop()
	}
}

func TestInitAdmin3x(t *testing.T) {
	m := standalone(t, "127.0.21.4:8848", func(c *Config) { c.Version = "3.0.3"; c.Auth.Users = nil })
	a := call(t, http.MethodPost, m.cfg.Bind, "/nacos/v3/auth/user/admin?password=first", nil)
	data, _ := a.json(t)["data"].(map[string]any)
	if a.status != 200 || data["username"] != "nacos" || data["password"] != "first" {
		t.Fatalf("init admin: %d %s", a.status, a.body)
	}
	login := call(t, http.MethodPost, m.cfg.Bind, "/nacos/v3/auth/user/login?username=nacos&password=first", nil)
	if login.status != 200 {
		t.Fatalf("login as the new admin: %d %s", login.status, login.body)
	}
	again := call(t, http.MethodPost, m.cfg.Bind, "/nacos/v3/auth/user/admin?password=second", nil)
	if again.status != 200 || again.json(t)["code"] != float64(409) {
		t.Fatalf("second init: %d %s", again.status, again.body)
	}
}

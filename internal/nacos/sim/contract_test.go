package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// contractCase is one row of the Simulator contract (nacos-server.md §11): the exact status,
// content type and body (a JSON subset or exact text) of an endpoint.
type contractCase struct {
	name, method, path string
	ready              bool // ask the ready member, else the not-ready one
	header             map[string]string
	status             int
	contentType        string
	text               string         // exact body, for text answers
	json               map[string]any // keys that must match, for JSON answers
}

// contractPair starts a ready standalone member and a lone cluster member (never ready).
func contractPair(t *testing.T, version, prefix string) (ready, notReady *Member) {
	t.Helper()
	mk := func(i string, standalone bool) *Member {
		home := t.TempDir()
		addr := prefix + i + ":8848"
		must(t, WriteClusterConf(home, []string{addr}))
		m, err := New(Config{Version: version, Address: addr, ConsoleBind: prefix + i + ":8080", Home: home, Standalone: standalone,
			Warmup: true, Storage: StorageMySQL, Periods: FastPeriods(),
			Auth: AuthConfig{IdentityKey: "serverIdentity", IdentityValue: "s3cret", Users: map[string]string{"nacos": "pw"}}})
		must(t, err)
		must(t, m.Start())
		t.Cleanup(m.Stop)
		return m
	}
	ready, notReady = mk("1", true), mk("2", false)
	eventually(t, 5*time.Second, "status refreshed", func() error { return namingUp(t, ready.cfg.Bind) })
	return ready, notReady
}

func runContract(t *testing.T, ready, notReady *Member, cases []contractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := notReady
			if tc.ready {
				m = ready
			}
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			addr := m.cfg.Bind
			if strings.HasPrefix(tc.path, "/v") {
				addr = m.cfg.ConsoleBind
			}
			a := call(t, method, addr, tc.path, tc.header)
			if a.status != tc.status || !strings.HasPrefix(a.contentType, tc.contentType) || (tc.contentType == noType && a.contentType != "") {
				t.Fatalf("got %d %q %s; want %d %q", a.status, a.contentType, a.body, tc.status, tc.contentType)
			}
			if tc.json == nil {
				if a.body != tc.text {
					t.Fatalf("body %q, want %q", a.body, tc.text)
				}
				return
			}
			got := a.json(t)
			for k, want := range tc.json {
				if !reflect.DeepEqual(normalize(got[k]), normalize(want)) {
					t.Errorf("%s = %#v, want %#v (body %s)", k, got[k], want, a.body)
				}
			}
		})
	}
}

func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

const (
	noType   = "" // TrafficReviseFilter's 503 carries no Content-Type
	textType = "text/plain"
	jsonType = "application/json"
)

var identity = map[string]string{"serverIdentity": "s3cret"}

func TestContract2x(t *testing.T) {
	ready, notReady := contractPair(t, "2.5.1", "127.0.19.")
	down := "server is DOWNnow, detailed error message: " + msgDistroNotInitialized
	runContract(t, ready, notReady, []contractCase{
		{name: "v1 liveness", path: "/nacos/v1/console/health/liveness", ready: true, status: 200, contentType: textType, text: "OK"},
		{name: "v1 readiness ok", path: "/nacos/v1/console/health/readiness", ready: true, status: 200, contentType: textType, text: "OK"},
		{name: "v1 readiness 500 text", path: "/nacos/v1/console/health/readiness", status: 500, contentType: textType, text: "naming not in readiness"},
		{name: "v2 liveness", path: "/nacos/v2/console/health/liveness", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "message": "success", "data": "ok"}},
		{name: "v2 readiness ok", path: "/nacos/v2/console/health/readiness", ready: true, status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": "ok"}},
		{name: "v2 readiness 200 + 30000", path: "/nacos/v2/console/health/readiness", status: 200, contentType: jsonType, json: map[string]any{"code": 30000, "message": "naming not in readiness", "data": nil}},
		{name: "v1 metrics UP", path: "/nacos/v1/ns/operator/metrics?onlyStatus=true", ready: true, status: 200, contentType: jsonType, json: map[string]any{"status": "UP"}},
		{name: "v1 metrics 503 text", path: "/nacos/v1/ns/operator/metrics", status: 503, contentType: noType, text: down},
		{name: "v1 ops alias 503 text", path: "/nacos/v1/ns/ops/metrics", status: 503, contentType: noType, text: down},
		{name: "Nacos-Server UA passes the filter", path: "/nacos/v1/ns/operator/metrics", header: map[string]string{"User-Agent": "Nacos-Server:v2.5.1"}, status: 200, contentType: jsonType, json: map[string]any{"status": "DOWN"}},
		{name: "v2 metrics DOWN", path: "/nacos/v2/ns/operator/metrics?onlyStatus=true", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "message": "success", "data": map[string]any{"status": "DOWN"}}},
		{name: "v1 nodes", path: "/nacos/v1/core/cluster/nodes", status: 200, contentType: jsonType, json: map[string]any{"code": 200, "message": nil}},
		{name: "v1 cluster health", path: "/nacos/v1/core/cluster/health", status: 200, contentType: jsonType, json: map[string]any{"code": 200, "message": nil, "data": "UP"}},
		{name: "v1 simple nodes", path: "/nacos/v1/core/cluster/simple/nodes", status: 200, contentType: jsonType, json: map[string]any{"code": 200, "data": []any{"127.0.19.2:8848"}}},
		{name: "v2 node self health", path: "/nacos/v2/core/cluster/node/self/health", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "message": "success", "data": "UP"}},
		{name: "v2 node list bad state", path: "/nacos/v2/core/cluster/node/list?state=FOO", status: 400, contentType: jsonType, json: map[string]any{"code": 23000, "message": "illegal state", "data": "Illegal state: FOO"}},
		{name: "server state", path: "/nacos/v1/console/server/state", status: 200, contentType: jsonType, json: map[string]any{"version": "2.5.1", "startup_mode": "cluster", "function_mode": nil, "server_port": "8848", "auth_enabled": "false", "datasource_platform": "mysql"}},
		{name: "standalone state", path: "/nacos/v1/console/server/state", ready: true, status: 200, contentType: jsonType, json: map[string]any{"startup_mode": "standalone"}},
		{name: "login bad password", method: http.MethodPost, path: "/nacos/v1/auth/login?username=nacos&password=no", status: 403, contentType: textType, text: "user not found!"},
		{name: "unknown path", path: "/nacos/v3/admin/core/state", status: 404, contentType: jsonType, json: map[string]any{"status": 404, "error": "Not Found", "path": "/nacos/v3/admin/core/state"}},
	})
}

func TestContract3x(t *testing.T) {
	ready, notReady := contractPair(t, "3.0.3", "127.0.20.")
	runContract(t, ready, notReady, []contractCase{
		{name: "v3 liveness", path: "/nacos/v3/admin/core/state/liveness", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "message": "success", "data": "ok"}},
		{name: "v3 readiness ok", path: "/nacos/v3/admin/core/state/readiness", ready: true, status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": "ok"}},
		{name: "v3 readiness 200 + 30000", path: "/nacos/v3/admin/core/state/readiness", status: 200, contentType: jsonType, json: map[string]any{"code": 30000, "message": "naming not in readiness", "data": nil}},
		{name: "v3 state", path: "/nacos/v3/admin/core/state", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": withClusterState(map[string]any{
			"version": "3.0.3", "startup_mode": "cluster", "function_mode": nil, "server_port": "8848", "auth_enabled": "true", "auth_system_type": "nacos",
			"auth_admin_request": "true", "console_ui_enabled": "true", "datasource_platform": "mysql", "data_load_retryDelayMs": "150", "login_page_enabled": "false"})}},
		{name: "v3 node list needs admin auth", path: "/nacos/v3/admin/core/cluster/node/list", status: 403, contentType: jsonType, json: map[string]any{"status": 403, "error": "Forbidden", "message": "Code: 401, Message: User not found! Please check user exist or password is right!."}},
		{name: "v3 node list with identity", path: "/nacos/v3/admin/core/cluster/node/list", header: identity, status: 200, contentType: jsonType, json: map[string]any{"code": 0, "message": "success"}},
		{name: "v3 metrics with identity", path: "/nacos/v3/admin/ns/ops/metrics?onlyStatus=true", header: identity, status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": map[string]any{"status": "DOWN"}}},
		{name: "v1 metrics still served", path: "/nacos/v1/ns/operator/metrics", status: 503, contentType: noType, text: "server is DOWNnow, detailed error message: " + msgDistroNotInitialized},
		{name: "v1 nodes gone", path: "/nacos/v1/core/cluster/nodes", header: identity, status: 410, contentType: jsonType, json: map[string]any{"status": 410, "error": "Gone"}},
		{name: "v2 node list gone", path: "/nacos/v2/core/cluster/node/list", status: 410, contentType: jsonType, json: map[string]any{"status": 410}},
		{name: "v2 metrics gone", path: "/nacos/v2/ns/operator/metrics", status: 410, contentType: jsonType, json: map[string]any{"status": 410}},
		{name: "2.x health paths absent", path: "/nacos/v1/console/health/readiness", status: 404, contentType: jsonType, json: map[string]any{"status": 404}},
		{name: "console liveness", path: "/v3/console/health/liveness", status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": "ok"}},
		{name: "console readiness 500 + 30000", path: "/v3/console/health/readiness", status: 500, contentType: jsonType, json: map[string]any{"code": 30000, "message": "naming not in readiness", "data": nil}},
		{name: "console readiness ok", path: "/v3/console/health/readiness", ready: true, status: 200, contentType: jsonType, json: map[string]any{"code": 0, "data": "ok"}},
		{name: "console state raw", path: "/v3/console/server/state", status: 200, contentType: jsonType, json: map[string]any{"version": "3.0.3"}},
		{name: "console 2.x health gone", path: "/v1/console/health/readiness", status: 410, contentType: jsonType, json: map[string]any{"status": 410}},
		{name: "v3 login bad", method: http.MethodPost, path: "/nacos/v3/auth/user/login?username=x&password=y", status: 500, contentType: jsonType, json: map[string]any{"status": 500, "message": "No message available"}},
	})
	// The 410 body's message holds Nacos's own result, naming the replacement API.
	a := call(t, http.MethodGet, notReady.cfg.Bind, "/nacos/v1/core/cluster/nodes", nil)
	msg := a.json(t)["message"].(string)
	if !strings.Contains(msg, `"code":40000`) || !strings.Contains(msg, "/v3/admin/core/cluster/node/list") {
		t.Fatalf("410 message %q", msg)
	}
}

// withClusterState adds the settings every cluster member publishes in its state map.
func withClusterState(m map[string]any) map[string]any {
	for _, extra := range []map[string]any{staticState, clusterState} {
		for k, v := range extra {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
	}
	return m
}

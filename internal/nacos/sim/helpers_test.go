package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type answer struct {
	status      int
	contentType string
	body        string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return v
}

// call sends one request to a member address ("ip:port") and returns the whole answer.
func call(t *testing.T, method, addr, path string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	// An embedded-storage cluster member opens its HTTP port only once its nacos_config
	// group has a leader (as a real one does): wait for the port, with a deadline.
	for deadline := time.Now().Add(5 * time.Second); err != nil && strings.Contains(err.Error(), "connection refused") && time.Now().Before(deadline); {
		<-time.After(10 * time.Millisecond)
		resp, err = client.Do(req)
	}
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, addr, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}

func get(t *testing.T, addr, path string) answer {
	t.Helper()
	return call(t, http.MethodGet, addr, path, nil)
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		<-time.After(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
}

// startCluster starts a fast simulated cluster and stops it when the test ends.
func startCluster(t *testing.T, size int, prefix string, tmpl Config) *Cluster {
	t.Helper()
	if tmpl.Periods == (Periods{}) {
		tmpl.Periods = FastPeriods()
	}
	c, err := NewCluster(ClusterConfig{Size: size, IPPrefix: prefix, BaseDir: t.TempDir(), Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// namingUp checks the v1 metrics answer of a member.
func namingUp(t *testing.T, addr string) error {
	if refused(addr) {
		return fmt.Errorf("%s: HTTP port not open yet", addr)
	}
	a := get(t, addr, "/nacos/v1/ns/operator/metrics")
	if a.status != 200 || !strings.Contains(a.body, `"status":"UP"`) {
		return fmt.Errorf("metrics of %s: %d %s", addr, a.status, a.body)
	}
	return nil
}

// view returns the member list one member serves, by address.
func view(t *testing.T, m *Member, path string) map[string]map[string]any {
	t.Helper()
	a := get(t, m.cfg.Bind, path)
	if a.status != 200 {
		t.Fatalf("member list of %s: %d %s", m.Address(), a.status, a.body)
	}
	out := map[string]map[string]any{}
	for _, raw := range a.json(t)["data"].([]any) {
		mem := raw.(map[string]any)
		out[mem["address"].(string)] = mem
	}
	return out
}

func TestOperatorCallsCountTheOperatorsRequestsOnly(t *testing.T) {
	c := startCluster(t, 3, "127.0.91.", Config{Version: "2.5.1"})
	m := c.Members[0]
	eventually(t, 5*time.Second, "naming UP", func() error { return namingUp(t, m.cfg.Bind) })
	before := m.OperatorCalls()
	// Peers keep reporting to m meanwhile (every 20 ms), and get() is not the operator:
	// neither may count.
	for i := 0; i < 3; i++ {
		get(t, m.cfg.Bind, "/nacos/v1/console/health/readiness")
	}
	for i := 0; i < 5; i++ {
		req, err := http.NewRequest(http.MethodGet, "http://"+m.cfg.Bind+"/nacos/v1/console/health/readiness", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", "nacos-operator")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	if got := m.OperatorCalls() - before; got != 5 {
		t.Fatalf("%d operator calls counted for 5 operator requests among others", got)
	}
}

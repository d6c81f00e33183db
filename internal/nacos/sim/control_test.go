package sim

import (
	"bytes"
	"net/http"
	"testing"
)

func TestControlEndpointWorksWhileHung(t *testing.T) {
	m := standalone(t, "127.0.24.1:8848", nil)
	put := func(body string) answer {
		req, _ := http.NewRequest(http.MethodPut, "http://"+m.cfg.Bind+peerControlPath, bytes.NewBufferString(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return answer{status: resp.StatusCode, body: b.String()}
	}
	if a := put(`{"faults":{"hang":true}}`); a.status != 200 || !m.Faulty().Hang {
		t.Fatalf("set hang: %d %s", a.status, a.body)
	}
	if a := put(`{"faults":{"distroStuck":true,"delayMillis":5},"warmup":false,"authEnabled":true,"version":"3.0.3"}`); a.status != 200 {
		t.Fatalf("control while hung: %d %s", a.status, a.body)
	}
	f := m.Faulty()
	if f.Hang || !f.DistroStuck || f.Delay.Milliseconds() != 5 {
		t.Fatalf("faults = %+v", f)
	}
	m.mu.Lock()
	warmup, auth, version := m.warmup, m.auth.Enabled, m.version
	m.mu.Unlock()
	if warmup || !auth || version != "3.0.3" {
		t.Fatalf("settings = warmup %v auth %v version %s", warmup, auth, version)
	}
	if a := put(`{"version":"1.4.0"}`); a.status != 400 {
		t.Fatalf("bad version accepted: %d %s", a.status, a.body)
	}
	if a := put(`not json`); a.status != 400 {
		t.Fatalf("bad body accepted: %d", a.status)
	}
}

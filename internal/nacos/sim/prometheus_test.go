package sim

import (
	"strings"
	"testing"
)

// The scrape the operator's PodMonitor makes: bare, with auth on, ready or not (real 3.0.3
// answered 200 with auth on; the naming filter that answers 503 guards /v1/ns/* only).
func TestPrometheusEndpointAnswersBareOnEveryVersion(t *testing.T) {
	for i, version := range []string{"2.5.1", "3.0.3"} {
		ready, notReady := contractPair(t, version, []string{"127.0.23.", "127.0.24."}[i])
		for _, m := range []*Member{ready, notReady} {
			a := get(t, m.cfg.Bind, prometheusPath)
			if a.status != 200 || !strings.HasPrefix(a.contentType, "text/plain") {
				t.Errorf("%s %s: %d %q, want 200 text/plain", version, m.cfg.Bind, a.status, a.contentType)
			}
			if !strings.Contains(a.body, "# TYPE nacos_monitor gauge\n") || !strings.Contains(a.body, `nacos_monitor{module="naming",name="ipCount",} `) {
				t.Errorf("%s: body lacks the nacos_monitor gauge:\n%s", version, a.body)
			}
		}
	}
}

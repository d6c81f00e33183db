package sim

import (
	"fmt"
	"net/http"
	"strings"
)

// prometheusPath is Spring Boot's actuator endpoint under the context path, which the
// operator's properties expose and its PodMonitor scrapes (resource.MetricsPath). Real 2.5.1
// and 3.0.3 members answer it bare, with auth on too (measured; docs/nacos-api.md).
const prometheusPath = "/nacos/actuator/prometheus"

// prometheus serves the text exposition format with the families a real member's
// nacos_monitor gauge carries (module and name labels), and a JVM family, so a scraper sees
// the shape of a real answer. It answers whatever the member's naming status: the filter
// that answers 503 while a member is not UP (TrafficReviseFilter) guards /v1/ns/* only.
func (m *Member) prometheus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain;version=0.0.4;charset=utf-8")
	var b strings.Builder
	b.WriteString("# HELP nacos_monitor  \n# TYPE nacos_monitor gauge\n")
	for _, s := range []struct{ module, name string }{
		{"naming", "serviceCount"}, {"naming", "ipCount"}, {"naming", "subscriberCount"},
		{"config", "getConfig"}, {"config", "publish"}, {"config", "longPolling"}, {"config", "configCount"},
		{"core", "longConnection"},
	} {
		fmt.Fprintf(&b, "nacos_monitor{module=%q,name=%q,} 0.0\n", s.module, s.name)
	}
	b.WriteString("# HELP jvm_threads_live_threads The current number of live threads including both daemon and non-daemon threads\n")
	b.WriteString("# TYPE jvm_threads_live_threads gauge\njvm_threads_live_threads 120.0\n")
	_, _ = w.Write([]byte(b.String()))
}

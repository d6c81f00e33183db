package fidelity

import (
	"net/http"
	"testing"

	"github.com/nacos-operator/nacos-operator/internal/resource"
)

func TestMetricShapeKeepsTheNacosMonitorLabelNames(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		// The exposition format as real 3.0.3 writes it: a trailing comma inside the braces.
		{"# TYPE nacos_monitor gauge\nnacos_monitor{module=\"naming\",name=\"ipCount\",} 3.0\nnacos_monitor{module=\"config\",name=\"publish\",} 0.0\njvm_threads_live_threads 120.0\n", "nacos_monitor{module,name}"},
		{"nacos_monitor_summary_seconds_count{module=\"core\",name=\"x\",} 1.0\njvm_info{runtime=\"OpenJDK\",} 1.0\n", "no nacos_monitor samples"},
		{"", "no nacos_monitor samples"},
	} {
		if got := metricShape(tc.body); got != tc.want {
			t.Errorf("metricShape(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestEveryVersionIsScrapedWhereThePodMonitorLooks(t *testing.T) {
	for _, major := range []int{2, 3} {
		var found []Call
		for _, c := range Calls(major) {
			if c.Path == resource.MetricsPath {
				found = append(found, c)
			}
		}
		if len(found) != 1 || found[0].Secured || found[0].Method != http.MethodGet {
			t.Errorf("major %d: calls on %s: %+v, want one bare GET", major, resource.MetricsPath, found)
		}
	}
}

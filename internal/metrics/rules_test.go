package metrics

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"
)

type ruleFile struct {
	Kind string `json:"kind"`
	Spec struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

var (
	metricName = regexp.MustCompile(`nacos_operator_[a-z_]+`)
	// selector is a metric with a label matcher list: the name, then the matchers.
	selector = regexp.MustCompile(`(nacos_operator_[a-z_]+)\{([^}]*)\}`)
	matcher  = regexp.MustCompile(`([a-z_]+)\s*(?:=|!=|=~|!~)`)
)

// The PrometheusRule sample alerts on the five things an operator of Nacos must hear of,
// and every expression names only metrics, and labels, that this package serves.
func TestTheAlertSampleUsesOnlyServedMetricsAndLabels(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "config", "prometheus", "prometheus_rule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules ruleFile
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	served := servedLabels(t)
	var alerts []string
	for _, g := range rules.Spec.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			for _, name := range metricName.FindAllString(r.Expr, -1) {
				if _, ok := served[name]; !ok {
					t.Errorf("alert %s uses %s, which the operator does not serve", r.Alert, name)
				}
			}
			for _, sel := range selector.FindAllStringSubmatch(r.Expr, -1) {
				for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
					if !slices.Contains(served[sel[1]], m[1]) {
						t.Errorf("alert %s matches label %q of %s, which has %v", r.Alert, m[1], sel[1], served[sel[1]])
					}
				}
			}
		}
	}
	for _, want := range []string{"NacosMemberDown", "NacosDistroNotInitialized", "NacosNoRaftLeader", "NacosRolloutStuck", "NacosMembershipInconsistent"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("the sample lacks the alert %s (has %v)", want, alerts)
		}
	}
	if rules.Kind != "PrometheusRule" {
		t.Errorf("kind %q, want PrometheusRule", rules.Kind)
	}
}

// servedLabels is every family this package serves, with its label names, from one
// snapshot of each kind.
func servedLabels(t *testing.T) map[string][]string {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := snapshot("PodsNotReady", t0)
	m.Set(c)
	m.Restarted("ns", "nacos", CauseRollout)
	m.NacosRequest("readiness", "ok", time.Millisecond)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if !slices.Contains(out[f.GetName()], l.GetName()) {
					out[f.GetName()] = append(out[f.GetName()], l.GetName())
				}
			}
		}
	}
	return out
}

package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// The operator's own metrics, scraped from the manager's endpoint: a Ready cluster, then the
// same cluster with its rollout blocked on a member whose Distro is stuck (docs/metrics.md).
func TestMetricsEndpointShowsAReadyAndABlockedCluster(t *testing.T) {
	addr := freeAddress(t)
	_, stop := runOperatorWith(t, operatorOptions{metricsAddr: addr})
	t.Cleanup(stop)
	// The request metrics have no cluster label and other tests share the process: count
	// this run's calls as a difference.
	before := scrapeUntil(t, addr, func(families) error { return nil })
	readinessBefore := before.sum("nacos_operator_nacos_requests_total", map[string]string{"endpoint": "readiness", "result": "ok"})
	membersBefore := before.histogramCount("nacos_operator_nacos_request_duration_seconds", map[string]string{"endpoint": "members"})
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	cluster := map[string]string{"namespace": ns, "nacoscluster": key.Name}
	with := func(extra ...string) map[string]string {
		l := map[string]string{}
		for k, v := range cluster {
			l[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	ready := scrapeUntil(t, addr, func(f families) error {
		return f.want("nacos_operator_members", with("health", "Ready"), 3)
	})
	for _, c := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"nacos_operator_members", with("health", "NotReady"), 0},
		{"nacos_operator_members", with("health", "Unreachable"), 0},
		{"nacos_operator_distro_initialized_members", with(), 3},
		{"nacos_operator_desired_members", with(), 3},
		{"nacos_operator_raft_leader", with("group", "naming_persistent_service_v2"), 1},
		{"nacos_operator_condition", with("type", "Ready", "status", "True", "reason", nacosv1alpha1.ReasonAllMembersReady), 1},
	} {
		if err := ready.want(c.name, c.labels, c.value); err != nil {
			t.Error(err)
		}
	}
	if n := ready.count("nacos_operator_rollout_blocked_seconds", cluster); n != 0 {
		t.Errorf("a Ready cluster has %d rollout_blocked_seconds series", n)
	}
	if v := ready.sum("nacos_operator_nacos_requests_total", map[string]string{"endpoint": "readiness", "result": "ok"}) - readinessBefore; v < 3 {
		t.Errorf("nacos_requests_total{endpoint=readiness,result=ok} grew by %v during the create, want at least one per member", v)
	}
	if n := ready.histogramCount("nacos_operator_nacos_request_duration_seconds", map[string]string{"endpoint": "members"}) - membersBefore; n < 3 {
		t.Errorf("nacos_request_duration_seconds{endpoint=members} counted %d calls during the create, want at least 3", n)
	}

	victim := firstToRestart(3, leaderOf(t, key))
	startFaults.set(ns, victim, sim.Faults{DistroStuck: true})
	setImage(t, key, "nacos/nacos-server:v2.5.1-slim")
	gate := nacosv1alpha1.GateDistroNotInitialized
	blocked := scrapeUntil(t, addr, func(f families) error {
		if v, ok := f.value("nacos_operator_rollout_blocked_seconds", with("gate", gate)); !ok || v <= 0 {
			return fmt.Errorf("rollout_blocked_seconds{gate=%s} = %v (present %v)", gate, v, ok)
		}
		return nil
	})
	for _, c := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"nacos_operator_condition", with("type", "Progressing", "status", "True", "reason", gate), 1},
		{"nacos_operator_member_restarts_total", with("cause", "rollout"), 1},
		{"nacos_operator_distro_initialized_members", with(), 2},
	} {
		if err := blocked.want(c.name, c.labels, c.value); err != nil {
			t.Error(err)
		}
	}
	if n := blocked.count("nacos_operator_condition", with("type", "Ready", "status", "True")); n != 0 {
		t.Errorf("the blocked cluster still has a Ready=True condition series")
	}
	simMember(t, ns, victim).SetFaults(sim.Faults{})
}

// freeAddress is a loopback address with a port nothing listens on now.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// families is one scrape, parsed.
type families map[string]*dto.MetricFamily

// scrapeUntil scrapes the metrics endpoint until check accepts a scrape.
func scrapeUntil(t *testing.T, addr string, check func(families) error) families {
	t.Helper()
	var got families
	if err := pollUntil(60*time.Second, func() error {
		f, err := scrape(t.Context(), addr)
		if err != nil {
			return err
		}
		got = f
		return check(f)
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func scrape(ctx context.Context, addr string) (families, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	f, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse the scrape: %w", err)
	}
	return f, nil
}

// matching are the family's metrics whose labels include labels.
func (f families) matching(name string, labels map[string]string) []*dto.Metric {
	var out []*dto.Metric
	fam, ok := f[name]
	if !ok {
		return nil
	}
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			if have[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, m)
		}
	}
	return out
}

func (f families) count(name string, labels map[string]string) int {
	return len(f.matching(name, labels))
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

// value is the one series with exactly these labels among the family's.
func (f families) value(name string, labels map[string]string) (float64, bool) {
	ms := f.matching(name, labels)
	if len(ms) != 1 {
		return 0, false
	}
	return metricValue(ms[0]), true
}

func (f families) sum(name string, labels map[string]string) float64 {
	var total float64
	for _, m := range f.matching(name, labels) {
		total += metricValue(m)
	}
	return total
}

func (f families) histogramCount(name string, labels map[string]string) uint64 {
	var n uint64
	for _, m := range f.matching(name, labels) {
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}

// want fails unless exactly one series matches labels and has value v.
func (f families) want(name string, labels map[string]string, v float64) error {
	ms := f.matching(name, labels)
	if len(ms) == 1 && metricValue(ms[0]) == v {
		return nil
	}
	var seen []string
	for _, m := range f[name].GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		seen = append(seen, fmt.Sprintf("{%s} %v", strings.Join(ls, ","), metricValue(m)))
	}
	sort.Strings(seen)
	return fmt.Errorf("%s%v: want one series with value %v; the family has %d: %s", name, labels, v, len(seen), strings.Join(seen, "; "))
}

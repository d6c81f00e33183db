// Package metrics publishes the operator's own Prometheus metrics, prefix nacos_operator_, on
// the controller-runtime metrics endpoint (docs/metrics.md lists every one). Cluster gauges
// are set from one snapshot per reconcile, so a scrape sees what the last pass saw; counters
// count what the operator did. A nil *Metrics does nothing, so tests may leave it out.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

const prefix = "nacos_operator_"

// The label names every cluster series carries.
const (
	labelNamespace = "namespace"
	labelCluster   = "nacoscluster"
)

// Restart causes (the cause label of member_restarts_total).
const (
	CauseRollout         = "rollout"          // a gated rollout step
	CauseForced          = "forced"           // the documented replacement of a stuck member
	CauseStartupDeadlock = "startup_deadlock" // start-up recovery (package startup)
)

// Health values of the members gauge: the status's member health, always all four.
var healthValues = []string{"Ready", "NotReady", "Unreachable", "Unknown"}

// Metrics holds the collectors.
type Metrics struct {
	mu         sync.Mutex // one snapshot at a time: a Set deletes, then fills, a cluster's series
	members    *prometheus.GaugeVec
	distro     *prometheus.GaugeVec
	desired    *prometheus.GaugeVec
	raftLeader *prometheus.GaugeVec
	condition  *prometheus.GaugeVec
	blocked    *prometheus.GaugeVec
	restarts   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	requests   *prometheus.CounterVec
}

// New makes the collectors and registers them with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	cluster := []string{labelNamespace, labelCluster}
	with := func(extra ...string) []string { return append(append([]string(nil), cluster...), extra...) }
	m := &Metrics{
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "members",
			Help: "Members of a NacosCluster by health (what each member's readiness endpoint says)."}, with("health")),
		distro: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "distro_initialized_members",
			Help: "Members whose naming module reports Distro initialized (status UP)."}, cluster),
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "desired_members",
			Help: "spec.replicas of a NacosCluster."}, cluster),
		raftLeader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "raft_leader",
			Help: "1 when a reachable member reports a leader for the Raft group, 0 when none does."}, with("group")),
		condition: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "condition",
			Help: "1 for each current condition of a NacosCluster, by type, status and reason."}, with("type", "status", "reason")),
		blocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prefix + "rollout_blocked_seconds",
			Help: "How long the rollout has waited on its current gate (the Progressing reason); absent when not blocked."}, with("gate")),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "member_restarts_total",
			Help: "Member pods the operator deleted, by cause: rollout, forced, startup_deadlock."}, with("cause")),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: prefix + "nacos_request_duration_seconds",
			Help:    "Latency of the operator's calls to Nacos members, by endpoint.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}}, []string{"endpoint"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "nacos_requests_total",
			Help: "The operator's calls to Nacos members, by endpoint and result: ok, an HTTP status class (http_4xx, http_5xx) or the transport error kind (Unreachable, Timeout)."}, []string{"endpoint", "result"}),
	}
	for _, c := range []prometheus.Collector{m.members, m.distro, m.desired, m.raftLeader, m.condition, m.blocked, m.restarts, m.latency, m.requests} {
		if err := reg.Register(c); err != nil {
			return nil, err //nolint:wrapcheck // the registry's own error names the collector
		}
	}
	return m, nil
}

// Cluster is one NacosCluster as a reconcile pass saw it.
type Cluster struct {
	Namespace, Name   string
	Desired           int32
	Health            map[string]int  // member health -> count
	DistroInitialized int32           // members with Distro initialized
	RaftGroups        map[string]bool // group -> a reachable member reports its leader
	Conditions        []metav1.Condition
	// Blocked is the gate the rollout waits on ("" when none), since BlockedSince: the
	// Progressing condition stays True through a whole rollout, so its transition time
	// cannot say how long this gate has held it.
	Blocked      string
	BlockedSince time.Time
	Now          time.Time
}

// Set replaces the cluster's gauges with c.
func (m *Metrics) Set(c Cluster) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteGauges(c.Namespace, c.Name)
	for _, h := range healthValues {
		m.members.WithLabelValues(c.Namespace, c.Name, h).Set(float64(c.Health[h]))
	}
	m.distro.WithLabelValues(c.Namespace, c.Name).Set(float64(c.DistroInitialized))
	m.desired.WithLabelValues(c.Namespace, c.Name).Set(float64(c.Desired))
	for g, ok := range c.RaftGroups {
		m.raftLeader.WithLabelValues(c.Namespace, c.Name, g).Set(boolValue(ok))
	}
	for _, cond := range c.Conditions {
		m.condition.WithLabelValues(c.Namespace, c.Name, cond.Type, string(cond.Status), cond.Reason).Set(1)
	}
	if c.Blocked != "" {
		m.blocked.WithLabelValues(c.Namespace, c.Name, c.Blocked).Set(c.Now.Sub(c.BlockedSince).Seconds())
	}
}

// Restarted counts one member pod deleted by the operator.
func (m *Metrics) Restarted(namespace, name, cause string) {
	if m == nil {
		return
	}
	m.restarts.WithLabelValues(namespace, name, cause).Inc()
}

// Forget drops every series of a deleted NacosCluster.
func (m *Metrics) Forget(namespace, name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteGauges(namespace, name)
	m.restarts.DeletePartialMatch(prometheus.Labels{labelNamespace: namespace, labelCluster: name})
}

// NacosRequest records one call to a Nacos member (the nacos.Options Observe hook).
func (m *Metrics) NacosRequest(endpoint, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(endpoint).Observe(d.Seconds())
	m.requests.WithLabelValues(endpoint, result).Inc()
}

func (m *Metrics) deleteGauges(namespace, name string) {
	l := prometheus.Labels{labelNamespace: namespace, labelCluster: name}
	for _, v := range []*prometheus.GaugeVec{m.members, m.distro, m.desired, m.raftLeader, m.condition, m.blocked} {
		v.DeletePartialMatch(l)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var (
	defaultOnce    sync.Once
	defaultMetrics *Metrics
	errDefault     error
)

// Default is the process's metrics, registered once with controller-runtime's registry,
// which the manager's metrics endpoint serves.
func Default() (*Metrics, error) {
	defaultOnce.Do(func() { defaultMetrics, errDefault = New(ctrlmetrics.Registry) })
	return defaultMetrics, errDefault
}

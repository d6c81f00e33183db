package controllers

import (
	"slices"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/metrics"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// publishMetrics hands the pass's status, and the Raft leaders the members reported, to the
// metrics (obs is nil when the pass observed nothing).
func (r *NacosClusterReconciler) publishMetrics(nc *nacosv1alpha1.NacosCluster, s nacosv1alpha1.NacosClusterStatus, obs *observe.Observation) {
	if r.Metrics == nil {
		return
	}
	c := clusterMetrics(nc, s, obs, r.Clock.Now())
	c.Blocked, c.BlockedSince = r.blockedOn(nc, s, c.Now)
	r.Metrics.Set(c)
}

// blockedAt is the gate a cluster's rollout waits on and since when.
type blockedAt struct {
	gate  string
	since time.Time
}

// blockedOn is the gate the Progressing condition names, if it is one, and since when it
// has been that gate (remembered per cluster: the condition's own transition time moves only
// with its status, which stays True through a whole rollout).
func (r *NacosClusterReconciler) blockedOn(nc *nacosv1alpha1.NacosCluster, s nacosv1alpha1.NacosClusterStatus, now time.Time) (string, time.Time) {
	key := nc.Namespace + "/" + nc.Name
	c := findCondition(&s, nacosv1alpha1.ConditionProgressing)
	if c == nil || !slices.Contains(rollout.GateNames(), c.Reason) {
		r.blocked.Delete(key)
		return "", time.Time{}
	}
	if v, ok := r.blocked.Load(key); ok && v.(blockedAt).gate == c.Reason {
		return c.Reason, v.(blockedAt).since
	}
	r.blocked.Store(key, blockedAt{gate: c.Reason, since: now})
	return c.Reason, now
}

// clusterMetrics is the metrics' view of one pass.
func clusterMetrics(nc *nacosv1alpha1.NacosCluster, s nacosv1alpha1.NacosClusterStatus, obs *observe.Observation, now time.Time) metrics.Cluster {
	c := metrics.Cluster{Namespace: nc.Namespace, Name: nc.Name, Desired: nc.Spec.Replicas, Health: map[string]int{},
		DistroInitialized: s.DistroInitializedMembers, Conditions: s.Conditions, Now: now}
	for _, m := range s.Members {
		h := m.Health
		if h == "" {
			h = nacosv1alpha1.HealthUnknown
		}
		c.Health[string(h)]++
	}
	if obs == nil {
		return c
	}
	c.RaftGroups = map[string]bool{}
	for _, m := range obs.Members {
		if !m.Probed || m.Err != nil {
			continue
		}
		for _, v := range m.View {
			if v.Address != m.Address {
				continue
			}
			for g, rg := range v.Raft {
				c.RaftGroups[g] = c.RaftGroups[g] || rg.Leader != ""
			}
		}
	}
	return c
}

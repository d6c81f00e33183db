package controllers

import (
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
	r.Metrics.Set(clusterMetrics(nc, s, obs, r.Clock.Now()))
}

// clusterMetrics is the metrics' view of one pass.
func clusterMetrics(nc *nacosv1alpha1.NacosCluster, s nacosv1alpha1.NacosClusterStatus, obs *observe.Observation, now time.Time) metrics.Cluster {
	c := metrics.Cluster{Namespace: nc.Namespace, Name: nc.Name, Desired: nc.Spec.Replicas, Health: map[string]int{},
		DistroInitialized: s.DistroInitializedMembers, Conditions: s.Conditions, Gates: rollout.GateNames(), Now: now}
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

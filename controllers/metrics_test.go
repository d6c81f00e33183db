package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// The blocked time counts from when the current gate began: Progressing stays True, with
// one transition time, through a rollout that moves from gate to gate.
func TestBlockedOnCountsFromTheCurrentGate(t *testing.T) {
	r := &NacosClusterReconciler{}
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "nacos"}}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	status := func(reason string) nacosv1alpha1.NacosClusterStatus {
		return nacosv1alpha1.NacosClusterStatus{Conditions: []metav1.Condition{{Type: nacosv1alpha1.ConditionProgressing,
			Status: metav1.ConditionTrue, Reason: reason, LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour))}}}
	}
	steps := []struct {
		reason    string
		at        time.Time
		gate      string
		wantSince time.Time
	}{
		{nacosv1alpha1.GateDistroNotInitialized, t0, nacosv1alpha1.GateDistroNotInitialized, t0},
		{nacosv1alpha1.GateDistroNotInitialized, t0.Add(time.Minute), nacosv1alpha1.GateDistroNotInitialized, t0},
		{nacosv1alpha1.GatePodsNotReady, t0.Add(2 * time.Minute), nacosv1alpha1.GatePodsNotReady, t0.Add(2 * time.Minute)},
		{nacosv1alpha1.ReasonRollingRestart, t0.Add(3 * time.Minute), "", time.Time{}},
		{nacosv1alpha1.GatePodsNotReady, t0.Add(4 * time.Minute), nacosv1alpha1.GatePodsNotReady, t0.Add(4 * time.Minute)},
	}
	for i, s := range steps {
		gate, since := r.blockedOn(nc, status(s.reason), s.at)
		if gate != s.gate || !since.Equal(s.wantSince) {
			t.Fatalf("step %d (%s at %s): blocked on %q since %s, want %q since %s", i, s.reason, s.at, gate, since, s.gate, s.wantSince)
		}
	}
}

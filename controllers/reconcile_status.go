package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
	"github.com/nacos-operator/nacos-operator/internal/status"
)

// newStatus starts this pass's status from the last written one, stamped with the generation
// being reconciled. Conditions are then recomputed from what the pass observes, never latched.
func (r *NacosClusterReconciler) newStatus(nc *nacosv1alpha1.NacosCluster) nacosv1alpha1.NacosClusterStatus {
	s := *nc.Status.DeepCopy()
	s.ObservedGeneration = nc.Generation
	return s
}

// setCondition sets one condition with the reconciled generation. The transition time comes
// from the injected clock and only moves when the condition's status flips.
func (r *NacosClusterReconciler) setCondition(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus,
	condType string, value metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{
		Type: condType, Status: value, Reason: reason, Message: message,
		ObservedGeneration: nc.Generation, LastTransitionTime: metav1.NewTime(r.Clock.Now()),
	})
}

// warnOnChange records a Warning Event only when the condition it reports changes reason,
// not message: messages name members and their states, which change every few seconds while
// a cluster starts or a member restarts (the demo's first run showed a hundred Events in a
// minute), and the condition always holds the current message.
func (r *NacosClusterReconciler) warnOnChange(nc *nacosv1alpha1.NacosCluster, condType, reason, message string) {
	r.eventOnChange(nc, corev1.EventTypeWarning, condType, reason, reason, message)
}

// eventOnChange records an Event (eventReason) when condType's reason becomes condReason.
func (r *NacosClusterReconciler) eventOnChange(nc *nacosv1alpha1.NacosCluster, eventType, condType, condReason, eventReason, message string) {
	if prev := meta.FindStatusCondition(nc.Status.Conditions, condType); prev == nil || prev.Reason != condReason {
		r.Recorder.Eventf(nc, nil, eventType, eventReason, condType, "%s", message)
	}
}

// plannedRestart: the only member not ready is the one the rollout restarted last. Its
// absence is the rollout's doing and RestartingMember said so; a Degraded or Distro Warning
// for it would only cry wolf, so those wait for a member the operator did not restart.
func plannedRestart(s *nacosv1alpha1.NacosClusterStatus) bool {
	if s.LastRestart == nil {
		return false
	}
	for _, m := range s.Members {
		if m.Name != s.LastRestart.Member && (m.Health != nacosv1alpha1.HealthReady || !m.DistroInitialized) {
			return false
		}
	}
	return true
}

// reportInvalidSpec marks a spec the operator refuses to apply.
func (r *NacosClusterReconciler) reportInvalidSpec(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, message string) {
	message = "The spec cannot be applied: " + message
	r.warnOnChange(nc, nacosv1alpha1.ConditionReconciled, nacosv1alpha1.ReasonInvalidSpec, message)
	r.setCondition(nc, s, nacosv1alpha1.ConditionReconciled, metav1.ConditionFalse, nacosv1alpha1.ReasonInvalidSpec, message)
	s.Phase = nacosv1alpha1.PhaseFailed
}

// reportReconcileError marks an API failure; the reconcile is retried with backoff.
func (r *NacosClusterReconciler) reportReconcileError(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, err error) {
	message := "Applying the spec failed: " + err.Error()
	r.warnOnChange(nc, nacosv1alpha1.ConditionReconciled, nacosv1alpha1.ReasonReconcileFailed, message)
	r.setCondition(nc, s, nacosv1alpha1.ConditionReconciled, metav1.ConditionFalse, nacosv1alpha1.ReasonReconcileFailed, message)
}

// reportSpecAccepted marks the spec as applied.
func (r *NacosClusterReconciler) reportSpecAccepted(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus) {
	r.setCondition(nc, s, nacosv1alpha1.ConditionReconciled, metav1.ConditionTrue, nacosv1alpha1.ReasonReconcileSucceeded,
		"Every owned object matches the spec.")
	if s.Phase == nacosv1alpha1.PhaseFailed {
		s.Phase = nacosv1alpha1.PhasePending
	}
}

func (r *NacosClusterReconciler) reportPaused(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, reason string) {
	msg := "Reconciliation of workloads is paused by the " + nacosv1alpha1.AnnotationPauseReconciliation +
		" annotation; status is still observed. Remove the annotation to resume."
	r.warnOnChange(nc, nacosv1alpha1.ConditionPaused, nacosv1alpha1.EventPaused, msg)
	r.setCondition(nc, s, nacosv1alpha1.ConditionPaused, metav1.ConditionTrue, reason, msg)
}

func (r *NacosClusterReconciler) reportNotPaused(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus) {
	if nc.Spec.Rollout.Paused {
		r.setCondition(nc, s, nacosv1alpha1.ConditionPaused, metav1.ConditionTrue, nacosv1alpha1.ReasonPausedBySpec,
			"spec.rollout.paused holds restarts and scale-downs; status, config and scale-ups still apply.")
		return
	}
	r.setCondition(nc, s, nacosv1alpha1.ConditionPaused, metav1.ConditionFalse, nacosv1alpha1.ReasonNotPaused, "Nothing is paused.")
}

// report fills members[], counts, the health conditions, Progressing and the phase from one
// pass's observation and plan. It returns whether the cluster is ready.
func (r *NacosClusterReconciler) report(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, w *world, p plan, paused bool) bool {
	prevReady := meta.IsStatusConditionTrue(nc.Status.Conditions, nacosv1alpha1.ConditionReady)
	// Degraded lasts until the cluster is Ready again, not one pass.
	wasReady := prevReady || meta.IsStatusConditionTrue(nc.Status.Conditions, nacosv1alpha1.ConditionDegraded)
	members := p.scale.Conf
	if members == 0 || paused {
		members = max(w.inConf, min(nc.Spec.Replicas, int32(len(w.obs.Members))))
	}
	obs := w.obs
	obs.Members = obs.Members[:min(int(members), len(obs.Members))]
	rep := status.Compute(obs, nc.Spec.Mode == nacosv1alpha1.ModeStandalone, wasReady)
	s.Members, s.Replicas, s.ReadyReplicas = rep.Members, rep.Replicas, rep.ReadyReplicas
	s.DistroInitializedMembers, s.Version = rep.DistroInitializedMembers, rep.Version
	s.Distro = fmt.Sprintf("%d/%d", rep.DistroInitializedMembers, nc.Spec.Replicas)
	if w.sts != nil {
		s.UpdatedReplicas, s.CurrentRevision, s.UpdateRevision = w.sts.Status.UpdatedReplicas, w.sts.Status.CurrentRevision, w.sts.Status.UpdateRevision
	}
	for _, c := range rep.Conditions {
		r.setCondition(nc, s, c.Type, c.Status, c.Reason, c.Message)
	}
	r.diagnose(nc, s, obs, w.net)
	r.healthEvents(nc, s, rep, prevReady, wasReady)
	r.reportRollout(nc, s, p)
	s.Phase = phase(s, rep, p, prevReady)
	return rep.Ready && p.rollout.Action == rollout.ActionNone && p.scale.Reason == ""
}

// healthEvents records the health transitions. While a new cluster starts, its conditions
// and diagnosis say why it is not ready yet; a planned restart says so by RestartingMember.
func (r *NacosClusterReconciler) healthEvents(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, rep status.Report, prevReady, wasReady bool) {
	planned := plannedRestart(s)
	if c := findCondition(s, nacosv1alpha1.ConditionDistroInitialized); c != nil && c.Status == metav1.ConditionFalse && wasReady && !planned {
		r.warnOnChange(nc, c.Type, c.Reason, c.Message)
	}
	switch {
	case rep.Ready && !prevReady:
		r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.ReasonAllMembersReady, "Observe",
			"All %d members are ready with Distro initialized", nc.Spec.Replicas)
	case !rep.Ready && prevReady && !planned:
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, nacosv1alpha1.ConditionDegraded, "Observe", "%s", firstMessage(rep, nacosv1alpha1.ConditionReady))
	}
}

func phase(s *nacosv1alpha1.NacosClusterStatus, rep status.Report, p plan, prevReady bool) nacosv1alpha1.Phase {
	switch {
	case s.Phase == nacosv1alpha1.PhaseFailed:
		return nacosv1alpha1.PhaseFailed
	case meta.IsStatusConditionTrue(s.Conditions, nacosv1alpha1.ConditionPaused):
		return nacosv1alpha1.PhasePaused
	case p.scale.Reason != "" && rep.Replicas > 0:
		return nacosv1alpha1.PhaseScaling
	case len(p.rollout.Outdated) > 0 || p.rollout.Finishing:
		return nacosv1alpha1.PhaseUpdating
	case rep.Ready:
		return nacosv1alpha1.PhaseReady
	case rep.Replicas == 0:
		return nacosv1alpha1.PhasePending
	case prevReady || s.Phase == nacosv1alpha1.PhaseDegraded:
		return nacosv1alpha1.PhaseDegraded
	}
	return nacosv1alpha1.PhaseInitializing
}

func firstMessage(rep status.Report, condType string) string {
	for _, c := range rep.Conditions {
		if c.Type == condType {
			return c.Message
		}
	}
	return ""
}

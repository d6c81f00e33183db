package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// newStatus starts this pass's status from the last written one, stamped with the generation
// being reconciled. Conditions are then recomputed from what the pass observes, never latched.
func (r *NacosClusterReconciler) newStatus(nc *nacosv1alpha1.NacosCluster) nacosv1alpha1.NacosClusterStatus {
	status := *nc.Status.DeepCopy()
	status.ObservedGeneration = nc.Generation
	return status
}

// setCondition sets one condition with the reconciled generation. The transition time comes
// from the injected clock and only moves when the condition's status flips.
func (r *NacosClusterReconciler) setCondition(nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus,
	condType string, value metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             value,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: nc.Generation,
		LastTransitionTime: metav1.NewTime(r.Clock.Now()),
	})
}

// reportInvalidSpec marks a spec the operator refuses to apply. The Warning Event is emitted
// only when the message is new, so a stuck object does not flood the event stream.
func (r *NacosClusterReconciler) reportInvalidSpec(nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus, message string) {
	previous := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionReconciled)
	message = "The spec cannot be applied: " + message
	r.setCondition(nc, status, nacosv1alpha1.ConditionReconciled, metav1.ConditionFalse, nacosv1alpha1.ReasonInvalidSpec, message)
	status.Phase = nacosv1alpha1.PhaseFailed
	if previous == nil || previous.Message != message {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, nacosv1alpha1.ReasonInvalidSpec, "ValidateSpec", "%s", message)
	}
}

// reportSpecAccepted marks the spec as applied. Until members exist the phase is Pending.
func (r *NacosClusterReconciler) reportSpecAccepted(nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus) {
	r.setCondition(nc, status, nacosv1alpha1.ConditionReconciled, metav1.ConditionTrue, nacosv1alpha1.ReasonReconcileSucceeded,
		"The spec is valid and accepted.")
	if status.Phase == "" || status.Phase == nacosv1alpha1.PhaseFailed {
		status.Phase = nacosv1alpha1.PhasePending
	}
}

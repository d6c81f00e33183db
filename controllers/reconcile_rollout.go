package controllers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/metrics"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// restartMember takes the rollout's one disruptive action: delete one member pod (with a
// UID precondition, so a pod recreated meanwhile is never hit) and record it in status, so
// the next pass, or the next operator process, waits for that member to rejoin.
func (r *NacosClusterReconciler) restartMember(ctx context.Context, nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus, w *world, p plan, auth nacos.Auth) error {
	d := p.rollout
	if len(p.skipped) > 0 && d.Action != rollout.ActionNone {
		r.warnOnChange(nc, nacosv1alpha1.ConditionProgressing, "RolloutGatesSkipped",
			"The nacos.io/skip-gates annotation disables these gates: "+strings.Join(p.skipped, ", "))
	}
	if d.Action == rollout.ActionTransfer {
		return r.transferLeadership(ctx, nc, w, d, auth)
	}
	if d.Action != rollout.ActionDelete {
		return nil
	}
	// Record the restart first, with the optimistic lock: if the record cannot be written (a
	// stale object), nothing is deleted, and no later pass can miss a restart it made.
	now := metav1.NewTime(r.Clock.Now())
	status.LastRestart = &nacosv1alpha1.LastRestart{Member: d.Member, UID: d.UID, Time: now}
	if err := r.writeStatus(ctx, nc, *status); err != nil {
		return fmt.Errorf("record the restart of %s before deleting it: %w", d.Member, err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: nc.Namespace, Name: d.Member}}
	uid := types.UID(d.UID)
	err := r.Delete(ctx, pod, client.Preconditions{UID: &uid})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s to restart it: %w", d.Member, err)
	}
	reason, cause := fmt.Sprintf("Restarting %s: %s", d.Member, d.Message), metrics.CauseRollout
	if d.Forced {
		reason, cause = "Replacing "+d.Member+": "+d.Message, metrics.CauseForced
	}
	if err == nil { // a pod already gone or replaced was not deleted by this pass
		r.Metrics.Restarted(nc.Namespace, nc.Name, cause)
	}
	r.Recorder.Eventf(nc, pod, corev1.EventTypeNormal, nacosv1alpha1.EventRestartingMember, "DeletePod", "%s", reason)
	log.FromContext(ctx).Info("restarting member", "member", d.Member, "forced", d.Forced)
	return nil
}

// transferLeadership asks the leader due for a restart to hand Raft leadership over; the
// next passes wait (NoRaftLeader gate) until every member agrees on the new leader.
func (r *NacosClusterReconciler) transferLeadership(ctx context.Context, nc *nacosv1alpha1.NacosCluster, w *world, d rollout.Decision, auth nacos.Auth) error {
	m, ok := w.obs.ByName(d.Member)
	if !ok || m.PodIP == "" {
		return nil
	}
	if err := r.Clients.For(net.JoinHostPort(m.PodIP, strconv.Itoa(resource.PortHTTP)), auth).TransferLeader(ctx, d.Target); err != nil {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, "RaftLeadershipTransferFailed", "TransferLeader", "%s: %v", d.Member, err)
		return nil // the planner asks again next pass; the restart waits meanwhile
	}
	r.transfers.Store(nc.Namespace+"/"+nc.Name, r.Clock.Now())
	r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, "TransferringRaftLeadership", "TransferLeader", "%s", d.Message)
	return nil
}

// reportRollout sets Progressing and members[].blockedBy from the plan.
func (r *NacosClusterReconciler) reportRollout(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, p plan) {
	markMembers(s, p.rollout)
	d := p.rollout
	switch {
	case p.scale.Reason != "":
		r.reportScale(nc, s, p)
	case d.Action == rollout.ActionDelete || d.Action == rollout.ActionTransfer:
		r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionTrue, nacosv1alpha1.ReasonRollingRestart,
			fmt.Sprintf("%s; %d members outdated.", d.Message, len(d.Outdated)))
	case d.Action == rollout.ActionWait && d.Deadline:
		msg := fmt.Sprintf("%s did not rejoin within %s: %s", s.LastRestart.Member, durationOr(nc.Spec.Rollout.MemberReadyTimeout), d.Message)
		r.warnOnChange(nc, nacosv1alpha1.ConditionProgressing, nacosv1alpha1.ReasonProgressDeadlineExceeded, msg)
		r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionFalse, nacosv1alpha1.ReasonProgressDeadlineExceeded, msg)
	case d.Action == rollout.ActionWait:
		msg := waitMessage(s, d)
		if len(d.Outdated) > 0 || d.Finishing { // not the StatefulSet's first revision at creation
			r.eventOnChange(nc, waitEventType(s, d), nacosv1alpha1.ConditionProgressing, d.Gate, d.Gate, msg)
		}
		r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionTrue, d.Gate, msg)
	default:
		if s.LastRestart != nil && progressingBefore(nc) {
			r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventRolloutCompleted, "Rollout", "Every member runs the update revision")
		}
		if d.Action == rollout.ActionNone {
			s.LastRestart = nil // the rollout is over; the next one starts with no previous member
		}
		r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionFalse, nacosv1alpha1.ReasonUpToDate,
			fmt.Sprintf("All %d members are up to date.", nc.Spec.Replicas))
	}
}

func (r *NacosClusterReconciler) reportScale(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, p plan) {
	reason, msg := p.scale.Reason, p.scale.Message
	if p.scale.Gate != "" && p.scale.Gate != rollout.GateMemberLeaving {
		reason = p.scale.Gate
	}
	if msg == "" {
		msg = fmt.Sprintf("Scaling to %d members.", nc.Spec.Replicas)
	}
	if reason != p.scale.Reason { // a scale-down refused for now (the reason is the gate): say so once per gate
		r.eventOnChange(nc, corev1.EventTypeWarning, nacosv1alpha1.ConditionProgressing, reason, nacosv1alpha1.EventScaleDownRefused, msg)
	}
	r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionTrue, reason, msg)
}

// markMembers sets blockedBy on outdated members while the rollout waits, and the last
// restart time of the member restarted last.
func markMembers(s *nacosv1alpha1.NacosClusterStatus, d rollout.Decision) {
	blocked := map[string]bool{}
	for _, m := range d.Outdated {
		blocked[m] = d.Action == rollout.ActionWait
	}
	for i := range s.Members {
		s.Members[i].BlockedBy = ""
		if blocked[s.Members[i].Name] {
			s.Members[i].BlockedBy = d.Gate
		}
		if last := s.LastRestart; last != nil && last.Member == s.Members[i].Name {
			t := last.Time
			s.Members[i].LastRestartTime = &t
		}
	}
}

func progressingBefore(nc *nacosv1alpha1.NacosCluster) bool {
	for _, c := range nc.Status.Conditions {
		if c.Type == nacosv1alpha1.ConditionProgressing {
			return c.Status == metav1.ConditionTrue || c.Reason == nacosv1alpha1.ReasonProgressDeadlineExceeded
		}
	}
	return false
}

func durationOr(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

func waitMessage(s *nacosv1alpha1.NacosClusterStatus, d rollout.Decision) string {
	if d.Finishing && s.LastRestart != nil {
		return fmt.Sprintf("Rolling restart finishing: every member runs the update revision; waiting for %s to rejoin: %s.",
			s.LastRestart.Member, strings.TrimSuffix(d.Message, "."))
	}
	return fmt.Sprintf("Rolling restart waits: %s (%d members outdated).", d.Message, len(d.Outdated))
}

// waitEventType: a wait the rollout itself causes (spacing restarts, the cache catching up,
// the member it just restarted coming back) is Normal; a gate failing on another member is
// a Warning, since that member is why the rollout stands still.
func waitEventType(s *nacosv1alpha1.NacosClusterStatus, d rollout.Decision) string {
	switch {
	case d.Gate == nacosv1alpha1.GateStabilizing, d.Gate == nacosv1alpha1.GateCacheNotInSync:
		return corev1.EventTypeNormal
	case s.LastRestart != nil && d.Member == s.LastRestart.Member && d.Gate != nacosv1alpha1.GateRolloutPaused:
		return corev1.EventTypeNormal
	}
	return corev1.EventTypeWarning
}

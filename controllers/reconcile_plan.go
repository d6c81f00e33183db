package controllers

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
	"github.com/nacos-operator/nacos-operator/internal/startup"
)

// plan is this pass's decision: the sizes to apply and the rollout step.
type plan struct {
	scale   rollout.ScaleDecision
	rollout rollout.Decision
	skipped []string       // gates skipped by annotation
	startup startup.Action // the start-up recovery action: a nudge or a restart
}

// decide runs the pure scale logic and, when no scale is in progress, the rollout planner.
func (r *NacosClusterReconciler) decide(nc *nacosv1alpha1.NacosCluster, w *world) plan {
	var p plan
	p.startup = startup.Decide(r.startupInput(nc, w))
	in := r.rolloutInput(nc, w, w.current)
	inConf := w.inConf
	if inConf == 0 {
		inConf = w.current // no readable ConfigMap: no scale step can be in progress
	}
	scaleIn := rollout.ScaleInput{Desired: nc.Spec.Replicas, Current: w.current, InConf: inConf}
	if w.current > nc.Spec.Replicas {
		scaleIn.HealthGate, scaleIn.HealthMessage = rollout.Health(in)
		if nc.Spec.Rollout.Paused {
			scaleIn.HealthGate, scaleIn.HealthMessage = nacosv1alpha1.GateRolloutPaused, "spec.rollout.paused holds scale-downs"
		}
		leaving := resource.MemberAddress(nc, int(w.current-1))
		scaleIn.LeavingListed = rollout.LeavingListed(r.rolloutInput(nc, w, w.current-1).Members, leaving)
	}
	p.scale = rollout.Scale(scaleIn)
	if p.scale.Reason != "" || w.sts == nil {
		return p
	}
	in = r.rolloutInput(nc, w, p.scale.Conf)
	in.SkipGates, p.skipped = skipGates(nc)
	in.Paused = nc.Spec.Rollout.Paused
	in.TransferLeadership = nc.Spec.Rollout.TransferRaftLeadership
	p.rollout = rollout.Plan(in)
	return p
}

// rolloutInput converts the first n observed members into planner input.
func (r *NacosClusterReconciler) rolloutInput(nc *nacosv1alpha1.NacosCluster, w *world, n int32) rollout.Input {
	in := rollout.Input{Now: r.Clock.Now(), TargetVersion: nc.Spec.Version}
	if w.sts != nil {
		in.UpdateRevision, in.StsGeneration, in.StsObservedGeneration = w.sts.Status.UpdateRevision, w.sts.Generation, w.sts.Status.ObservedGeneration
	}
	if last := nc.Status.LastRestart; last != nil {
		in.Last = rollout.LastRestart{Member: last.Member, UID: last.UID, At: last.Time.Time}
	}
	ro := nc.Spec.Rollout
	in.MemberReadyTimeout, in.StuckTimeout, in.RefreshMaxAge = durationOr(ro.MemberReadyTimeout), durationOr(ro.StuckMemberTimeout), durationOr(ro.MemberRefreshMaxAge)
	in.StabilizationDelay = durationOr(ro.StabilizationDelay)
	if at, ok := r.transfers.Load(nc.Namespace + "/" + nc.Name); ok {
		in.LastTransfer, in.TransferSettle = at.(time.Time), resource.ReadinessWindow
	}
	for i, m := range w.obs.Members {
		if int32(i) >= n {
			break
		}
		in.Desired = append(in.Desired, m.Address)
		in.Members = append(in.Members, rolloutMember(i, m))
	}
	return in
}

func rolloutMember(ordinal int, m observe.Member) rollout.Member {
	rm := rollout.Member{Name: m.Name, Ordinal: ordinal, Address: m.Address, Terminating: m.Terminating, KubeReady: m.KubeReady,
		Reachable: m.Probed && m.Err == nil, NacosReady: m.Readiness.Ready, ReadyMessage: m.Readiness.Message,
		NamingUP: m.Naming.Status == "UP", NamingMessage: m.Naming.Message, View: m.View, Starting: m.Starting}
	if p := m.Pod; p != nil {
		rm.Exists, rm.UID, rm.CreatedAt = true, string(p.UID), p.CreationTimestamp.Time
		for _, c := range p.Status.Conditions {
			switch {
			case c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue:
				rm.NotReadySince = c.LastTransitionTime.Time
			case c.Type == corev1.PodReady:
				rm.ReadySince = c.LastTransitionTime.Time
			}
		}
		rm.Revision = p.Labels["controller-revision-hash"]
		rm.Pending = p.Status.Phase == corev1.PodPending || p.Status.Phase == ""
		for _, c := range p.Status.ContainerStatuses {
			if c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" {
				rm.CrashLoop = true
			}
		}
	}
	return rm
}

// skipGates reads the nacos.io/skip-gates annotation; unknown names are ignored.
func skipGates(nc *nacosv1alpha1.NacosCluster) (map[string]bool, []string) {
	raw := nc.Annotations[nacosv1alpha1.AnnotationSkipGates]
	if raw == "" {
		return nil, nil
	}
	known := map[string]bool{}
	for _, g := range rollout.GateNames() {
		known[g] = true
	}
	out := map[string]bool{}
	var list []string
	for _, g := range strings.Split(raw, ",") {
		if g = strings.TrimSpace(g); known[g] {
			out[g] = true
			list = append(list, g)
		}
	}
	return out, list
}

// logWait logs, at V(1), what the pass waits for: actions are logged at info where they are
// taken; a wait is logged with its gate (the condition reason) and the member it names.
func logWait(ctx context.Context, p plan) {
	d := p.rollout
	switch {
	case p.scale.Reason != "":
		log.FromContext(ctx).V(1).Info("scaling", "reason", p.scale.Reason, "gate", p.scale.Gate, "message", p.scale.Message)
	case d.Action == rollout.ActionWait:
		log.FromContext(ctx).V(1).Info("rollout waits", "gate", d.Gate, "member", d.Member, "message", d.Message)
	}
}

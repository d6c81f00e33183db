package controllers

import (
	"context"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
)

// startupInput converts the observed members into stall-detection input.
func (r *NacosClusterReconciler) startupInput(w *world) startup.Input {
	in := startup.Input{Now: r.Clock.Now(), StallAfter: r.StartupStallAfter, Nudged: map[string]startup.Nudged{}}
	for _, m := range w.obs.Members {
		sm := startupMember(m)
		if done := r.nudges(sm.UID); done.Count > 0 {
			in.Nudged[sm.UID] = done
		}
		in.Members = append(in.Members, sm)
	}
	return in
}

func startupMember(m observe.Member) startup.Member {
	sm := startup.Member{Name: m.Name, RaftAddress: resource.RaftAddress(m.Address), SelfAddress: m.Address,
		Reachable: m.Probed && m.Err == nil, View: m.View}
	if p := m.Pod; p != nil {
		sm.UID, sm.Starting = string(p.UID), containerStarting(p)
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == resource.ContainerNacos && c.State.Running != nil {
				sm.StartedAt = c.State.Running.StartedAt.Time
			}
		}
	}
	return sm
}

// nudgeStalled moves the nacos_config leadership for a member stalled in start-up (package
// startup explains the Nacos behaviour and bounds the repeats). A refused transfer is
// reported and tried again next pass.
func (r *NacosClusterReconciler) nudgeStalled(ctx context.Context, nc *nacosv1alpha1.NacosCluster, w *world, p plan, auth nacos.Auth) {
	if !p.stalled {
		return
	}
	n := p.nudge
	via, ok := w.obs.ByName(n.Via)
	if !ok || via.PodIP == "" {
		return
	}
	c := r.Clients.For(net.JoinHostPort(via.PodIP, strconv.Itoa(resource.PortHTTP)), auth)
	if err := c.TransferGroupLeader(ctx, startup.ConfigGroup, n.Target); err != nil {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, nacosv1alpha1.EventStartupNudgeFailed, "TransferLeader", "%s: %v", n.Message, err)
		return
	}
	done := r.nudges(n.UID)
	r.nudged.Store(n.UID, startup.Nudged{Count: done.Count + 1, Last: r.Clock.Now()})
	r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventStartupNudged, "TransferLeader", "%s", n.Message)
	log.FromContext(ctx).Info("nudged a member stalled in start-up", "member", n.Member, "target", n.Target)
}

// nudges is what was done for the pod's start-up stall (zero when nothing).
func (r *NacosClusterReconciler) nudges(uid string) startup.Nudged {
	if v, ok := r.nudged.Load(uid); ok {
		return v.(startup.Nudged)
	}
	return startup.Nudged{}
}

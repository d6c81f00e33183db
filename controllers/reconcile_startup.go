package controllers

import (
	"context"
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
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
)

// startupInput converts the observed members into start-up recovery input. A member that
// answers has started: its record is dropped, so a later start gets the full bounds again.
func (r *NacosClusterReconciler) startupInput(nc *nacosv1alpha1.NacosCluster, w *world) startup.Input {
	in := startup.Input{Now: r.Clock.Now(), StallAfter: r.StartupStallAfter, Records: map[string]startup.Record{}}
	if at, ok := r.startupActions.Load(nc.Namespace + "/" + nc.Name); ok {
		in.LastAction = at.(time.Time)
	}
	desired := map[string]bool{}
	for _, m := range w.obs.Members {
		desired[startupKey(nc, m.Name)] = true
	}
	r.forgetStartups(nc.Namespace, nc.Name, desired) // members scaled away start afresh
	for _, m := range w.obs.Members {
		sm := startupMember(m)
		switch rec := r.startupRecord(nc, m.Name); {
		case sm.Reachable:
			r.startups.Delete(startupKey(nc, m.Name))
		case sm.Starting && sm.UID != "":
			rec = startup.Observe(rec, sm, in.Now)
			r.startups.Store(startupKey(nc, m.Name), rec)
			in.Records[m.Name] = rec
		case rec != startup.Record{}:
			in.Records[m.Name] = rec
		}
		in.Members = append(in.Members, sm)
	}
	return in
}

func startupMember(m observe.Member) startup.Member {
	sm := startup.Member{Name: m.Name, RaftAddress: resource.RaftAddress(m.Address), SelfAddress: m.Address,
		Reachable: m.Probed && m.Err == nil, RaftOpen: m.RaftOpen, Starting: m.Starting, Terminating: m.Terminating, View: m.View}
	if p := m.Pod; p != nil {
		sm.UID = string(p.UID)
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == resource.ContainerNacos && c.State.Running != nil {
				sm.StartedAt = c.State.Running.StartedAt.Time
			}
		}
	}
	return sm
}

// recoverStartup takes the pass's start-up recovery action (package startup explains the
// two Nacos stalls and bounds the repeats): a nacos_config leadership transfer for a member
// that missed its leader, or a pod deletion for one deadlocked in start-up. Neither touches
// a member that serves clients (the stalled member's port is closed); the deletion also
// waits until every other member answers, since the deadlocked JVM's Raft server may still
// vote. A refused action is reported and decided afresh next pass.
func (r *NacosClusterReconciler) recoverStartup(ctx context.Context, nc *nacosv1alpha1.NacosCluster, w *world, p plan, auth nacos.Auth) {
	a := p.startup
	switch a.Kind {
	case startup.Nudge:
		via, ok := w.obs.ByName(a.Via)
		if !ok || via.PodIP == "" {
			return
		}
		c := r.Clients.For(net.JoinHostPort(via.PodIP, strconv.Itoa(resource.PortHTTP)), auth)
		if err := c.TransferGroupLeader(ctx, startup.ConfigGroup, a.Target); err != nil {
			r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, nacosv1alpha1.EventStartupNudgeFailed, "TransferLeader", "%s: %v", a.Message, err)
			return
		}
		r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventStartupNudged, "TransferLeader", "%s", a.Message)
		log.FromContext(ctx).Info("nudged a member stalled in start-up", "member", a.Member, "target", a.Target)
	case startup.Restart:
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: nc.Namespace, Name: a.Member}}
		uid := types.UID(a.UID)
		err := r.Delete(ctx, pod, client.Preconditions{UID: &uid})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return // the pod was replaced or deleted meanwhile: decided afresh next pass
		}
		if err != nil {
			r.Recorder.Eventf(nc, pod, corev1.EventTypeWarning, nacosv1alpha1.EventStartupRestartFailed, "DeletePod", "%s: the deletion failed: %v", a.Message, err)
			return
		}
		r.Recorder.Eventf(nc, pod, corev1.EventTypeWarning, nacosv1alpha1.EventStartupRestarted, "DeletePod", "%s", a.Message)
		r.Metrics.Restarted(nc.Namespace, nc.Name, metrics.CauseStartupDeadlock)
		log.FromContext(ctx).Info("restarted a member deadlocked in start-up", "member", a.Member)
	default:
		return
	}
	rec := r.startupRecord(nc, a.Member)
	r.startups.Store(startupKey(nc, a.Member), startup.Apply(rec, a, r.Clock.Now()))
	r.startupActions.Store(nc.Namespace+"/"+nc.Name, r.Clock.Now())
}

// forgetStartups drops the start-up records of a cluster's pods that are not in keep (nil:
// all of them, for a deleted cluster), and with keep nil its last-action time too.
func (r *NacosClusterReconciler) forgetStartups(namespace, name string, keep map[string]bool) {
	// A member is <name>-<ordinal>: the ordinal must be all digits, or cluster "nacos" would
	// take the records of cluster "nacos-prod" in the same namespace for its own.
	prefix := namespace + "/" + name + "-"
	r.startups.Range(func(k, _ any) bool {
		key := k.(string)
		ordinal, ok := strings.CutPrefix(key, prefix)
		if ok && ordinal != "" && strings.Trim(ordinal, "0123456789") == "" && !keep[key] {
			r.startups.Delete(key)
		}
		return true
	})
	if keep == nil {
		r.startupActions.Delete(namespace + "/" + name)
	}
}

// startupRecord is what start-up recovery did for a member's pods (zero when nothing).
func (r *NacosClusterReconciler) startupRecord(nc *nacosv1alpha1.NacosCluster, member string) startup.Record {
	if v, ok := r.startups.Load(startupKey(nc, member)); ok {
		return v.(startup.Record)
	}
	return startup.Record{}
}

func startupKey(nc *nacosv1alpha1.NacosCluster, member string) string {
	return nc.Namespace + "/" + member
}

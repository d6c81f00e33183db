package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// The recorder's checks, made at each pod event and at each deletion.

// checkAvailability flags two members unavailable at once when it is the rollout's doing:
// two disrupted (deleted, missing, or recreated and not Ready yet), or one disrupted while
// another was already unready. Unready members with none disrupted are Nacos's own doing
// (measured on real 3.0.3: both peers of a member that rejoined failed readiness for a few
// seconds), and so is a running member that turns unready after a disruption began
// (measured on real 2.5.1: a member nobody touched failed readiness for 5 s while the one
// the rollout had restarted was held behind the test's port drops). Both are recorded as
// blips; the rollout must not delete during one (checked at each deletion).
func (r *Recorder) checkAvailability(pods map[string]*corev1.Pod) {
	var disrupted, unready []string
	for i := 0; i < r.replicas; i++ {
		if _, ok := pods[fmt.Sprintf("nacos-%d", i)]; !ok {
			disrupted = append(disrupted, fmt.Sprintf("nacos-%d", i))
		}
	}
	for name, p := range pods {
		switch {
		case p.DeletionTimestamp != nil || r.fresh[name]:
			disrupted = append(disrupted, name)
		case !PodReady(p):
			unready = append(unready, name)
		}
	}
	names := append(append([]string(nil), disrupted...), unready...)
	sort.Strings(names)
	if len(names) <= 1 {
		r.inBlip = false
		return
	}
	if kind, ok := r.nacosSide(disrupted, unready); ok {
		if !r.inBlip {
			r.mu.Lock()
			r.blips = append(r.blips, fmt.Sprintf("%s %v%s", time.Now().Format("15:04:05.000"), names, kind))
			r.mu.Unlock()
		}
		r.inBlip = true
		return
	}
	r.inBlip = false
	r.mu.Lock()
	recent := strings.Join(r.history[max(0, len(r.history)-12):], "\n    ")
	r.mu.Unlock()
	r.violate(fmt.Sprintf("%d members unavailable at once (%v, %d pods exist); recent pod events:\n    %s", len(names), names, len(pods), recent))
}

// nacosSide tells unavailability the rollout did not cause: none disrupted, or one
// disrupted and every other unready member turned unready after that disruption began.
func (r *Recorder) nacosSide(disrupted, unready []string) (string, bool) {
	if len(disrupted) == 0 {
		return "", true
	}
	since, ok := r.disruptedSince[disrupted[0]]
	if len(disrupted) > 1 || !ok {
		return "", false
	}
	for _, u := range unready {
		if at, ok := r.unreadySince[u]; !ok || !at.After(since) {
			return "", false
		}
	}
	return fmt.Sprintf(" (running members turned unready after %s's disruption began)", disrupted[0]), true
}

// track keeps, per pod name, when its disruption began (deleted, until its new pod is
// Ready) and when a running member turned unready.
func (r *Recorder) track(pod *corev1.Pod, deleted bool) {
	now := time.Now()
	switch {
	case deleted || pod.DeletionTimestamp != nil || r.fresh[pod.Name]:
		if _, ok := r.disruptedSince[pod.Name]; !ok {
			r.disruptedSince[pod.Name] = now
		}
		delete(r.unreadySince, pod.Name)
	case PodReady(pod):
		delete(r.disruptedSince, pod.Name)
		delete(r.unreadySince, pod.Name)
	default:
		if _, ok := r.unreadySince[pod.Name]; !ok {
			r.unreadySince[pod.Name] = now
		}
	}
}

// neverStarted tells a pod whose Nacos container runs but never passed its startup probe:
// deleting it takes nothing away (the operator's start-up recovery does, package startup).
func neverStarted(p *corev1.Pod) bool {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			return c.State.Running != nil && c.Started != nil && !*c.Started
		}
	}
	return false
}

// onRecovery records the deletion of a pod that never started, apart from the rollout's.
func (r *Recorder) onRecovery(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recoveries = append(r.recoveries, name)
	r.history = append(r.history, fmt.Sprintf("%s %s deleted before it ever started: start-up recovery, not a rollout step", time.Now().Format("15:04:05.000"), name))
}

// Recoveries is the pods deleted before their member ever started, in order.
func (r *Recorder) Recoveries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.recoveries...)
}

// onDeletion checks, right when a pod starts terminating, that every other member was
// healthy: UP in every peer's view and Distro initialized.
func (r *Recorder) onDeletion(name string) {
	ctx := context.Background()
	leader := r.currentLeader(ctx, name)
	r.mu.Lock()
	r.deletions = append(r.deletions, name)
	r.leaders = append(r.leaders, leader)
	r.mu.Unlock()
	for i := 0; i < r.replicas; i++ {
		other := fmt.Sprintf("nacos-%d", i)
		if other == name {
			continue
		}
		dial := r.members.Dial(other)
		if dial == "" {
			r.violate(fmt.Sprintf("%s deleted while %s was not running", name, other))
			continue
		}
		if ok, err := r.members.Distro(ctx, other); !ok {
			r.violate(fmt.Sprintf("%s deleted while %s had Distro not initialized (%v)", name, other, err))
		}
		view, err := r.client(dial).Members(ctx)
		if err != nil {
			r.violate(fmt.Sprintf("%s deleted while %s did not answer: %v", name, other, err))
			continue
		}
		for _, v := range view {
			if v.State != nacos.MemberUp && !strings.HasPrefix(v.Address, name+".") {
				r.violate(fmt.Sprintf("%s deleted while %s saw %s %s", name, other, v.Address, v.State))
			}
		}
	}
}

// currentLeader asks a member other than the one being deleted which member leads the
// naming_persistent_service_v2 group.
func (r *Recorder) currentLeader(ctx context.Context, except string) string {
	for i := 0; i < r.replicas; i++ {
		other := fmt.Sprintf("nacos-%d", i)
		dial := r.members.Dial(other)
		if other == except || dial == "" {
			continue
		}
		self, err := r.client(dial).Self(ctx)
		if err != nil {
			continue
		}
		leader := self.Raft["naming_persistent_service_v2"].Leader
		return strings.SplitN(leader, ".", 2)[0]
	}
	return ""
}

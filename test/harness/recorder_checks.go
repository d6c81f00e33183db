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

// checkAvailability flags two members unavailable at once when at least one of them is
// disrupted (deleted, missing, or recreated and not Ready yet): what a rollout must never
// cause. Two members unready with none disrupted is Nacos's own doing (measured on real
// 3.0.3: both peers of a member that rejoined failed readiness for a few seconds); it is
// recorded as a blip, and the rollout must not delete during it (checked at each deletion).
func (r *Recorder) checkAvailability(pods map[string]*corev1.Pod) {
	unavailable := r.replicas - len(pods)
	disrupted := unavailable > 0
	var names []string
	for name, p := range pods {
		if p.DeletionTimestamp != nil || !PodReady(p) {
			unavailable++
			names = append(names, name)
			disrupted = disrupted || p.DeletionTimestamp != nil || r.fresh[name]
		}
	}
	if unavailable > 1 && !disrupted {
		if !r.inBlip {
			sort.Strings(names)
			r.mu.Lock()
			r.blips = append(r.blips, fmt.Sprintf("%s %v", time.Now().Format("15:04:05.000"), names))
			r.mu.Unlock()
		}
		r.inBlip = true
		return
	}
	r.inBlip = false
	if unavailable > 1 {
		sort.Strings(names)
		r.mu.Lock()
		recent := strings.Join(r.history[max(0, len(r.history)-12):], "\n    ")
		r.mu.Unlock()
		r.violate(fmt.Sprintf("%d members unavailable at once (%v, %d pods exist); recent pod events:\n    %s", unavailable, names, len(pods), recent))
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

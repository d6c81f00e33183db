package fidelity

import (
	"context"
	"fmt"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// RestartStalledAfter is how long a cold-start member may keep its port closed, after its
// nudges, before StartedDespiteStall restarts it as the kubelet's startup probe would.
const RestartStalledAfter = 6 * time.Minute

// StartedDespiteStall waits up to d for cond on a member of a cold start, doing by hand what
// the operator does (package startup): real 2.5.1 and 3.0.3 members with embedded storage
// often keep their port closed for good, waiting for a nacos_config leader announcement
// that came before they listened (docs/real-nacos.md). Past startup.StallAfter with the port
// closed while a peer answers, a peer is asked to move the nacos_config leadership to the
// member, at most startup.MaxNudges times; past RestartStalledAfter the member is restarted
// once. Each step goes to logf, so a run shows whether a nudge freed a real member. It
// returns how long the wait took and how many nudges it made.
func (p *Pods) StartedDespiteStall(ctx context.Context, ordinal int, d time.Duration, cond func(context.Context) bool, logf func(string, ...any)) (time.Duration, int, error) {
	start, since, restarted := time.Now(), time.Now(), false
	nudges, lastNudge := 0, time.Time{}
	err := harness.Eventually(ctx, d, func(ctx context.Context) (bool, error) {
		if cond(ctx) {
			if nudges > 0 {
				logf("member %d opened its port %.0f s after nudge %d", ordinal, time.Since(lastNudge).Seconds(), nudges)
			}
			return true, nil
		}
		closed := !p.Answers(ordinal)(ctx)
		peer := p.answeringPeer(ctx, ordinal)
		if closed && peer >= 0 && time.Since(since) > startup.StallAfter && nudges < startup.MaxNudges && time.Since(lastNudge) > startup.StallAfter {
			nudges, lastNudge = nudges+1, time.Now()
			err := p.Client(peer).TransferGroupLeader(ctx, startup.ConfigGroup, resource.RaftAddress(p.Address(ordinal)))
			logf("member %d kept its port closed for %.0f s while member %d answered: nudge %d moves nacos_config leadership to it (error: %v)", ordinal, time.Since(since).Seconds(), peer, nudges, err)
		}
		if closed && peer >= 0 && !restarted && time.Since(since) > RestartStalledAfter {
			logf("member %d kept its port closed for %s despite %d nudges: restarting it", ordinal, RestartStalledAfter, nudges)
			if _, err := p.Start(ordinal); err != nil {
				return false, err
			}
			restarted, since = true, time.Now()
		}
		return false, fmt.Errorf("member %d not there", ordinal)
	})
	if err != nil {
		return 0, nudges, fmt.Errorf("member %d: not within %s: %w", ordinal, d, err)
	}
	return time.Since(start), nudges, nil
}

// answeringPeer is a member other than ordinal whose HTTP port answers, or -1.
func (p *Pods) answeringPeer(ctx context.Context, ordinal int) int {
	for i := 0; i < int(p.NC.Spec.Replicas); i++ {
		if i != ordinal && p.Answers(i)(ctx) {
			return i
		}
	}
	return -1
}

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
// member, at most startup.MaxNudges times; a member a nudge did not free while its Raft port
// answers (a start-up deadlock), or still closed past RestartStalledAfter, is restarted, at
// most startup.MaxRestarts times. What was done is kept per member process across calls, so
// a member waited on by an earlier call is not nudged again from zero. Every member of the
// cluster is watched this way, since an open member can wait on a stalled peer. Each step goes
// to logf, so a run shows whether a nudge freed a real member. It returns how long the wait
// took and how many nudges it made.
func (p *Pods) StartedDespiteStall(ctx context.Context, ordinal int, d time.Duration, cond func(context.Context) bool, logf func(string, ...any)) (time.Duration, int, error) {
	// Every member is watched, not only ordinal: a member whose port is open can stay not
	// ready because a peer is stalled (measured: member 0 open, not ready, for 10 minutes).
	start := time.Now()
	total := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.nudges
	}
	before := total()
	err := harness.Eventually(ctx, d, func(ctx context.Context) (bool, error) {
		if cond(ctx) {
			if n := total() - before; n > 0 {
				logf("member %d there %.0f s after %d nudges", ordinal, time.Since(start).Seconds(), n)
			}
			return true, nil
		}
		for j := 0; j < int(p.NC.Spec.Replicas); j++ {
			if err := p.unstall(ctx, j, logf); err != nil {
				return false, err
			}
		}
		return false, fmt.Errorf("member %d not there", ordinal)
	})
	if err != nil {
		return 0, total() - before, fmt.Errorf("member %d: not within %s: %w", ordinal, d, err)
	}
	return time.Since(start), total() - before, nil
}

// stall is what was done for one member process during a cold start.
type stall struct {
	since, last time.Time
	nudges      int
}

// unstall nudges (through a peer that answers), then restarts, a member whose port stays closed.
func (p *Pods) unstall(ctx context.Context, j int, logf func(string, ...any)) error {
	p.mu.Lock()
	s, restarts := p.stalls[j], p.restarts[j]
	p.mu.Unlock()
	if s == nil || p.Member(j) == nil {
		return nil
	}
	if p.Answers(j)(ctx) {
		// Started: as the operator forgets a member's start-up record once it starts, a
		// later start of this member gets the whole restart budget again.
		p.mu.Lock()
		p.restarts[j] = 0
		p.mu.Unlock()
		return nil
	}
	// With no peer answering there is nobody to ask for a nudge, but the restart below still
	// applies: all three members can stall at once, and a cold start that waited on a peer
	// before restarting waited for good (suspected in a CI run whose 3.0.3 cold start kept
	// member 0 closed for the whole 10 minutes; the kubelet's startup probe would have
	// restarted them).
	peer := p.answeringPeer(ctx, j)
	if peer >= 0 && time.Since(s.since) > startup.StallAfter && s.nudges < startup.MaxNudges && time.Since(s.last) > startup.StallAfter {
		s.nudges, s.last = s.nudges+1, time.Now()
		p.mu.Lock()
		p.nudges++
		p.mu.Unlock()
		err := p.Client(peer).TransferGroupLeader(ctx, startup.ConfigGroup, resource.RaftAddress(p.Address(j)))
		logf("member %d kept its port closed for %.0f s while member %d answered: nudge %d moves nacos_config leadership to it (error: %v)", j, time.Since(s.since).Seconds(), peer, s.nudges, err)
	}
	// As the operator does (startup.Deadlocked): a nudge that did not free it while its Raft
	// port answers is a start-up deadlock, which only a restart clears.
	deadlocked := s.nudges > 0 && time.Since(s.last) >= startup.NudgeGrace(0) && p.Client(j).RaftPortOpen(ctx)
	if restarts < startup.MaxRestarts && (deadlocked || time.Since(s.since) > RestartStalledAfter) {
		logf("member %d kept its port closed for %.0f s despite %d nudges (deadlocked: %v): restarting it", j, time.Since(s.since).Seconds(), s.nudges, deadlocked)
		p.mu.Lock()
		p.restarts[j]++
		p.mu.Unlock()
		if _, err := p.Start(j); err != nil {
			return err
		}
	}
	return nil
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

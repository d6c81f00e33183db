package startup

import "time"

// A second start-up stall, measured on real 2.5.1 members (docs/real-nacos.md): the member
// hears its nacos_config leader and starts the config dump, the dump's first read of the
// embedded database throws, and the failure is logged through a Spring aspect bean
// (ConfigOpFailureAspect) that does not exist yet. Creating it needs the bean factory's lock,
// which the main thread holds while it waits for the dump to finish: a deadlock. A thread
// dump shows main parked in EmbeddedDumpService.init and the dump thread BLOCKED in
// DefaultSingletonBeanRegistry.getSingleton under that aspect. A new leader
// starts another dump that blocks on the same lock, so no nudge helps; only a restart does
// (Nacos users report the same hang, freed by restarting, for 2.x). What tells it apart
// from the missed announcement is the nudge's effect: a member that only missed it opens
// its port within seconds. What tells it apart from a member whose Raft port peers cannot
// reach is that port: the deadlocked member's JRaft server accepts connections.

// NudgeGrace is how long a nudged member may take to open its port: half the stall time
// (StallAfter when zero), a minute by default. Measured on real members, the dump and the
// web server take seconds once a leader is announced.
func NudgeGrace(stallAfter time.Duration) time.Duration {
	if stallAfter <= 0 {
		stallAfter = StallAfter
	}
	return stallAfter / 2
}

// MaxRestarts bounds the restarts per pod name until its member starts: each restart can
// meet the same race again, and a member still stuck after that is left to its startup
// probe, with the diagnosis saying why.
const MaxRestarts = 2

// Deadlocked reports whether m, given what was done for it, is deadlocked in start-up: still
// starting with its port closed NudgeGrace after a nudge, while its Raft port has answered
// for NudgeGrace too. The second half matters when a network heals: a member whose 7848 was
// blocked answers on it at once but needs seconds to join its groups and open its port
// (measured on real 2.5.1: restarted the moment its drop was lifted, before this rule).
func Deadlocked(now time.Time, stallAfter time.Duration, m Member, done Record) bool {
	grace := NudgeGrace(stallAfter)
	return m.Starting && !m.Reachable && m.RaftOpen && done.Nudges > 0 && now.Sub(done.LastNudge) >= grace &&
		!done.RaftOpenSince.IsZero() && now.Sub(done.RaftOpenSince) >= grace
}

// Observe returns the record with this pass's view of m's Raft port.
func Observe(r Record, m Member, now time.Time) Record {
	r = r.For(m.UID)
	switch {
	case !m.RaftOpen:
		r.RaftOpenSince = time.Time{}
	case r.RaftOpenSince.IsZero():
		r.RaftOpenSince = now
	}
	return r
}

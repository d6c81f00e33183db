// Package rollout decides the next disruptive step of a NacosCluster: which member to
// restart, or why to wait. It is pure: an Input of observed facts in, a Decision out; no
// client, clock or HTTP. Gates are named data (gates.go); their names are condition reasons
// and status.members[].blockedBy values.
//
// The algorithm (Plan):
//  1. No outdated member: done.
//  2. Paused: wait (RolloutPaused).
//  3. An outdated member stuck (Pending, crash-looping, never ready past StuckTimeout) is
//     replaced without the health gates, which it can never pass; but never while another
//     member is down.
//  4. Otherwise every gate must pass, in order; the first that fails is the wait reason.
//  5. The next member is the outdated one with the highest ordinal, except that the member
//     leading the most Raft groups goes last (a restart of the leader costs an election).
//  6. A restarted member that has not rejoined within MemberReadyTimeout marks the wait as
//     past its deadline; the wait itself goes on (waits are not errors).
package rollout

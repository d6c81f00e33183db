package v1alpha1

// Finding is one likely cause of a member not being ready, with a stable code and the next
// step in one sentence. docs/diagnosis.md lists every code with its remedy.
type Finding struct {
	// Code is a stable, machine-readable cause (e.g. PeersUnreachable).
	Code string `json:"code"`
	// Message explains the cause and the next step.
	Message string `json:"message"`
}

// Diagnosis codes, most specific first. The order of findings in status is their likelihood.
const (
	// DiagStillInitializing means Distro is loading within the expected window: progress, not a fault.
	DiagStillInitializing = "StillInitializing"
	// DiagColdStart means every member is down at once: members initialize from each other.
	DiagColdStart = "ColdStart"
	// DiagLoneMember means the member lists only itself: Nacos waits for a server list forever.
	DiagLoneMember = "LoneMember"
	// DiagMissingPeers means the member's own list lacks desired peers.
	DiagMissingPeers = "MissingPeers"
	// DiagExtraPeers means the member's own list has members that are not desired.
	DiagExtraPeers = "ExtraPeers"
	// DiagPhantomSelf means the member lists itself under another name than its FQDN.
	DiagPhantomSelf = "PhantomSelf"
	// DiagPeersUnreachable means the member sees peers SUSPICIOUS/DOWN that the operator reaches.
	DiagPeersUnreachable = "PeersUnreachable"
	// DiagNetworkPolicyBlocks means a NetworkPolicy selecting the members does not allow a peer port.
	DiagNetworkPolicyBlocks = "NetworkPolicyBlocksPeers"
	// DiagPeerDNS means not-ready peers cannot be resolved (headless Service or EndpointSlices).
	DiagPeerDNS = "PeerDNS"
	// DiagNoRaftLeader means a Raft group has no leader (quoted from Nacos).
	DiagNoRaftLeader = "NoRaftLeader"
	// DiagStaleRaftPeers means a Raft group lists peers that are not desired members.
	DiagStaleRaftPeers = "StaleRaftPeers"
	// DiagCrashLooping means the member's container keeps restarting.
	DiagCrashLooping = "CrashLooping"
	// DiagOOMKilled means the member's container was killed for memory.
	DiagOOMKilled = "OOMKilled"
	// DiagResourceStarved means the member's resources leave it starved: no CPU request, or a
	// JVM heap that fills the memory limit.
	DiagResourceStarved = "ResourceStarved"
	// DiagStarting means the member's port is not open yet and its startup probe has not
	// passed: slow, not broken (embedded storage waits for a Raft leader before opening it).
	DiagStarting = "Starting"
	// DiagStartupStalled means the member still starts long after its nacos_config group
	// elected a leader: Nacos missed the leader announcement, and the operator moves that
	// group's leadership once to announce it again.
	DiagStartupStalled = "StartupStalled"
	// DiagStartupDeadlocked means a new nacos_config leader did not free a stalled member
	// while its Raft port accepts connections: Nacos is deadlocked in start-up (measured on
	// real 2.5.1), which only a restart clears, so the operator restarts the pod.
	DiagStartupDeadlocked = "StartupDeadlocked"
	// DiagUnreachable means the operator cannot reach the member's Nacos API.
	DiagUnreachable = "Unreachable"
	// DiagDatabaseUnreachable: with external MySQL, the member says its config module is not
	// ready, which there means its database does not answer (Nacos counts config_info).
	DiagDatabaseUnreachable = "DatabaseUnreachable"
	// DiagPodCannotReachPeer: the member's own pod failed to dial a peer's port (refused, timed
	// out, DNS failure), in its sidecar's checks: evidence, where PeersUnreachable infers.
	DiagPodCannotReachPeer = "PodCannotReachPeer"
	// DiagMemberLogSays: the member's own log names the cause (a Distro load from a named
	// peer failed, Raft peers unknown or leaderless, datasource errors, OutOfMemoryError).
	DiagMemberLogSays = "MemberLogSays"
)

// DiagnosisCodes lists every diagnosis code (docs/diagnosis.md has a row for each).
func DiagnosisCodes() []string {
	return []string{DiagOOMKilled, DiagCrashLooping, DiagPodCannotReachPeer, DiagMemberLogSays, DiagStartupStalled, DiagStartupDeadlocked, DiagStarting, DiagUnreachable, DiagDatabaseUnreachable, DiagColdStart,
		DiagLoneMember, DiagPhantomSelf, DiagMissingPeers, DiagExtraPeers, DiagPeersUnreachable, DiagNetworkPolicyBlocks,
		DiagPeerDNS, DiagNoRaftLeader, DiagStaleRaftPeers, DiagStillInitializing, DiagResourceStarved}
}

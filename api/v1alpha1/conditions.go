package v1alpha1

// Condition types of a NacosCluster. Every condition is recomputed from observation on each
// reconcile (never latched) and carries the observedGeneration it was computed for.
const (
	// ConditionReady is True when every desired member is ready in Kubernetes and in Nacos,
	// Distro is initialized on all of them, membership is consistent and Raft has leaders.
	ConditionReady = "Ready"
	// ConditionAvailable is True while a majority of members serve (Raft quorum is up), even
	// during a rolling restart.
	ConditionAvailable = "Available"
	// ConditionProgressing is True while a rollout or a scale is under way; its reason names
	// what is happening or which gate it waits for. False with ProgressDeadlineExceeded when
	// a member did not come back within spec.rollout.memberReadyTimeout.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when the cluster was ready and lost a member or a signal.
	ConditionDegraded = "Degraded"
	// ConditionMembershipConsistent is True when every member's own member list equals the
	// desired set of peers, all UP.
	ConditionMembershipConsistent = "MembershipConsistent"
	// ConditionDistroInitialized is True when every member's naming status is UP, i.e. its
	// Distro snapshot has loaded. Its message quotes Nacos's own error otherwise.
	ConditionDistroInitialized = "DistroInitialized"
	// ConditionRaftLeaderElected is True when every Raft group has one leader all members agree on.
	ConditionRaftLeaderElected = "RaftLeaderElected"
	// ConditionReconciled is False when the operator failed to apply the spec (an API error, a
	// missing Secret, an invalid combination the schema cannot catch).
	ConditionReconciled = "Reconciled"
	// ConditionPaused is True while spec.rollout.paused or the pause annotation holds changes.
	ConditionPaused = "Paused"
)

// Condition reasons. They are CamelCase, stable API: tools may match on them. Gate names of
// the rolling restart are reasons too, and appear in status.members[].blockedBy.
const (
	// ReasonReconciling means the operator has accepted the spec and is creating or updating resources.
	ReasonReconciling = "Reconciling"
	// ReasonReconcileSucceeded means every owned resource matches the spec.
	ReasonReconcileSucceeded = "ReconcileSucceeded"
	// ReasonReconcileFailed means applying the spec failed; the message holds the error.
	ReasonReconcileFailed = "ReconcileFailed"
	// ReasonInvalidSpec means the spec passed admission but cannot be applied (e.g. a missing Secret key).
	ReasonInvalidSpec = "InvalidSpec"

	// ReasonAllMembersReady means every member is ready in Kubernetes and Nacos.
	ReasonAllMembersReady = "AllMembersReady"
	// ReasonMembersNotReady means at least one member is not ready; the message names them.
	ReasonMembersNotReady = "MembersNotReady"
	// ReasonQuorumAvailable means a majority of members is ready.
	ReasonQuorumAvailable = "QuorumAvailable"
	// ReasonQuorumLost means fewer than a majority of members is ready.
	ReasonQuorumLost = "QuorumLost"

	// ReasonRollingRestart means members are restarted one at a time to reach the update revision.
	ReasonRollingRestart = "RollingRestart"
	// ReasonUpgrading means members are restarted one at a time onto another version of the
	// same major (status.upgrade says from and to).
	ReasonUpgrading = "Upgrading"
	// ReasonUpgradingMajor means members are restarted one at a time from 2.x onto 3.x; the
	// message names the member and the step.
	ReasonUpgradingMajor = "UpgradingMajor"
	// ReasonSchemaNotConfirmed means a version change waits for the user to apply the target's
	// MySQL schema and set the nacos.io/schema-confirmed annotation; members stay as they are.
	ReasonSchemaNotConfirmed = "SchemaNotConfirmed"
	// ReasonUpgradeRefused means spec.version is not an upgrade the operator can make from the
	// version the members run (a major downgrade, an unknown version, an unfinished upgrade);
	// nothing is restarted.
	ReasonUpgradeRefused = "UpgradeRefused"
	// ReasonScalingUp means members are being added.
	ReasonScalingUp = "ScalingUp"
	// ReasonScalingDown means members are being removed, highest ordinal first.
	ReasonScalingDown = "ScalingDown"
	// ReasonUpToDate means every member runs the update revision; nothing is in progress.
	ReasonUpToDate = "UpToDate"
	// ReasonProgressDeadlineExceeded means a restarted member did not become ready with Distro
	// initialized within spec.rollout.memberReadyTimeout.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"

	// ReasonMembershipConsistent means every member sees exactly the desired peers, all UP.
	ReasonMembershipConsistent = "MembershipConsistent"
	// ReasonMembershipMismatch means some member sees missing, extra or phantom peers.
	ReasonMembershipMismatch = "MembershipMismatch"
	// ReasonPeersUnhealthy means some member sees a peer SUSPICIOUS or DOWN.
	ReasonPeersUnhealthy = "PeersUnhealthy"

	// ReasonDistroInitialized means every member's naming status is UP.
	ReasonDistroInitialized = "DistroInitialized"
	// ReasonDistroNotInitialized means some member's naming status is not UP; the message quotes Nacos.
	ReasonDistroNotInitialized = "DistroNotInitialized"

	// ReasonLeaderElected means every Raft group has an agreed leader.
	ReasonLeaderElected = "LeaderElected"
	// ReasonNoRaftLeader means some Raft group has no leader or members disagree on it.
	ReasonNoRaftLeader = "NoRaftLeader"
	// ReasonRaftPeersMismatch means a Raft group's peers differ from the desired members.
	ReasonRaftPeersMismatch = "RaftPeersMismatch"

	// ReasonMembersUnreachable means the operator cannot reach some members' HTTP API.
	ReasonMembersUnreachable = "MembersUnreachable"
	// ReasonNotApplicable means the signal does not exist in this mode (e.g. Raft in standalone mode).
	ReasonNotApplicable = "NotApplicable"

	// ReasonPausedBySpec means spec.rollout.paused is true.
	ReasonPausedBySpec = "PausedBySpec"
	// ReasonPausedByAnnotation means the nacos.io/paused annotation is "true".
	ReasonPausedByAnnotation = "PausedByAnnotation"
	// ReasonNotPaused means nothing is paused.
	ReasonNotPaused = "NotPaused"
)

// Gate names of the rolling restart, in the order they are checked. Each names the state that
// blocks a restart; it is the reason of Progressing while it holds the rollout and the
// blockedBy of the member waiting on it.
const (
	// GateCacheNotInSync means the last action (a pod deletion, a StatefulSet update) is not yet visible.
	GateCacheNotInSync = "CacheNotInSync"
	// GateMemberTerminating means a member pod is terminating.
	GateMemberTerminating = "MemberTerminating"
	// GatePodsNotReady means a member pod is not Ready in Kubernetes.
	GatePodsNotReady = "PodsNotReady"
	// GateMembersNotHealthy means a member's readiness endpoint says it is not ready.
	GateMembersNotHealthy = "MembersNotHealthy"
	// GateDistroNotInitialized means a member's Distro data has not loaded.
	GateDistroNotInitialized = ReasonDistroNotInitialized
	// GateMembershipMismatch means some member's view of the cluster differs from the desired set.
	GateMembershipMismatch = ReasonMembershipMismatch
	// GateNoRaftLeader means a Raft group lacks an agreed leader or has unexpected peers.
	GateNoRaftLeader = ReasonNoRaftLeader
	// GatePreviousMemberNotRejoined means the member restarted last is not yet UP, at the target
	// version and freshly refreshed, in every peer's view.
	GatePreviousMemberNotRejoined = "PreviousMemberNotRejoined"
	// GateStabilizing means the cluster became healthy less than spec.rollout.stabilizationDelay ago.
	GateStabilizing = "Stabilizing"
	// GateRolloutPaused means the rollout is paused.
	GateRolloutPaused = "RolloutPaused"
)

// Event reasons the operator records on a NacosCluster.
const (
	EventRestartingMember = "RestartingMember"
	EventRolloutBlocked   = "RolloutBlocked"
	EventRolloutCompleted = "RolloutCompleted"
	EventUpgradeStarted   = "UpgradeStarted"
	EventUpgradeCompleted = "UpgradeCompleted"
	// EventUpgradeWritesAtRisk: a 2.x -> 3.x upgrade on embedded storage began; config
	// writes during it can be lost (docs/design/upgrades.md).
	EventUpgradeWritesAtRisk = "UpgradeWritesAtRisk"
	EventMembershipUpdated   = "MembershipUpdated"
	EventScaleDownRefused    = "ScaleDownRefused"
	EventReconcileError      = "ReconcileError"
	EventPaused              = "Paused"
	// EventStartupNudged: a member stalled in start-up waiting for a nacos_config leader
	// announcement it missed; the operator moved that group's leadership to announce one.
	EventStartupNudged = "StartupNudged"
	// EventStartupNudgeFailed: the leadership transfer for a stalled member was refused.
	EventStartupNudgeFailed = "StartupNudgeFailed"
	// EventStartupRestarted: a member deadlocked in start-up (a new leader did not free it,
	// its Raft port answers) was restarted by deleting its pod.
	EventStartupRestarted = "StartupRestarted"
	// EventStartupRestartFailed: deleting the pod of a member deadlocked in start-up failed.
	EventStartupRestartFailed = "StartupRestartFailed"
)

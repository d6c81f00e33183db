package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phase is a one-word summary of the cluster for `kubectl get`. The conditions carry the
// detail; a phase is never a sentence, so tools can match on it.
// +kubebuilder:validation:Enum=Pending;Initializing;Ready;Updating;Scaling;Degraded;Paused;Failed
type Phase string

const (
	// PhasePending means the operator has not created the members yet.
	PhasePending Phase = "Pending"
	// PhaseInitializing means members are starting or loading Distro data for the first time.
	PhaseInitializing Phase = "Initializing"
	// PhaseReady means every member is ready, Distro is initialized everywhere, Raft has leaders.
	PhaseReady Phase = "Ready"
	// PhaseUpdating means a rolling restart is in progress.
	PhaseUpdating Phase = "Updating"
	// PhaseScaling means members are being added or removed.
	PhaseScaling Phase = "Scaling"
	// PhaseDegraded means the cluster was ready and now is not; the Degraded condition says why.
	PhaseDegraded Phase = "Degraded"
	// PhasePaused means reconciliation or rollout is paused by the user.
	PhasePaused Phase = "Paused"
	// PhaseFailed means the spec cannot be reconciled (e.g. a referenced Secret is missing).
	PhaseFailed Phase = "Failed"
)

// MemberHealth is what a member's readiness endpoint says.
// +kubebuilder:validation:Enum=Ready;NotReady;Unreachable;Unknown
type MemberHealth string

const (
	// HealthReady means the readiness endpoint answered OK (HTTP 200 and, where the body has one, code 0).
	HealthReady MemberHealth = "Ready"
	// HealthNotReady means the member answered that it is not ready (e.g. "naming not in readiness").
	HealthNotReady MemberHealth = "NotReady"
	// HealthUnreachable means the member did not answer (no pod IP, connection refused, timeout).
	HealthUnreachable MemberHealth = "Unreachable"
	// HealthUnknown means not probed yet.
	HealthUnknown MemberHealth = "Unknown"
)

// NacosClusterStatus is the observed state of a NacosCluster.
type NacosClusterStatus struct {
	// ObservedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is a one-word summary; see the conditions for why.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Replicas is the number of member pods that exist.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReadyReplicas is the number of member pods Kubernetes reports Ready.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// UpdatedReplicas is the number of member pods at the update revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// DistroInitializedMembers is the number of members whose naming status is UP, which
	// (with nacos.naming.data.warmup=true, forced by the operator) means Distro is initialized.
	// +optional
	DistroInitializedMembers int32 `json:"distroInitializedMembers,omitempty"`

	// Distro is DistroInitializedMembers of the desired members, e.g. "2/3".
	// +optional
	Distro string `json:"distro,omitempty"`

	// Version is the lowest Nacos version reported by a running member.
	// +optional
	Version string `json:"version,omitempty"`

	// CurrentRevision is the StatefulSet revision most members run.
	// +optional
	CurrentRevision string `json:"currentRevision,omitempty"`

	// UpdateRevision is the StatefulSet revision every member should run.
	// +optional
	UpdateRevision string `json:"updateRevision,omitempty"`

	// Upgrade is the version change in progress or waiting: from what the members run to
	// spec.version. Absent when every member runs spec.version.
	// +optional
	Upgrade *UpgradeStatus `json:"upgrade,omitempty"`

	// LastRestart records the member the operator restarted last, so the rollout waits for it
	// to rejoin even across operator restarts.
	// +optional
	LastRestart *LastRestart `json:"lastRestart,omitempty"`

	// Members is the operator's view of every member, in ordinal order.
	// +listType=map
	// +listMapKey=name
	// +optional
	Members []MemberStatus `json:"members,omitempty"`

	// Admin is the state of Nacos's admin user bootstrap (spec.auth.adminCredentialsSecretRef).
	// +optional
	Admin *AdminStatus `json:"admin,omitempty"`

	// Conditions means: Ready, Available, Progressing, Degraded, MembershipConsistent,
	// DistroInitialized, RaftLeaderElected, Reconciled and Paused (see conditions.go).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// MemberStatus is what the operator observed of one member.
type MemberStatus struct {
	// Name of the member's pod.
	Name string `json:"name"`

	// Address of the member as written in cluster.conf (<pod FQDN>:8848).
	// +optional
	Address string `json:"address,omitempty"`

	// KubeReady is the pod's Ready condition.
	// +optional
	KubeReady bool `json:"kubeReady"`

	// Health is the answer of the member's readiness endpoint.
	// +optional
	Health MemberHealth `json:"health,omitempty"`

	// NamingStatus is the member's naming ServerStatus (UP, DOWN, STARTING, ...).
	// +optional
	NamingStatus string `json:"namingStatus,omitempty"`

	// DistroInitialized is true when the member's naming status is UP.
	// +optional
	DistroInitialized bool `json:"distroInitialized"`

	// Version is the Nacos version the member reports.
	// +optional
	Version string `json:"version,omitempty"`

	// Revision is the StatefulSet revision of the member's pod.
	// +optional
	Revision string `json:"revision,omitempty"`

	// RaftLeader is true when the member leads at least one Raft group.
	// +optional
	RaftLeader bool `json:"raftLeader"`

	// RaftLeaderOf lists the Raft groups the member leads.
	// +optional
	RaftLeaderOf []string `json:"raftLeaderOf,omitempty"`

	// LastRestartTime is when the operator last restarted the member, or when its pod started.
	// +optional
	LastRestartTime *metav1.Time `json:"lastRestartTime,omitempty"`

	// BlockedBy names the gate that holds this member's pending restart (a condition reason).
	// +optional
	BlockedBy string `json:"blockedBy,omitempty"`

	// Message explains the member's state in Nacos's own words when it is not healthy.
	// +optional
	Message string `json:"message,omitempty"`

	// Diagnosis lists the likely causes when the member is not ready, most likely first.
	// +listType=atomic
	// +optional
	Diagnosis []Finding `json:"diagnosis,omitempty"`

	// Evidence is what the member's pod itself reports (spec.diagnostics): the peer ports
	// it cannot reach and, while it is not healthy, the newest known lines of its own logs.
	// Empty when everything is reachable and the member is healthy.
	// +optional
	Evidence *MemberEvidence `json:"evidence,omitempty"`
}

// MemberEvidence is the small, deduplicated part of the sidecar's report kept in status.
type MemberEvidence struct {
	// Unreachable lists the peer ports this pod failed to reach, in its own dials.
	// +listType=atomic
	// +optional
	Unreachable []PeerDial `json:"unreachable,omitempty"`

	// Logs are the newest known lines of the member's logs since its container started
	// (at most three), each with how often it was logged.
	// +listType=atomic
	// +optional
	Logs []LogEvidence `json:"logs,omitempty"`

	// StartingSince is when the member's log began saying "Nacos is starting...", while it
	// still does.
	// +optional
	StartingSince *metav1.Time `json:"startingSince,omitempty"`

	// Error says why the sidecar's evidence could not be read.
	// +optional
	Error string `json:"error,omitempty"`
}

// PeerDial is one failing dial from the member's pod.
type PeerDial struct {
	// Peer is the pod name of the peer.
	Peer string `json:"peer"`
	// Port dialed (8848, 9848, 9849 or 7848).
	Port int32 `json:"port"`
	// Result: refused, timed out, DNS failure, no route or failed.
	Result string `json:"result"`
	// Since is the first of the failed checks in a row.
	Since metav1.Time `json:"since"`
}

// LogEvidence is one known log line, deduplicated.
type LogEvidence struct {
	// Code names the line (docs/diagnosis.md).
	Code string `json:"code"`
	// File is the log file, e.g. protocol-distro.log.
	File string `json:"file"`
	// Message is the line in Nacos's words, rebuilt from its checked fields.
	Message string `json:"message"`
	// Count of such lines since the container started (as far as the sidecar has read).
	Count int32 `json:"count"`
	// First and Last are the first and the newest of them.
	First metav1.Time `json:"first"`
	Last  metav1.Time `json:"last"`
}

// Admin bootstrap states.
const (
	// AdminCreated: the operator created the admin user with the Secret's password.
	AdminCreated = "Created"
	// AdminAlreadyExisted: an admin existed before the operator asked; Nacos kept its password.
	AdminAlreadyExisted = "AlreadyExisted"
	// AdminPending: not done yet; the message says what it waits for or what failed.
	AdminPending = "Pending"
)

// AdminStatus reports the admin user bootstrap. It never holds the password.
type AdminStatus struct {
	// State is Created, AlreadyExisted or Pending.
	State string `json:"state"`
	// Message explains the state.
	// +optional
	Message string `json:"message,omitempty"`
}

// LastRestart is the operator's record of its last restart of a member.
type LastRestart struct {
	// Member is the pod name.
	Member string `json:"member"`
	// UID of the deleted pod: the next restart waits until it is gone from the cache.
	UID string `json:"uid"`
	// Time of the deletion: peers must have heard from the member after it.
	Time metav1.Time `json:"time"`
}

// UpgradeKind is how far a version change goes.
// +kubebuilder:validation:Enum=Patch;Minor;Major
type UpgradeKind string

// UpgradeState is where a version change stands.
// +kubebuilder:validation:Enum=Rolling;SchemaNotConfirmed;UpgradeRefused
type UpgradeState string

const (
	// UpgradeRolling means members are restarted onto the new version one at a time, gated.
	UpgradeRolling UpgradeState = "Rolling"
	// UpgradeSchemaNotConfirmed means the change waits for nacos.io/schema-confirmed; nothing restarted.
	UpgradeSchemaNotConfirmed UpgradeState = ReasonSchemaNotConfirmed
	// UpgradeRefused means spec.version is refused; members stay on From, nothing restarted.
	UpgradeRefused UpgradeState = ReasonUpgradeRefused
)

// UpgradeStatus is a version change of the members.
type UpgradeStatus struct {
	// From is the (lowest) version the members run.
	From string `json:"from"`
	// To is spec.version.
	To string `json:"to"`
	// Kind is Patch, Minor or Major (2.x to 3.x).
	// +optional
	Kind UpgradeKind `json:"kind,omitempty"`
	// State is Rolling, SchemaNotConfirmed or UpgradeRefused; the Progressing condition says why.
	State UpgradeState `json:"state"`
	// UpdatedMembers is how many members report To.
	// +optional
	UpdatedMembers int32 `json:"updatedMembers,omitempty"`
	// StartedAt is when the operator first rendered To.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
}

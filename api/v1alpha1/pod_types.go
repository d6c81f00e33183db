package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodSpec customizes the member pods. Changes roll through the cluster one member at a time.
//
// +kubebuilder:validation:XValidation:rule="!has(self.labels) || !self.labels.exists(k, k in ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/component'])",message="pod.labels must not set the app.kubernetes.io/{name,instance,managed-by,component} labels: the operator selects its pods by them"
type PodSpec struct {
	// Resources of the Nacos container. Set a memory limit above config.jvm.heap.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector constrains the nodes members run on.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="pod.nodeSelector keys must be Kubernetes qualified names: an optional DNS prefix and '/', then at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
	// +optional
	NodeSelector map[string]LabelValue `json:"nodeSelector,omitempty"`

	// Affinity of the member pods. When unset the operator prefers spreading members over
	// nodes (soft pod anti-affinity), so one node failure cannot take out a Raft majority.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// Tolerations of the member pods.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// TopologySpreadConstraints of the member pods.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the member pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// Labels added to the member pods.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="pod.labels keys must be Kubernetes qualified names: an optional DNS prefix and '/', then at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
	// +optional
	Labels map[string]LabelValue `json:"labels,omitempty"`

	// Annotations added to the member pods.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="pod.annotations keys must be Kubernetes qualified names: an optional DNS prefix and '/', then at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// SecurityContext of the member pods.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`

	// Env adds environment variables to the Nacos container, e.g. secrets for properties
	// through valueFrom.secretKeyRef. Variables the operator derives from the spec (MODE,
	// NACOS_SERVERS, NACOS_AUTH_*, MYSQL_SERVICE_*, JVM_XMS, ...) are refused: the
	// Reconciled condition turns False with reason InvalidSpec and names the variable.
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// TerminationGracePeriodSeconds gives a stopping member time to leave cleanly after its
	// preStop delay. At least 30 seconds.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=30
	// +kubebuilder:validation:Maximum=3600
	// +optional
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// StartupTimeout is how long a member may take to answer its liveness URL before the
	// kubelet restarts it (the startup probe: every 10s, this long in all). With embedded
	// storage a member keeps its HTTP port closed until the nacos_config Raft group has a
	// leader: measured here 93-131s from a cold three-member start on an idle machine and
	// over 4 minutes beside a build, so the default leaves room; restarting a member for
	// being slow only starts its wait again (docs/real-nacos.md).
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="pod.startupTimeout must be a positive duration such as 10m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('1m') && duration(self) <= duration('2h'))",message="pod.startupTimeout must be between 1m and 2h: a JVM start alone takes about 30s"
	// +optional
	StartupTimeout *metav1.Duration `json:"startupTimeout,omitempty"`
}

// RolloutSpec tunes the health-gated rolling restart. Durations use Go syntax: 90s, 10m, 1h.
type RolloutSpec struct {
	// Paused stops restarts and scale-downs (the cluster is still observed and reported).
	// Changes that need a restart wait, and the Paused condition says which are pending.
	// +kubebuilder:default=false
	// +optional
	Paused bool `json:"paused,omitempty"`

	// MemberReadyTimeout is how long a restarted member may take to become ready with Distro
	// initialized before the rollout reports ProgressDeadlineExceeded. Distro retries every
	// 30s by default, so allow several minutes.
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="rollout.memberReadyTimeout must be a positive duration such as 10m or 1h30m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('1m') && duration(self) <= duration('24h'))",message="rollout.memberReadyTimeout must be between 1m and 24h: Distro initialization alone can take over a minute"
	// +optional
	MemberReadyTimeout *metav1.Duration `json:"memberReadyTimeout,omitempty"`

	// StabilizationDelay is how long the cluster must stay healthy after a member rejoins
	// before the next member restarts.
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="rollout.stabilizationDelay must be a duration such as 10s or 1m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || duration(self) <= duration('1h')",message="rollout.stabilizationDelay must be at most 1h"
	// +optional
	StabilizationDelay *metav1.Duration `json:"stabilizationDelay,omitempty"`

	// StuckMemberTimeout is how long an outdated member may stay Pending, crash-looping or
	// never ready before the operator replaces it without waiting for the health gates
	// (still never while another member is down).
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="rollout.stuckMemberTimeout must be a positive duration such as 5m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('1m') && duration(self) <= duration('24h'))",message="rollout.stuckMemberTimeout must be between 1m and 24h"
	// +optional
	StuckMemberTimeout *metav1.Duration `json:"stuckMemberTimeout,omitempty"`

	// MemberRefreshMaxAge is how recent a peer's lastRefreshTime must be, in every member's
	// view, for the membership gate to count the peer as live. Members report every 2s.
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="rollout.memberRefreshMaxAge must be a positive duration such as 30s"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('5s') && duration(self) <= duration('10m'))",message="rollout.memberRefreshMaxAge must be between 5s and 10m: members report to each other every 2s"
	// +optional
	MemberRefreshMaxAge *metav1.Duration `json:"memberRefreshMaxAge,omitempty"`

	// TransferRaftLeadership moves Raft leadership off a member before restarting it (through
	// the Nacos raft ops API), saving an election. Off by default.
	// +kubebuilder:default=false
	// +optional
	TransferRaftLeadership bool `json:"transferRaftLeadership,omitempty"`
}

// LabelValue is a Kubernetes label value (also a node selector's): the API server would
// refuse the pod or Service that carries a bad one, long after the NacosCluster was accepted.
//
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')",message="a label value must be empty or at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
type LabelValue string

// StringMap converts labels to the map Kubernetes objects carry.
func StringMap(m map[string]LabelValue) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

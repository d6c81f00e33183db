package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterMode selects how Nacos runs its members.
// +kubebuilder:validation:Enum=cluster;standalone
type ClusterMode string

const (
	// ModeCluster runs 3 or more peers that share data through Distro (AP) and JRaft (CP).
	ModeCluster ClusterMode = "cluster"
	// ModeStandalone runs a single member with no peers (MODE=standalone in the image).
	ModeStandalone ClusterMode = "standalone"
)

// NacosClusterSpec is the desired state of a Nacos deployment.
//
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || !has(self.replicas) || self.mode != 'cluster' || self.replicas >= 3",message="cluster mode needs at least 3 replicas: Raft needs a majority to elect a leader and a lone member never finishes Distro initialization; set replicas to 3 or more, or use mode: standalone with replicas: 1"
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || !has(self.replicas) || self.mode != 'standalone' || self.replicas == 1",message="standalone mode runs exactly one member; set replicas: 1, or use mode: cluster with 3 or more replicas"
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || !has(oldSelf.mode) || self.mode == oldSelf.mode",message="mode cannot change after creation: standalone and cluster members keep their data differently; create a new NacosCluster and migrate instead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.version) || !has(self.version) || !self.version.matches('^[0-9]+[.]') || !oldSelf.version.matches('^[0-9]+[.]') || int(self.version.split('.')[0]) >= int(oldSelf.version.split('.')[0])",messageExpression="'version cannot go back from ' + oldSelf.version + ' to ' + self.version + ': a major downgrade is not supported because the newer server rewrites stored data the older one cannot read'"
// +kubebuilder:validation:XValidation:rule="!has(self.clusterDomain) || !has(oldSelf.clusterDomain) || self.clusterDomain == oldSelf.clusterDomain",message="clusterDomain cannot change after creation: every member's identity in cluster.conf and Raft is derived from it"
type NacosClusterSpec struct {
	// Version of Nacos to run, e.g. "2.5.1" or "3.0.3". It selects the default image tag
	// (nacos/nacos-server:v<version>) and the Nacos APIs the operator uses to read member
	// health. Supported: the 2.3, 2.4, 2.5 and 3.0 release lines. When you set image, set
	// version to the Nacos version inside that image. Changing it upgrades the members one at
	// a time through the gated rollout (docs/design/upgrades.md); on MySQL an upgrade across a
	// schema change (to 2.5 or 3.0 from 2.3 or 2.4) waits for nacos.io/schema-confirmed.
	// +kubebuilder:default="2.5.1"
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+[.][0-9]+[.][0-9]+([-.+][0-9A-Za-z.-]+)?$')",message="version must be a Nacos release number such as 2.5.1 or 3.0.3"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[0-9]+[.][0-9]+[.]') || (int(self.split('.')[0]) == 3 && int(self.split('.')[1]) == 0) || (int(self.split('.')[0]) == 2 && int(self.split('.')[1]) >= 3 && int(self.split('.')[1]) <= 5)",messageExpression="'Nacos ' + self + ' is not a version this operator knows: use a 2.3, 2.4, 2.5 or 3.0 release (the lines whose APIs, probes and start scripts it was built and tested for)'"
	// +optional
	Version string `json:"version,omitempty"`

	// Image overrides the container image. Defaults to nacos/nacos-server:v<version>.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy of the Nacos container: Always, IfNotPresent or Never.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +kubebuilder:default=IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ImagePullSecrets name Secrets in this namespace used to pull the image.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// Mode is "cluster" (3 or more peers, the default) or "standalone" (exactly 1 member).
	// Immutable after creation.
	// +kubebuilder:default=cluster
	// +optional
	Mode ClusterMode `json:"mode,omitempty"`

	// Replicas is the number of Nacos members: 3 or more in cluster mode (an odd number keeps
	// the most Raft fault tolerance per member), exactly 1 in standalone mode. Scaling changes
	// the member list of running members live; it never restarts them.
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=15
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ClusterDomain is the DNS domain of the Kubernetes cluster. Members address each other as
	// <pod>.<headless service>.<namespace>.svc.<clusterDomain>, exactly the name Nacos
	// resolves for itself in hostname mode. Immutable after creation.
	// +kubebuilder:default="cluster.local"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) <= 66",message="clusterDomain may be at most 66 characters: a member's address <pod>.<name>-headless.<namespace>.svc.<clusterDomain> must fit in a 253-character DNS name with the longest name (52) and namespace (63)"
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// Storage selects where config data lives: embedded (Derby replicated by Raft) or MySQL.
	// +kubebuilder:default={type: embedded}
	// +optional
	Storage StorageSpec `json:"storage,omitempty"`

	// Persistence describes the PersistentVolumeClaim every member gets for /home/nacos/data.
	// +kubebuilder:default={}
	// +optional
	Persistence PersistenceSpec `json:"persistence,omitempty"`

	// Auth configures Nacos authentication and the server identity used between members.
	// +kubebuilder:default={}
	// +optional
	Auth AuthSpec `json:"auth,omitempty"`

	// Config holds extra application.properties entries and JVM settings. Changing it
	// restarts members one at a time through the health-gated rollout.
	// +optional
	Config ConfigSpec `json:"config,omitempty"`

	// Service configures the client Service (ports 8848 and 9848, and 8080 on 3.x).
	// +kubebuilder:default={}
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// Pod customizes the member pods: resources, scheduling, metadata, security and env.
	// +kubebuilder:default={}
	// +optional
	Pod PodSpec `json:"pod,omitempty"`

	// Rollout tunes how restarts roll through the cluster and lets you pause them.
	// +kubebuilder:default={}
	// +optional
	Rollout RolloutSpec `json:"rollout,omitempty"`

	// Monitoring has the members' own Prometheus metrics scraped by the prometheus-operator.
	// +optional
	Monitoring MonitoringSpec `json:"monitoring,omitempty"`

	// Diagnostics switches the in-pod evidence the diagnosis reads (docs/diagnosis.md).
	// +kubebuilder:default={}
	// +optional
	Diagnostics DiagnosticsSpec `json:"diagnostics,omitempty"`
}

// DiagnosticsSpec switches the evidence the member pod's sidecar gathers and serves,
// read-only, on its "evidence" port (8860). Neither needs pods/exec or pods/log.
type DiagnosticsSpec struct {
	// PeerChecks has the sidecar dial every peer's 8848, 9848, 9849 and 7848 from inside the
	// pod every 10 s (a TCP connect, no payload).
	// +kubebuilder:default=true
	// +optional
	PeerChecks *bool `json:"peerChecks,omitempty"`

	// Logs has the sidecar follow the member's log files (the logs volume, read-only) for a
	// documented set of lines (Distro load failures and the peer they name, Raft peer and
	// leader errors, the start-up phase, datasource errors, OutOfMemoryError), keeping only
	// codes, peers, groups and counts: never a whole line.
	// +kubebuilder:default=true
	// +optional
	Logs *bool `json:"logs,omitempty"`
}

// PeerChecksEnabled is spec.diagnostics.peerChecks (default true).
func (d DiagnosticsSpec) PeerChecksEnabled() bool { return d.PeerChecks == nil || *d.PeerChecks }

// LogsEnabled is spec.diagnostics.logs (default true).
func (d DiagnosticsSpec) LogsEnabled() bool { return d.Logs == nil || *d.Logs }

// MonitoringSpec configures scraping of the members' Prometheus endpoint, which the operator
// always turns on (management.endpoints.web.exposure.include=prometheus).
type MonitoringSpec struct {
	// PodMonitor has the operator keep a monitoring.coreos.com/v1 PodMonitor that scrapes
	// every member. It is made only where the prometheus-operator CRDs are installed;
	// elsewhere the operator says so in an Event and goes on.
	// +optional
	PodMonitor PodMonitorSpec `json:"podMonitor,omitempty"`
}

// PodMonitorSpec is the members' PodMonitor.
type PodMonitorSpec struct {
	// Enabled creates the PodMonitor; turning it off deletes it.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Interval between scrapes, in Prometheus's duration format.
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`
	// +optional
	Interval string `json:"interval,omitempty"`

	// Labels added to the PodMonitor, for a Prometheus whose podMonitorSelector needs them.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// NacosCluster is a Nacos server deployment (cluster or standalone) managed by the operator.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nacos;nc,categories=all
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Distro",type=string,JSONPath=`.status.distro`,description="Members whose Distro data is initialized, of all members"
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.version`,description="Lowest Nacos version running"
// +kubebuilder:printcolumn:name="Upgrade",type=string,priority=1,JSONPath=`.status.upgrade.state`,description="Rolling, SchemaNotConfirmed or UpgradeRefused while a version change is under way"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 52",message="metadata.name may be at most 52 characters: the StatefulSet of that name labels its pods with <name>-<revision hash>, a label value of at most 63 characters, and the Service <name>-headless must fit in 63"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must start with a lowercase letter and hold only lowercase letters, digits and hyphens: the operator names Services after it, and a Service name is a DNS-1035 label"
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type NacosCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:default={}
	// +optional
	Spec NacosClusterSpec `json:"spec,omitempty"`
	// +optional
	Status NacosClusterStatus `json:"status,omitempty"`
}

// NacosClusterList is a list of NacosCluster.
//
// +kubebuilder:object:root=true
type NacosClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NacosCluster `json:"items"`
}

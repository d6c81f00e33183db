package v1alpha1

// Label keys the operator puts on every object it owns. Selectors use Name, Instance and
// Component, so pod.labels may not override them (the CRD refuses it).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"

	// LabelNameValue is the value of LabelName on every owned object.
	LabelNameValue = "nacos"
	// LabelManagedByValue is the value of LabelManagedBy on every owned object.
	LabelManagedByValue = "nacos-operator"
)

// Annotation keys users set on a NacosCluster.
const (
	// AnnotationPauseReconciliation set to "true" stops every change to the workloads
	// (StatefulSet, Services, ConfigMap, PDB) while status keeps being observed; the Paused
	// condition and a Warning Event say so. Unlike spec.rollout.paused it also freezes config
	// and scaling: use it for maintenance by hand.
	AnnotationPauseReconciliation = "nacos.io/paused"
	// AnnotationRestartedAt set to any new value (e.g. a timestamp) requests a gated rolling
	// restart of every member.
	AnnotationRestartedAt = "nacos.io/restartedAt"
	// AnnotationSkipGates is a comma-separated list of gate names the rollout ignores. Each
	// use is recorded in an Event. For emergencies only.
	AnnotationSkipGates = "nacos.io/skip-gates"
	// AnnotationSchemaConfirmed set to a version (e.g. "2.5.1") confirms that the external
	// MySQL database has that version's schema. An upgrade across a schema change (2.3 or
	// 2.4 to 2.5 or 3.0) waits for it, with Progressing reason SchemaNotConfirmed; naming
	// the version keeps an old confirmation from starting the next upgrade.
	AnnotationSchemaConfirmed = "nacos.io/schema-confirmed"
)

// Annotation keys the operator sets on objects it owns.
const (
	// AnnotationConfigHash on the pod template holds a hash of the inputs that need a restart
	// (application.properties, JVM options). Member lists and replicas never enter it, so
	// scaling never restarts members.
	AnnotationConfigHash = "nacos.io/config-hash"
	// AnnotationVersion on the pod template is the Nacos version it was rendered for: while
	// an upgrade is held, the operator keeps rendering that version.
	AnnotationVersion = "nacos.io/version"
)

// Keys of the Secrets the operator reads.
const (
	// AuthSecretTokenKey holds the JWT signing key (base64 of at least 32 bytes).
	AuthSecretTokenKey = "token"
	// AuthSecretIdentityKeyKey holds the server identity header name.
	AuthSecretIdentityKeyKey = "identityKey"
	// AuthSecretIdentityValueKey holds the server identity header value.
	AuthSecretIdentityValueKey = "identityValue"
)

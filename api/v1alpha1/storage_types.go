package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// StorageType selects the config-data store.
// +kubebuilder:validation:Enum=embedded;mysql
type StorageType string

const (
	// StorageEmbedded keeps config data in each member's Derby database, replicated by the
	// nacos_config Raft group (embedded storage needs a Raft leader to be ready).
	StorageEmbedded StorageType = "embedded"
	// StorageMySQL keeps config data in an external MySQL database shared by all members.
	StorageMySQL StorageType = "mysql"
)

// StorageSpec selects the config-data store.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'mysql' || (has(self.mysql) && has(self.mysql.host) && size(self.mysql.host) > 0)",message="storage.type mysql needs storage.mysql.host, the address of the MySQL server"
// +kubebuilder:validation:XValidation:rule="self.type != 'mysql' || (has(self.mysql) && has(self.mysql.credentialsSecretRef))",message="storage.type mysql needs storage.mysql.credentialsSecretRef naming a Secret with the database username and password (passwords are never written in the spec)"
// +kubebuilder:validation:XValidation:rule="self.type != 'embedded' || !has(self.mysql)",message="storage.mysql is set but storage.type is embedded: set type: mysql to use MySQL, or remove storage.mysql"
type StorageSpec struct {
	// Type is "embedded" (the default) or "mysql".
	// +kubebuilder:default=embedded
	// +optional
	Type StorageType `json:"type,omitempty"`

	// MySQL is the external database, required when type is mysql. The schema
	// (mysql-schema.sql of the Nacos release) must already be loaded.
	// +optional
	MySQL *MySQLSpec `json:"mysql,omitempty"`
}

// MySQLSpec locates an external MySQL database.
type MySQLSpec struct {
	// Host name or IP of the MySQL server.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Host string `json:"host,omitempty"`

	// Port of the MySQL server.
	// +kubebuilder:default=3306
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// Database name.
	// +kubebuilder:default=nacos
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Database string `json:"database,omitempty"`

	// Params is the JDBC URL query string.
	// +kubebuilder:default="characterEncoding=utf8&connectTimeout=1000&socketTimeout=3000&autoReconnect=true&useSSL=false"
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Params string `json:"params,omitempty"`

	// CredentialsSecretRef names the Secret holding the database username and password.
	// +optional
	CredentialsSecretRef *CredentialsSecretRef `json:"credentialsSecretRef,omitempty"`
}

// CredentialsSecretRef names a Secret in the NacosCluster's namespace and the keys of a
// username and a password in it.
type CredentialsSecretRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// UsernameKey is the key of the username in the Secret.
	// +kubebuilder:default=username
	// +kubebuilder:validation:MaxLength=253
	// +optional
	UsernameKey string `json:"usernameKey,omitempty"`

	// PasswordKey is the key of the password in the Secret.
	// +kubebuilder:default=password
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PasswordKey string `json:"passwordKey,omitempty"`
}

// PVCRetention says what happens to a member's PersistentVolumeClaim.
// +kubebuilder:validation:Enum=Retain;Delete
type PVCRetention string

const (
	// PVCRetain keeps the claim (and its data) so a member that comes back finds it.
	PVCRetain PVCRetention = "Retain"
	// PVCDelete deletes the claim with the member.
	PVCDelete PVCRetention = "Delete"
)

// PersistenceSpec describes the volume every member gets for /home/nacos/data.
//
// +kubebuilder:validation:XValidation:rule="!has(self.size) || !isQuantity(string(self.size)) || quantity(string(self.size)).isGreaterThan(quantity('0'))",messageExpression="'persistence.size must be greater than zero, e.g. 10Gi; got ' + string(self.size)"
// +kubebuilder:validation:XValidation:rule="!has(self.size) || !isQuantity(string(self.size)) || quantity(string(self.size)).compareTo(quantity('64Ti')) <= 0",messageExpression="'persistence.size ' + string(self.size) + ' is larger than the 64Ti a Nacos member could use; Raft logs and snapshots need a few GiB'"
// +kubebuilder:validation:XValidation:rule="!has(self.size) || !has(oldSelf.size) || !isQuantity(string(self.size)) || !isQuantity(string(oldSelf.size)) || quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) >= 0",messageExpression="'persistence.size cannot shrink from ' + string(oldSelf.size) + ' to ' + string(self.size) + ': a PersistentVolumeClaim can only grow'"
// +kubebuilder:validation:XValidation:rule="has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",message="persistence.storageClassName cannot change after creation: existing claims keep their class; create a new NacosCluster to move data to another class"
type PersistenceSpec struct {
	// Size of each member's data volume. It may grow later, never shrink. A larger size
	// applies to new claims; existing claims are not resized by the operator yet (expand
	// them with kubectl when the StorageClass allows volume expansion).
	// +kubebuilder:default="10Gi"
	// +optional
	Size resource.Quantity `json:"size,omitempty"`

	// StorageClassName of the claims; the cluster default when unset. Immutable.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`

	// WhenScaled is what happens to the claim of a member removed by a scale-down:
	// Retain (the default, a later scale-up finds its data) or Delete.
	// +kubebuilder:default=Retain
	// +optional
	WhenScaled PVCRetention `json:"whenScaled,omitempty"`

	// WhenDeleted is what happens to the claims when the NacosCluster is deleted:
	// Retain (the default) or Delete.
	// +kubebuilder:default=Retain
	// +optional
	WhenDeleted PVCRetention `json:"whenDeleted,omitempty"`
}

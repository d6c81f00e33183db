package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// AuthSpec configures Nacos authentication.
//
// Whatever Enabled says, members always share a token secret key and a server identity:
// Nacos 3.x refuses to start without them and enforces the identity between members, and the
// operator itself sends the identity header to read member lists. When SecretName is empty
// the operator generates such a Secret and never logs its content.
type AuthSpec struct {
	// Enabled turns on nacos.core.auth.enabled: clients must log in.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// SecretName names a Secret with the keys "token" (the JWT signing key, base64 of at
	// least 32 bytes), "identityKey" and "identityValue" (the server identity header members
	// and the operator send each other). Generated when empty.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// AdminCredentialsSecretRef names a Secret with the Nacos admin username and password.
	// The operator uses it to initialize the admin user (3.x) and to log in where the identity
	// header is not accepted.
	// +optional
	AdminCredentialsSecretRef *CredentialsSecretRef `json:"adminCredentialsSecretRef,omitempty"`
}

// ConfigSpec holds extra server configuration. Changing it restarts members one at a time.
//
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || !self.properties.exists(k, k in ['nacos.naming.data.warmup'])",message="config.properties must not set nacos.naming.data.warmup: the operator forces it to true so that readiness covers Distro initialization"
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || !self.properties.exists(k, k in ['server.port', 'nacos.server.main.port', 'server.servlet.contextPath', 'nacos.server.contextPath', 'nacos.standalone', 'nacos.core.member.lookup.type', 'nacos.member.list', 'nacos.inetutils.ip-address', 'nacos.inetutils.prefer-hostname-over-ip'])",messageExpression="'config.properties must not set ' + self.properties.filter(k, k in ['server.port', 'nacos.server.main.port', 'server.servlet.contextPath', 'nacos.server.contextPath', 'nacos.standalone', 'nacos.core.member.lookup.type', 'nacos.member.list', 'nacos.inetutils.ip-address', 'nacos.inetutils.prefer-hostname-over-ip'])[0] + ': ports, mode and membership are managed by the operator from spec.mode and spec.replicas'"
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || !self.properties.exists(k, k in ['spring.datasource.platform', 'spring.sql.init.platform', 'db.num', 'nacos.core.auth.enabled'] || k.startsWith('db.url') || k.startsWith('db.user'))",messageExpression="'config.properties must not set ' + self.properties.filter(k, k in ['spring.datasource.platform', 'spring.sql.init.platform', 'db.num', 'nacos.core.auth.enabled'] || k.startsWith('db.url') || k.startsWith('db.user'))[0] + ': storage and auth are configured through spec.storage and spec.auth'"
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || !self.properties.exists(k, k.lowerAscii().contains('password') || k.lowerAscii().contains('secret') || k.lowerAscii().contains('identity'))",messageExpression="'config.properties must not carry secrets (' + self.properties.filter(k, k.lowerAscii().contains('password') || k.lowerAscii().contains('secret') || k.lowerAscii().contains('identity'))[0] + '): properties are stored in a ConfigMap; use spec.auth, spec.storage.mysql.credentialsSecretRef or pod.env with valueFrom.secretKeyRef'"
type ConfigSpec struct {
	// Properties are extra application.properties entries, e.g.
	// "nacos.core.protocol.distro.data.load.retryDelayMs": "10000". Keys the operator manages
	// (ports, membership, storage, auth, warmup) and keys that carry secrets are refused.
	// +kubebuilder:validation:MaxProperties=200
	// +optional
	Properties map[string]PropertyValue `json:"properties,omitempty"`

	// JVM sets the Java heap and extra options of every member.
	// +optional
	JVM JVMSpec `json:"jvm,omitempty"`
}

// PropertyValue is the value of one application.properties entry.
// +kubebuilder:validation:MaxLength=4096
type PropertyValue string

// JVMSpec sets the Java heap and options.
//
// +kubebuilder:validation:XValidation:rule="!has(self.heap) || !isQuantity(string(self.heap)) || (quantity(string(self.heap)).compareTo(quantity('256Mi')) >= 0 && quantity(string(self.heap)).compareTo(quantity('64Gi')) <= 0)",messageExpression="'config.jvm.heap ' + string(self.heap) + ' is out of range: Nacos needs at least 256Mi and this operator accepts at most 64Gi'"
type JVMSpec struct {
	// Heap is the JVM heap (-Xms and -Xmx; the young generation, -Xmn, is half of it), e.g.
	// 1Gi. Leave room below the container memory limit for metaspace, threads and direct
	// buffers. The image default (1g) when unset.
	// +optional
	Heap *resource.Quantity `json:"heap,omitempty"`

	// Options are extra JVM options added to the image's, e.g. "-XX:+UseG1GC" (passed as
	// JAVA_OPT, which the image's start script puts in front of its own options).
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=1024
	// +optional
	Options []string `json:"options,omitempty"`
}

// ServiceType of the client Service.
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type ServiceType string

// ServiceSpec configures the client Service. Members find each other through a separate
// headless Service the operator always creates; this one is for clients and only routes to
// members that are ready.
type ServiceSpec struct {
	// Type of the client Service: ClusterIP (the default), NodePort or LoadBalancer.
	// +kubebuilder:default=ClusterIP
	// +optional
	Type ServiceType `json:"type,omitempty"`

	// Annotations added to the client Service, e.g. for a cloud load balancer.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="service.annotations keys must be Kubernetes qualified names: an optional DNS prefix and '/', then at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Labels added to the client Service.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="service.labels keys must be Kubernetes qualified names: an optional DNS prefix and '/', then at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
	// +optional
	Labels map[string]LabelValue `json:"labels,omitempty"`
}

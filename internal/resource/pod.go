package resource

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// prepareConfContainer seeds the conf emptyDir: the image's own conf files, our
// application.properties and the current cluster.conf, so Nacos reads the right members at
// its first start. (The conf directory must be writable and event-capable for Nacos: a
// ConfigMap volume is neither, see docs/design/cluster-conf.md.)
func prepareConfContainer(nc *nacosv1alpha1.NacosCluster) corev1.Container {
	script := fmt.Sprintf("cp -a %[1]s/. /conf/ && cp %[2]s/%[3]s /conf/%[3]s && cp %[2]s/%[4]s /conf/%[4]s",
		ConfPath, ConfigPath, PropertiesKey, ClusterConfKey)
	return corev1.Container{
		Name:            ContainerInit,
		Image:           nc.Spec.ContainerImage(),
		ImagePullPolicy: nc.Spec.ImagePullPolicy,
		Command:         []string{"sh", "-c", script},
		VolumeMounts: []corev1.VolumeMount{
			{Name: VolumeConf, MountPath: "/conf"},
			{Name: VolumeConfig, MountPath: ConfigPath, ReadOnly: true},
		},
	}
}

// writerContainer is a native sidecar (an init container that keeps running) delivering
// cluster.conf changes to the running member: it compares member sets, not bytes (Nacos
// rewrites the file itself), and writes temp-then-rename, which Nacos's watcher sees. It also
// serves the pod's evidence (peer dials from inside the pod, known lines of the member's logs,
// read through a read-only mount) on the "evidence" port, as spec.diagnostics switches it.
func writerContainer(nc *nacosv1alpha1.NacosCluster, in Inputs) corev1.Container {
	logs := ""
	if nc.Spec.Diagnostics.LogsEnabled() {
		logs = LogsPath
	}
	return corev1.Container{
		Name:          ContainerWriter,
		Image:         in.WriterImage,
		RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
		Args: []string{"cluster-conf-writer",
			"--source=" + ConfigPath + "/" + ClusterConfKey,
			"--target=" + ConfPath + "/" + ClusterConfKey,
			fmt.Sprintf("--evidence-listen=:%d", PortEvidence),
			fmt.Sprintf("--peer-checks=%t", nc.Spec.Diagnostics.PeerChecksEnabled()),
			"--logs=" + logs},
		Env:   []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
		Ports: []corev1.ContainerPort{{Name: PortNameEvidence, ContainerPort: PortEvidence}},
		VolumeMounts: []corev1.VolumeMount{
			{Name: VolumeConf, MountPath: ConfPath},
			{Name: VolumeConfig, MountPath: ConfigPath, ReadOnly: true},
			{Name: VolumeData, MountPath: LogsPath, SubPath: "logs", ReadOnly: true},
		},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{}},
	}
}

// LogsPath is where the member writes its logs (and the sidecar reads them).
const LogsPath = "/home/nacos/logs"

// PortNameEvidence names the sidecar's evidence port.
const PortNameEvidence = "evidence"

func nacosContainer(nc *nacosv1alpha1.NacosCluster) corev1.Container {
	ports := []corev1.ContainerPort{
		{Name: "http", ContainerPort: PortHTTP}, {Name: "client-rpc", ContainerPort: PortClientGRPC},
		{Name: "peer-rpc", ContainerPort: PortPeerGRPC}, {Name: "raft", ContainerPort: PortRaft},
	}
	if nc.Spec.MajorVersion() >= 3 {
		ports = append(ports, corev1.ContainerPort{Name: "console", ContainerPort: PortConsole})
	}
	return corev1.Container{
		Name:            ContainerNacos,
		Image:           nc.Spec.ContainerImage(),
		ImagePullPolicy: nc.Spec.ImagePullPolicy,
		Ports:           ports,
		Env:             append(env(nc), nc.Spec.Pod.Env...),
		Resources:       nc.Spec.Pod.Resources,
		VolumeMounts: []corev1.VolumeMount{
			{Name: VolumeData, MountPath: "/home/nacos/data", SubPath: "data"},
			{Name: VolumeData, MountPath: LogsPath, SubPath: "logs"},
			{Name: VolumeConf, MountPath: ConfPath},
		},
		ReadinessProbe: httpProbe(ReadinessPath(nc), readinessPort(nc), readinessPeriod, readinessFailures),
		LivenessProbe:  httpProbe(LivenessPath(nc), PortHTTP, 10, 6),
		StartupProbe:   httpProbe(LivenessPath(nc), PortHTTP, StartupProbePeriod, startupFailures(nc)),
		Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			// Let endpoints drop the member before its gRPC servers stop.
			Sleep: &corev1.SleepAction{Seconds: 15},
		}},
	}
}

// The readiness probe: every 5 s, not Ready after 3 failures in a row.
const (
	readinessPeriod   = 5
	readinessFailures = 3
)

// ReadinessWindow is how long a member can already be failing readiness while its pod still
// shows Ready: the kubelet flips it only after readinessFailures failures in a row.
const ReadinessWindow = readinessPeriod * readinessFailures * time.Second

// ReadinessPath is a readiness URL that answers an error status when not ready (several
// Nacos readiness URLs answer HTTP 200 with code 30000 instead). With warmup on it covers
// Distro initialization.
func ReadinessPath(nc *nacosv1alpha1.NacosCluster) string {
	if nc.Spec.MajorVersion() >= 3 {
		return "/v3/console/health/readiness" // console port, HTTP 500 when not ready
	}
	return "/nacos/v1/console/health/readiness" // HTTP 500 text when not ready
}

func readinessPort(nc *nacosv1alpha1.NacosCluster) int32 {
	if nc.Spec.MajorVersion() >= 3 {
		return PortConsole
	}
	return PortHTTP
}

// LivenessPath is the version's liveness URL on the main port.
func LivenessPath(nc *nacosv1alpha1.NacosCluster) string {
	if nc.Spec.MajorVersion() >= 3 {
		return "/nacos/v3/admin/core/state/liveness"
	}
	return "/nacos/v1/console/health/liveness"
}

// StartupProbePeriod is the startup probe's period in seconds; spec.pod.startupTimeout sets
// how many periods a member gets.
const StartupProbePeriod = 10

// DefaultStartupTimeout is spec.pod.startupTimeout's default (the CRD default too).
const DefaultStartupTimeout = 10 * time.Minute

// StartupTimeout is spec.pod.startupTimeout or its default.
func StartupTimeout(nc *nacosv1alpha1.NacosCluster) time.Duration {
	if t := nc.Spec.Pod.StartupTimeout; t != nil && t.Duration > 0 {
		return t.Duration
	}
	return DefaultStartupTimeout
}

// startupFailures is the startup probe's failure threshold: the timeout in whole periods.
func startupFailures(nc *nacosv1alpha1.NacosCluster) int32 {
	period := time.Duration(StartupProbePeriod) * time.Second
	return int32(max(1, (StartupTimeout(nc)+period-1)/period))
}

func httpProbe(path string, port int32, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(port)}},
		PeriodSeconds:    period,
		TimeoutSeconds:   3,
		FailureThreshold: failures,
	}
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
	}}}
}

// env is what the image's start script reads. NACOS_SERVERS is deliberately absent (it would
// put the member list in the pod template) and CLUSTER_CONF points the script's own rewrite of
// cluster.conf away from the file the writer owns.
func env(nc *nacosv1alpha1.NacosCluster) []corev1.EnvVar {
	mode := "cluster"
	if nc.Spec.Mode == nacosv1alpha1.ModeStandalone {
		mode = "standalone"
	}
	auth := AuthSecretName(nc)
	out := []corev1.EnvVar{
		{Name: "MODE", Value: mode},
		{Name: "PREFER_HOST_MODE", Value: "hostname"},
		{Name: "NACOS_APPLICATION_PORT", Value: fmt.Sprint(PortHTTP)},
		{Name: "CLUSTER_CONF", Value: "/tmp/start-script-cluster.conf"},
		{Name: "NACOS_AUTH_ENABLE", Value: fmt.Sprint(nc.Spec.Auth.Enabled)},
	}
	if UsesAuthSecret(nc) {
		out = append(out,
			secretEnv("NACOS_AUTH_TOKEN", auth, nacosv1alpha1.AuthSecretTokenKey),
			secretEnv("NACOS_AUTH_IDENTITY_KEY", auth, nacosv1alpha1.AuthSecretIdentityKeyKey),
			secretEnv("NACOS_AUTH_IDENTITY_VALUE", auth, nacosv1alpha1.AuthSecretIdentityValueKey))
	}
	if nc.Spec.Storage.Type == nacosv1alpha1.StorageMySQL && nc.Spec.Storage.MySQL != nil && nc.Spec.Storage.MySQL.CredentialsSecretRef != nil {
		ref := nc.Spec.Storage.MySQL.CredentialsSecretRef
		out = append(out, corev1.EnvVar{Name: "SPRING_DATASOURCE_PLATFORM", Value: "mysql"},
			secretEnv("MYSQL_SERVICE_USER", ref.Name, ref.UsernameKey), secretEnv("MYSQL_SERVICE_PASSWORD", ref.Name, ref.PasswordKey))
	} else {
		out = append(out, corev1.EnvVar{Name: "EMBEDDED_STORAGE", Value: "embedded"})
	}
	if h := nc.Spec.Config.JVM.Heap; h != nil {
		// The young generation follows the heap: the image's JVM_XMN default (512m) is more
		// than a small heap holds.
		mib := h.Value() / (1 << 20)
		out = append(out, corev1.EnvVar{Name: "JVM_XMS", Value: fmt.Sprintf("%dm", mib)}, corev1.EnvVar{Name: "JVM_XMX", Value: fmt.Sprintf("%dm", mib)},
			corev1.EnvVar{Name: "JVM_XMN", Value: fmt.Sprintf("%dm", mib/2)})
	}
	if len(nc.Spec.Config.JVM.Options) > 0 {
		// JAVA_OPT, not JAVA_OPT_EXT: docker-startup.sh puts JAVA_OPT_EXT after -jar, where the
		// JVM never sees it (Spring gets it as an argument); it prepends the caller's JAVA_OPT.
		out = append(out, corev1.EnvVar{Name: "JAVA_OPT", Value: strings.Join(nc.Spec.Config.JVM.Options, " ")})
	}
	return out
}

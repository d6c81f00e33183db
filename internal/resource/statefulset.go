package resource

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// Volume names and mount paths.
const (
	VolumeData     = "data"   // PVC: /home/nacos/data and (subPath logs) /home/nacos/logs
	VolumeConf     = "conf"   // emptyDir: /home/nacos/conf, owned by the cluster.conf writer
	VolumeConfig   = "config" // the ConfigMap, projected at /etc/nacos (updated by symlink swap)
	ConfPath       = "/home/nacos/conf"
	ConfigPath     = "/etc/nacos"
	ContainerNacos = "nacos"
	ContainerInit  = "prepare-conf"
	// ContainerWriter is the native sidecar that delivers cluster.conf to running members.
	ContainerWriter = "cluster-conf-writer"
)

// Inputs the StatefulSet needs besides the spec.
type Inputs struct {
	// Replicas is how many members the StatefulSet runs now (the scale logic may lag the spec).
	Replicas int32
	// ConfigHash is ConfigHash(ApplicationProperties(nc)).
	ConfigHash string
	// WriterImage is the operator's own image, which runs the cluster.conf writer.
	WriterImage string
}

// StatefulSet runs the members. Parallel start is required (a member is ready only after
// loading Distro data from a peer), OnDelete lets the operator decide every restart, and
// replicas never enter the pod template.
func StatefulSet(nc *nacosv1alpha1.NacosCluster, in Inputs) *appsv1.StatefulSet {
	names := NamesFor(nc)
	whenScaled, whenDeleted := appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	if nc.Spec.Persistence.WhenScaled == nacosv1alpha1.PVCDelete {
		whenScaled = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	}
	if nc.Spec.Persistence.WhenDeleted == nacosv1alpha1.PVCDelete {
		whenDeleted = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	}
	meta := objectMeta(nc, names.StatefulSet)
	// The version the template was rendered for, on the StatefulSet itself (not the template,
	// whose every change restarts members): an upgrade that waits keeps rendering it.
	meta.Annotations = map[string]string{nacosv1alpha1.AnnotationVersion: nc.Spec.Version}
	return &appsv1.StatefulSet{
		ObjectMeta: meta,
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(in.Replicas),
			ServiceName:         names.HeadlessService,
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Selector:            &metav1.LabelSelector{MatchLabels: SelectorLabels(nc)},
			Template:            podTemplate(nc, in),
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenScaled: whenScaled, WhenDeleted: whenDeleted,
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: VolumeData, Labels: SelectorLabels(nc)},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: nc.Spec.Persistence.StorageClassName,
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: nc.Spec.Persistence.Size}},
				},
			}},
		},
	}
}

func podTemplate(nc *nacosv1alpha1.NacosCluster, in Inputs) corev1.PodTemplateSpec {
	labels := SelectorLabels(nc)
	for k, v := range nc.Spec.Pod.Labels {
		if _, reserved := labels[k]; !reserved {
			labels[k] = string(v)
		}
	}
	annotations := map[string]string{nacosv1alpha1.AnnotationConfigHash: in.ConfigHash}
	// A requested restart is a template change, so it rolls through the gated rollout.
	if at := nc.Annotations[nacosv1alpha1.AnnotationRestartedAt]; at != "" {
		annotations[nacosv1alpha1.AnnotationRestartedAt] = at
	}
	for k, v := range nc.Spec.Pod.Annotations {
		if k != nacosv1alpha1.AnnotationConfigHash {
			annotations[k] = v
		}
	}
	p := nc.Spec.Pod
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			InitContainers:                []corev1.Container{prepareConfContainer(nc), writerContainer(nc, in)},
			Containers:                    []corev1.Container{nacosContainer(nc)},
			Volumes:                       volumes(nc),
			TerminationGracePeriodSeconds: p.TerminationGracePeriodSeconds,
			ImagePullSecrets:              nc.Spec.ImagePullSecrets,
			NodeSelector:                  nacosv1alpha1.StringMap(p.NodeSelector),
			Affinity:                      affinity(nc),
			Tolerations:                   p.Tolerations,
			TopologySpreadConstraints:     p.TopologySpreadConstraints,
			PriorityClassName:             p.PriorityClassName,
			SecurityContext:               p.SecurityContext,
		},
	}
}

func volumes(nc *nacosv1alpha1.NacosCluster) []corev1.Volume {
	return []corev1.Volume{
		{Name: VolumeConf, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: VolumeConfig, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: NamesFor(nc).ConfigMap},
		}}},
	}
}

// affinity is the user's, or by default a soft spread of members over nodes, so one node
// failure is unlikely to take a Raft majority.
func affinity(nc *nacosv1alpha1.NacosCluster) *corev1.Affinity {
	if nc.Spec.Pod.Affinity != nil {
		return nc.Spec.Pod.Affinity
	}
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				TopologyKey:   corev1.LabelHostname,
				LabelSelector: &metav1.LabelSelector{MatchLabels: SelectorLabels(nc)},
			},
		}},
	}}
}

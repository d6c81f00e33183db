package controllers

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// CacheByObject narrows the manager's informers to what the operator owns, so a cluster full
// of other workloads costs it no memory and none of their Secrets is ever held: owned objects
// carry app.kubernetes.io/managed-by=nacos-operator (EndpointSlices copy it from their
// Service), member pods their selector labels. NetworkPolicies stay unfiltered: they are
// users' objects, read to explain blocked ports. Secrets users name in the spec are read
// past the cache (NacosClusterReconciler.SecretReader). podMonitors adds the members'
// PodMonitors, where that kind is served (PodMonitorServed): the cache refuses a kind the API
// server does not know.
func CacheByObject(podMonitors bool) map[client.Object]cache.ByObject {
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{nacosv1alpha1.LabelManagedBy: nacosv1alpha1.LabelManagedByValue})}
	members := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{
		nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue, nacosv1alpha1.LabelComponent: "server"})}
	by := map[client.Object]cache.ByObject{
		&corev1.Pod{}:                   members,
		&corev1.Secret{}:                owned,
		&corev1.ConfigMap{}:             owned,
		&corev1.Service{}:               owned,
		&appsv1.StatefulSet{}:           owned,
		&policyv1.PodDisruptionBudget{}: owned,
		&discoveryv1.EndpointSlice{}:    owned,
	}
	if podMonitors {
		by[&monitoringv1.PodMonitor{}] = owned
	}
	return by
}

// secrets reads Secrets the user names (spec.auth.secretName, the admin Secret): they carry
// no label of ours, so the narrowed cache would not find them.
func (r *NacosClusterReconciler) secrets() client.Reader {
	if r.SecretReader != nil {
		return r.SecretReader
	}
	return r.Client
}

// authSecrets reads the auth Secret: the user's past the cache, the generated one (labelled
// as ours) from it.
func (r *NacosClusterReconciler) authSecrets(nc *nacosv1alpha1.NacosCluster) client.Reader {
	if nc.Spec.Auth.SecretName != "" {
		return r.secrets()
	}
	return r.Client
}

package controllers

import (
	"context"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// The members' PodMonitor, kept only where the prometheus-operator CRDs are installed.
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=podmonitors,verbs=list;watch;create;update;delete

// Events of the members' PodMonitor.
const (
	// EventPodMonitorUnavailable says a PodMonitor was asked for where its CRD is not served.
	EventPodMonitorUnavailable = "PodMonitorUnavailable"
	// EventPodMonitorFailed says the API server refused a PodMonitor write.
	EventPodMonitorFailed = "PodMonitorFailed"
)

// PodMonitorServed says whether the API server serves monitoring.coreos.com/v1 PodMonitors
// (discovery, which every authenticated identity may read). The operator asks once at
// start: informers for a kind that is not served cannot start, so CRDs installed later take
// effect when the operator restarts (docs/metrics.md).
func PodMonitorServed(cfg *rest.Config) (bool, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, fmt.Errorf("discovery client: %w", err)
	}
	list, err := dc.ServerResourcesForGroupVersion(monitoringv1.SchemeGroupVersion.String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discover %s: %w", monitoringv1.SchemeGroupVersion, err)
	}
	for _, r := range list.APIResources {
		if r.Kind == monitoringv1.PodMonitorsKind {
			return true, nil
		}
	}
	return false, nil
}

// reconcileMonitoring keeps the PodMonitor, and only says when that fails: monitoring must
// never hold up a rollout or the cluster's conditions. The next pass tries again.
func (r *NacosClusterReconciler) reconcileMonitoring(ctx context.Context, nc *nacosv1alpha1.NacosCluster) {
	if err := r.reconcilePodMonitor(ctx, nc); err != nil {
		log.FromContext(ctx).Error(err, "PodMonitor not reconciled")
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, EventPodMonitorFailed, "ApplyPodMonitor", "%v", err)
	}
}

// reconcilePodMonitor creates or updates the members' PodMonitor when the spec asks for it,
// and deletes the one the operator made when it no longer does. Where the CRD is not served
// it says so once per generation and goes on: monitoring never holds up the cluster.
func (r *NacosClusterReconciler) reconcilePodMonitor(ctx context.Context, nc *nacosv1alpha1.NacosCluster) error {
	want := nc.Spec.Monitoring.PodMonitor.Enabled
	if !r.PodMonitors {
		r.podMonitorUnavailable(nc, want)
		return nil
	}
	desired := resource.PodMonitor(nc)
	stored := &monitoringv1.PodMonitor{}
	err := r.Get(ctx, client.ObjectKeyFromObject(desired), stored)
	found := err == nil
	switch {
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("get PodMonitor %s: %w", desired.Name, err)
	case found && !metav1.IsControlledBy(stored, nc) && want:
		// A user's own PodMonitor of that name (one without our label is not even cached:
		// its create is refused as AlreadyExists): never taken over or overwritten.
		return fmt.Errorf("PodMonitor %s exists and is not this NacosCluster's; delete or rename it, or turn spec.monitoring.podMonitor off", stored.Name)
	case found && !metav1.IsControlledBy(stored, nc), !found && !want:
		return nil
	case want:
		_, err := applyOwned(ctx, r.Client, desired, nil, podMonitorDrifted)
		return err
	}
	if err := r.Delete(ctx, stored); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete PodMonitor %s: %w", stored.Name, err)
	}
	log.FromContext(ctx).Info("deleted", "object", stored.Name, "kind", "PodMonitor", "why", "spec.monitoring.podMonitor.enabled is false")
	return nil
}

// podMonitorUnavailable says, once per generation that asks for a PodMonitor, that none can
// be made here.
func (r *NacosClusterReconciler) podMonitorUnavailable(nc *nacosv1alpha1.NacosCluster, want bool) {
	if !want {
		return
	}
	if prev, told := r.monitorWarned.Swap(nc.Namespace+"/"+nc.Name, nc.Generation); !told || prev != nc.Generation {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, EventPodMonitorUnavailable, "CreatePodMonitor",
			"spec.monitoring.podMonitor.enabled is true (generation %d), but the API server does not serve monitoring.coreos.com/v1 PodMonitor: install the prometheus-operator CRDs, then restart the operator", nc.Generation)
	}
}

// podMonitorDrifted: a hand edit of the scrape (path, port, selector) is put back, or the
// members would silently stop being scraped.
func podMonitorDrifted(stored, desired *monitoringv1.PodMonitor) bool {
	return !equality.Semantic.DeepEqual(stored.Spec, desired.Spec)
}

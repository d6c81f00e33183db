// Package controllers holds the NacosCluster reconciler. Reconcile reads like a table of
// contents; each concern lives in its own reconcile_<concern>.go file.
package controllers

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// NacosClusterReconciler reconciles NacosCluster objects. Its dependencies are injected so
// tests can run it against a real API server with a fake clock.
type NacosClusterReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
}

// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps;secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch

// Reconcile brings one NacosCluster towards its spec: observe, decide, act, report.
// Later steps (owned resources, rollout, diagnosis) plug in between fetch and status.
func (r *NacosClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx).WithValues("nacoscluster", req.NamespacedName)
	ctx = log.IntoContext(ctx, logger)

	nc := &nacosv1alpha1.NacosCluster{}
	if err := r.Get(ctx, req.NamespacedName, nc); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil // deleted: owner references garbage-collect the rest
		}
		return ctrl.Result{}, fmt.Errorf("get NacosCluster %s: %w", req.NamespacedName, err)
	}
	if !nc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	status := r.newStatus(nc)
	if problems := nc.Spec.Validate(); len(problems) > 0 {
		r.reportInvalidSpec(nc, &status, problems.ToAggregate().Error())
		return ctrl.Result{}, r.writeStatus(ctx, nc, status) // a spec edit triggers the next pass
	}
	r.reportSpecAccepted(nc, &status)
	return ctrl.Result{}, r.writeStatus(ctx, nc, status)
}

// SetupWithManager registers the controller. StatefulSets and Pods are watched without a
// generation predicate: their status changes (readiness, revisions) drive the rollout.
func (r *NacosClusterReconciler) SetupWithManager(mgr ctrl.Manager, maxConcurrent int) error {
	err := ctrl.NewControllerManagedBy(mgr).
		For(&nacosv1alpha1.NacosCluster{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Named("nacoscluster").
		Complete(r)
	if err != nil {
		return fmt.Errorf("build NacosCluster controller: %w", err)
	}
	return nil
}

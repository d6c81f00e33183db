// Package controllers holds the NacosCluster reconciler. Reconcile reads like a table of
// contents; each concern lives in its own reconcile_<concern>.go file.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/metrics"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// NacosClusterReconciler reconciles NacosCluster objects. Its dependencies are injected so
// tests can run it against a real API server, simulated members and a fake clock.
type NacosClusterReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	// Clients reaches members' Nacos APIs (a *nacos.Pool in production).
	Clients observe.Clients
	// WriterImage runs the cluster.conf writer sidecar (the operator's own image).
	WriterImage string
	// ProbePeriod is how often a healthy cluster is re-probed (default 10s).
	ProbePeriod time.Duration
	// DistroInitWindow is how long a member may load Distro before diagnosis calls it a
	// fault rather than progress (default 2m; Distro retries every 30s).
	DistroInitWindow time.Duration
	// StartupStallAfter is how long a member may start before the operator assumes it
	// missed its nacos_config leader announcement (default startup.StallAfter).
	StartupStallAfter time.Duration
	// SecretReader reads the Secrets users name in the spec, past a cache narrowed to the
	// operator's own objects (CacheByObject); the manager's API reader. Nil: the client.
	SecretReader client.Reader
	// Metrics receives each pass's snapshot and the operator's restarts (nil: none).
	Metrics *metrics.Metrics
	// PodMonitors: the API server serves the prometheus-operator's PodMonitor
	// (PodMonitorServed, checked at start), so spec.monitoring.podMonitor can be honoured.
	PodMonitors bool

	// startups holds, by namespace/pod, what start-up recovery did (startup.Record). It is
	// in memory: a new operator process may nudge or restart a stuck member again, bounded
	// by the same limits. A record goes when its member starts.
	startups       sync.Map
	startupActions sync.Map // namespace/name -> time.Time of the cluster's last start-up action
	blocked        sync.Map // namespace/name -> blockedAt: the rollout's current gate, for metrics
	transfers      sync.Map // namespace/name -> time.Time of the last rollout leadership transfer
	monitorWarned  sync.Map // namespace/name -> the generation PodMonitorUnavailable was said for
}

// Least privilege (docs/rbac.md justifies each rule; TestOperatorRunsOnItsOwnClusterRole
// runs the operator on exactly these and fails on a refusal or a grant it never uses).
// Reads go through the informer cache, which lists and watches; only Secrets are also read
// live (SecretReader). Owned objects are created and updated (apply.go), never patched or
// deleted: owner references let the garbage collector delete them, and the StatefulSet's
// PVC retention policy is carried out by kube-controller-manager, not by the operator.
// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters,verbs=list;watch
// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters/status,verbs=patch
// +kubebuilder:rbac:groups=nacos.io,resources=nacosclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=list;watch;create;update
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create
// +kubebuilder:rbac:groups="",resources=pods,verbs=list;watch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=list;watch;create;update
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=list;watch

// Reconcile brings one NacosCluster towards its spec: validate, observe, decide, act, report.
func (r *NacosClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	nc := &nacosv1alpha1.NacosCluster{}
	if err := r.Get(ctx, req.NamespacedName, nc); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.Forget(req.Namespace, req.Name)
			r.forgetStartups(req.Namespace, req.Name, nil)
			r.blocked.Delete(req.Namespace + "/" + req.Name)
			r.monitorWarned.Delete(req.Namespace + "/" + req.Name)
			return ctrl.Result{}, nil // deleted: owner references collect the rest
		}
		return ctrl.Result{}, fmt.Errorf("get NacosCluster: %w", err)
	}
	if !nc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	status := r.newStatus(nc)
	if problems := nc.Spec.Validate(); len(problems) > 0 {
		r.reportInvalidSpec(nc, &status, problems.ToAggregate().Error())
		r.publishMetrics(nc, status, nil)
		return ctrl.Result{}, r.writeStatus(ctx, nc, status) // a spec edit triggers the next pass
	}
	up, nc, err := r.upgradeFor(ctx, nc) // from here on, nc's version is the one this pass renders
	if err != nil {
		return ctrl.Result{}, err
	}
	pausedReason, paused := pausedBy(nc)
	auth, err := r.reconcileAuth(ctx, nc, &status, paused)
	if err != nil {
		return ctrl.Result{}, errors.Join(err, r.writeStatus(ctx, nc, status))
	}
	w, err := r.observe(ctx, nc, auth)
	if err != nil {
		return ctrl.Result{}, err
	}
	plan := r.decide(nc, w)
	logWait(ctx, plan)
	if paused {
		r.reportPaused(nc, &status, pausedReason)
	} else if err := r.act(ctx, nc, &status, w, &plan, auth); err != nil {
		return ctrl.Result{}, errors.Join(err, r.writeStatus(ctx, nc, status))
	}
	ready := r.report(nc, &status, w, plan, paused)
	r.reportUpgrade(nc, &status, up)
	r.publishMetrics(nc, status, &w.obs)
	if err := r.writeStatus(ctx, nc, status); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.requeueAfter(ready)}, nil
}

// act applies the owned objects with the decided sizes, then takes the rollout's one
// disruptive action, if any. When it changed the StatefulSet, the plan (made on the one
// before) becomes a wait for the StatefulSet controller: otherwise the pass would report a
// spec change as rolled out before any member was touched (the demo once read Ready, up to
// date, 0.2 s after an image change).
func (r *NacosClusterReconciler) act(ctx context.Context, nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus, w *world, p *plan, auth nacos.Auth) error {
	r.reportNotPaused(nc, status)
	stsChanged, err := r.reconcileResources(ctx, nc, p.scale, w.inConf)
	if err == nil && stsChanged {
		p.rollout = rollout.StatefulSetUpdated(p.rollout)
	}
	var bad *specError
	switch {
	case errors.As(err, &bad):
		r.reportInvalidSpec(nc, status, bad.Error())
		return nil
	case err != nil:
		r.reportReconcileError(nc, status, err)
		return fmt.Errorf("apply owned objects: %w", err)
	}
	r.reportSpecAccepted(nc, status)
	r.bootstrapAdmin(ctx, nc, status, w, auth)
	r.recoverStartup(ctx, nc, w, *p, auth)
	return r.restartMember(ctx, nc, status, w, *p, auth)
}

// requeueAfter re-probes a healthy cluster every ProbePeriod and a converging one sooner:
// Nacos state changes without any Kubernetes event.
func (r *NacosClusterReconciler) requeueAfter(ready bool) time.Duration {
	period := r.ProbePeriod
	if period <= 0 {
		period = 10 * time.Second
	}
	if !ready && period > 2*time.Second {
		return 2 * time.Second
	}
	return period
}

// SetupWithManager registers the controller. StatefulSets and Pods are watched without a
// generation predicate: their status changes (readiness, revisions) matter.
func (r *NacosClusterReconciler) SetupWithManager(mgr ctrl.Manager, maxConcurrent int) error {
	return r.SetupWithManagerAs(mgr, maxConcurrent, r)
}

// SetupWithManagerAs registers the controller with rec as the reconciler (tests wrap r to
// count reconciles).
func (r *NacosClusterReconciler) SetupWithManagerAs(mgr ctrl.Manager, maxConcurrent int, rec reconcile.Reconciler) error {
	if _, limited := r.Recorder.(noteLimit); !limited && r.Recorder != nil {
		var c clock.PassiveClock = clock.RealClock{}
		if r.Clock != nil {
			c = r.Clock
		}
		r.Recorder = newNoteLimit(r.Recorder, c)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&nacosv1alpha1.NacosCluster{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Secret{}).
		Owns(&policyv1.PodDisruptionBudget{})
	if r.PodMonitors {
		b = b.Owns(&monitoringv1.PodMonitor{})
	}
	err := b.
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(podToCluster)).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Named("nacoscluster").
		// Every line of a pass, controller-runtime's own ("Reconciler error") included,
		// carries the fixed key nacoscluster=<namespace/name>.
		WithLogConstructor(func(req *reconcile.Request) logr.Logger {
			l := mgr.GetLogger().WithValues("controller", "nacoscluster")
			if req != nil {
				l = l.WithValues("nacoscluster", req.NamespacedName.String())
			}
			return l
		}).
		Complete(rec)
	if err != nil {
		return fmt.Errorf("build NacosCluster controller: %w", err)
	}
	return nil
}

// podToCluster maps a member pod to its NacosCluster through the instance label.
func podToCluster(_ context.Context, obj client.Object) []reconcile.Request {
	labels := obj.GetLabels()
	if labels[nacosv1alpha1.LabelName] != nacosv1alpha1.LabelNameValue || labels[nacosv1alpha1.LabelInstance] == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: labels[nacosv1alpha1.LabelInstance]}}}
}

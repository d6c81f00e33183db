package controllers

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// world is what one pass observed: Kubernetes objects from the cache and every member's
// Nacos answers.
type world struct {
	sts     *appsv1.StatefulSet // nil before the first apply
	current int32               // StatefulSet replicas now
	inConf  int32               // members in the cluster.conf the operator rendered last
	obs     observe.Observation // members 0..n-1, n the largest of current, inConf and spec
	net     network
}

// observe reads the StatefulSet, the ConfigMap and the pods, and probes the members.
func (r *NacosClusterReconciler) observe(ctx context.Context, nc *nacosv1alpha1.NacosCluster, auth nacos.Auth) (*world, error) {
	w := &world{}
	names := resource.NamesFor(nc)
	sts := &appsv1.StatefulSet{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: names.StatefulSet}, sts); {
	case err == nil:
		w.sts = sts
		if sts.Spec.Replicas != nil {
			w.current = *sts.Spec.Replicas
		}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("get StatefulSet: %w", err)
	}
	cm := &corev1.ConfigMap{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: names.ConfigMap}, cm); {
	case err == nil:
		members, perr := resource.ParseMemberSet(cm.Data[resource.ClusterConfKey])
		if perr == nil {
			w.inConf = int32(len(members))
		}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("get ConfigMap: %w", err)
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(nc.Namespace), client.MatchingLabels(resource.SelectorLabels(nc))); err != nil {
		return nil, fmt.Errorf("list member pods: %w", err)
	}
	byName := map[string]*corev1.Pod{}
	for i := range pods.Items {
		byName[pods.Items[i].Name] = &pods.Items[i]
	}
	n := max(w.current, w.inConf, nc.Spec.Replicas)
	targets := make([]observe.Target, 0, n)
	for i, addr := range resource.MemberAddresses(nc, n) {
		name := fmt.Sprintf("%s-%d", names.StatefulSet, i)
		targets = append(targets, observe.Target{Name: name, Address: addr, Pod: byName[name],
			Evidence: (nc.Spec.Diagnostics.PeerChecksEnabled() || nc.Spec.Diagnostics.LogsEnabled()) && servesEvidence(byName[name])})
	}
	w.obs = observe.Observe(ctx, r.Clients, auth, r.Clock.Now(), targets)
	w.net = r.observeNetwork(ctx, nc)
	return w, nil
}

// currentAuth reads the identity without creating anything (used while paused).
func (r *NacosClusterReconciler) currentAuth(ctx context.Context, nc *nacosv1alpha1.NacosCluster) (nacos.Auth, error) {
	if !resource.UsesAuthSecret(nc) {
		return nacos.Auth{}, nil
	}
	secret := &corev1.Secret{}
	err := r.authSecrets(nc).Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: resource.AuthSecretName(nc)}, secret)
	if apierrors.IsNotFound(err) {
		return nacos.Auth{}, nil
	}
	if err != nil {
		return nacos.Auth{}, fmt.Errorf("get auth Secret: %w", err)
	}
	return nacos.Auth{
		IdentityKey:   string(secret.Data[nacosv1alpha1.AuthSecretIdentityKeyKey]),
		IdentityValue: string(secret.Data[nacosv1alpha1.AuthSecretIdentityValueKey]),
	}, nil
}

// pausedBy tells whether changes to workloads are paused, and by what.
func pausedBy(nc *nacosv1alpha1.NacosCluster) (string, bool) {
	if nc.Annotations[nacosv1alpha1.AnnotationPauseReconciliation] == "true" {
		return nacosv1alpha1.ReasonPausedByAnnotation, true
	}
	return "", false
}

// servesEvidence: the pod's sidecar declares the evidence port (pods made before it existed,
// or by an older operator, do not, and are not asked).
func servesEvidence(p *corev1.Pod) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Spec.InitContainers {
		for _, port := range c.Ports {
			if c.Name == resource.ContainerWriter && port.Name == resource.PortNameEvidence {
				return true
			}
		}
	}
	return false
}

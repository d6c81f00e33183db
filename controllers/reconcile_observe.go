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

// observe reads the StatefulSet and pods from the cache and probes every desired member.
func (r *NacosClusterReconciler) observe(ctx context.Context, nc *nacosv1alpha1.NacosCluster, auth nacos.Auth) (observe.Observation, *appsv1.StatefulSet, error) {
	sts := &appsv1.StatefulSet{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: resource.NamesFor(nc).StatefulSet}, sts); err != nil {
		if !apierrors.IsNotFound(err) {
			return observe.Observation{}, nil, fmt.Errorf("get StatefulSet: %w", err)
		}
		sts = nil
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(nc.Namespace), client.MatchingLabels(resource.SelectorLabels(nc))); err != nil {
		return observe.Observation{}, nil, fmt.Errorf("list member pods: %w", err)
	}
	byName := map[string]*corev1.Pod{}
	for i := range pods.Items {
		byName[pods.Items[i].Name] = &pods.Items[i]
	}
	targets := make([]observe.Target, 0, nc.Spec.Replicas)
	for i, addr := range resource.MemberAddresses(nc, nc.Spec.Replicas) {
		name := fmt.Sprintf("%s-%d", resource.NamesFor(nc).StatefulSet, i)
		targets = append(targets, observe.Target{Name: name, Address: addr, Pod: byName[name]})
	}
	return observe.Observe(ctx, r.Clients, auth, r.Clock.Now(), targets), sts, nil
}

// currentAuth reads the identity without creating anything (used while paused).
func (r *NacosClusterReconciler) currentAuth(ctx context.Context, nc *nacosv1alpha1.NacosCluster) (nacos.Auth, error) {
	if !resource.UsesAuthSecret(nc) {
		return nacos.Auth{}, nil
	}
	secret := &corev1.Secret{}
	err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: resource.AuthSecretName(nc)}, secret)
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

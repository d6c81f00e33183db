package controllers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// reconcileAuth returns the identity the operator sends to members, generating the auth
// Secret first if needed (not while paused: then it only reads).
func (r *NacosClusterReconciler) reconcileAuth(ctx context.Context, nc *nacosv1alpha1.NacosCluster, status *nacosv1alpha1.NacosClusterStatus, paused bool) (nacos.Auth, error) {
	if paused {
		return r.currentAuth(ctx, nc)
	}
	auth, err := r.reconcileAuthSecret(ctx, nc)
	var bad *specError
	switch {
	case errors.As(err, &bad):
		r.reportInvalidSpec(nc, status, bad.Error())
		return nacos.Auth{}, nil
	case err != nil:
		r.reportReconcileError(nc, status, err)
		return nacos.Auth{}, fmt.Errorf("auth Secret: %w", err)
	}
	return auth, nil
}

// reconcileResources applies every owned object from the pure builders, with the member
// counts the scale logic decided.
// It says whether the StatefulSet changed: the pass's plan was made on the one before.
func (r *NacosClusterReconciler) reconcileResources(ctx context.Context, nc *nacosv1alpha1.NacosCluster, sizes rollout.ScaleDecision, confBefore int32) (bool, error) {
	if err := r.reconcileConfigMap(ctx, nc, sizes.Conf, confBefore); err != nil {
		return false, err
	}
	for _, svc := range []*corev1.Service{resource.HeadlessService(nc), resource.ClientService(nc)} {
		if _, err := applyOwned(ctx, r.Client, svc, keepServiceAllocations, serviceDrifted); err != nil {
			return false, err
		}
	}
	if nc.Spec.Mode == nacosv1alpha1.ModeCluster {
		if _, err := applyOwned(ctx, r.Client, resource.PodDisruptionBudget(nc), nil, budgetDrifted); err != nil {
			return false, err
		}
	}
	sts := resource.StatefulSet(nc, resource.Inputs{
		Replicas:    sizes.StatefulSet,
		ConfigHash:  resource.ConfigHash(resource.ApplicationProperties(nc)),
		WriterImage: r.writerImage(),
	})
	changed, err := applyOwned(ctx, r.Client, sts, keepStatefulSetImmutables, func(stored, desired *appsv1.StatefulSet) bool {
		return stored.Spec.Replicas == nil || *stored.Spec.Replicas != *desired.Spec.Replicas
	})
	if err != nil {
		return false, err
	}
	if changed {
		r.Recorder.Eventf(nc, sts, corev1.EventTypeNormal, "StatefulSetApplied", "ApplyStatefulSet",
			"StatefulSet %s applied: %d replicas, config hash %s", sts.Name, *sts.Spec.Replicas, sts.Spec.Template.Annotations[nacosv1alpha1.AnnotationConfigHash])
	}
	r.reconcileMonitoring(ctx, nc)
	return changed, nil
}

// reconcileConfigMap renders cluster.conf and application.properties. A new member list
// reaches running members through the writer sidecar; the Event says so. before is the
// member count of the stored ConfigMap, as observed this pass (0: none yet).
func (r *NacosClusterReconciler) reconcileConfigMap(ctx context.Context, nc *nacosv1alpha1.NacosCluster, members, before int32) error {
	changed, err := applyOwned(ctx, r.Client, resource.ConfigMap(nc, members), nil,
		func(stored, desired *corev1.ConfigMap) bool { return !maps.Equal(stored.Data, desired.Data) })
	if err != nil {
		return err
	}
	if changed && before != 0 && before != members {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventMembershipUpdated, "UpdateClusterConf",
			"cluster.conf now lists %d members (was %d); running members reload it without a restart", members, before)
	}
	return nil
}

// serviceDrifted: peers must resolve each other before they are ready, so a hand edit of
// publishNotReadyAddresses or the selector is put back.
func serviceDrifted(stored, desired *corev1.Service) bool {
	return stored.Spec.PublishNotReadyAddresses != desired.Spec.PublishNotReadyAddresses || !maps.Equal(stored.Spec.Selector, desired.Spec.Selector)
}

// budgetDrifted: the budget is what keeps voluntary evictions (a node drain) to one member at
// a time, so a hand edit of its limits or selector is put back (found by the RBAC test: an
// edited maxUnavailable of 2 stayed).
func budgetDrifted(stored, desired *policyv1.PodDisruptionBudget) bool {
	return !equality.Semantic.DeepEqual(stored.Spec.MaxUnavailable, desired.Spec.MaxUnavailable) ||
		!equality.Semantic.DeepEqual(stored.Spec.MinAvailable, desired.Spec.MinAvailable) ||
		!equality.Semantic.DeepEqual(stored.Spec.Selector, desired.Spec.Selector)
}

// keepServiceAllocations keeps what the API server allocated (cluster IPs, node ports).
func keepServiceAllocations(stored, update *corev1.Service) {
	update.Spec.ClusterIP, update.Spec.ClusterIPs = stored.Spec.ClusterIP, stored.Spec.ClusterIPs
	update.Spec.IPFamilies, update.Spec.IPFamilyPolicy = stored.Spec.IPFamilies, stored.Spec.IPFamilyPolicy
	if update.Spec.Type == stored.Spec.Type {
		for i := range update.Spec.Ports {
			for _, p := range stored.Spec.Ports {
				if p.Name == update.Spec.Ports[i].Name {
					update.Spec.Ports[i].NodePort = p.NodePort
				}
			}
		}
	}
}

// keepStatefulSetImmutables keeps the fields a StatefulSet update may not change. A larger
// persistence.size is applied to the claims directly (claim templates are immutable).
func keepStatefulSetImmutables(stored, update *appsv1.StatefulSet) {
	update.Spec.VolumeClaimTemplates = stored.Spec.VolumeClaimTemplates
	update.Spec.Selector, update.Spec.ServiceName = stored.Spec.Selector, stored.Spec.ServiceName
	update.Spec.PodManagementPolicy = stored.Spec.PodManagementPolicy
}

// reconcileAuthSecret returns the identity the operator sends to members. With no
// spec.auth.secretName the operator generates a Secret once (random token key and identity)
// and never logs or reports its content.
func (r *NacosClusterReconciler) reconcileAuthSecret(ctx context.Context, nc *nacosv1alpha1.NacosCluster) (nacos.Auth, error) {
	if !resource.UsesAuthSecret(nc) {
		return nacos.Auth{}, nil // 2.x without auth: member APIs need no credentials
	}
	name := resource.AuthSecretName(nc)
	secret := &corev1.Secret{}
	err := r.authSecrets(nc).Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err) && nc.Spec.Auth.SecretName != "":
		return nacos.Auth{}, &specError{fmt.Sprintf("auth Secret %q named by spec.auth.secretName does not exist", name)}
	case apierrors.IsNotFound(err):
		values, gerr := generateAuthValues()
		if gerr != nil {
			return nacos.Auth{}, gerr
		}
		secret = resource.AuthSecret(nc, values)
		if err := r.Create(ctx, secret); err != nil {
			return nacos.Auth{}, fmt.Errorf("create auth Secret %s: %w", name, err)
		}
	case err != nil:
		return nacos.Auth{}, fmt.Errorf("get auth Secret %s: %w", name, err)
	}
	for _, k := range []string{nacosv1alpha1.AuthSecretTokenKey, nacosv1alpha1.AuthSecretIdentityKeyKey, nacosv1alpha1.AuthSecretIdentityValueKey} {
		if len(secret.Data[k]) == 0 {
			return nacos.Auth{}, &specError{fmt.Sprintf("auth Secret %q has no key %q", name, k)}
		}
	}
	return nacos.Auth{
		IdentityKey:   string(secret.Data[nacosv1alpha1.AuthSecretIdentityKeyKey]),
		IdentityValue: string(secret.Data[nacosv1alpha1.AuthSecretIdentityValueKey]),
	}, nil
}

// generateAuthValues: a 32-byte token key, base64 (Nacos requires at least 32 bytes), and
// a random identity value.
func generateAuthValues() (resource.AuthSecretValues, error) {
	var key, id [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return resource.AuthSecretValues{}, fmt.Errorf("generate auth token key: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return resource.AuthSecretValues{}, fmt.Errorf("generate server identity: %w", err)
	}
	return resource.AuthSecretValues{
		Token:         base64.StdEncoding.EncodeToString(key[:]),
		IdentityKey:   "nacos-operator-identity",
		IdentityValue: hex.EncodeToString(id[:]),
	}, nil
}

// specError is a problem the user must fix in the spec or its Secrets (InvalidSpec), as
// opposed to an API failure that a retry may fix.
type specError struct{ msg string }

func (e *specError) Error() string { return e.msg }

// DefaultWriterImage runs the cluster.conf writer when the manager was given no image.
const DefaultWriterImage = "nacos-operator:latest"

func (r *NacosClusterReconciler) writerImage() string {
	if r.WriterImage == "" {
		return DefaultWriterImage
	}
	return r.WriterImage
}

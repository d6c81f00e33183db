package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// bootstrapAdmin creates Nacos's admin user "nacos" with the password of
// spec.auth.adminCredentialsSecretRef, once. Nacos 2.4+ and 3.x start with auth on and no
// user, and create the admin for whoever calls their bootstrap endpoint first, without
// credentials: left alone, the first client to ask owns the cluster. It waits for a member
// that answers ready (with embedded storage the user is written through Raft) and records
// the outcome in status.admin; it never changes an admin that exists.
func (r *NacosClusterReconciler) bootstrapAdmin(ctx context.Context, nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, w *world, auth nacos.Auth) {
	ref := nc.Spec.Auth.AdminCredentialsSecretRef
	if !nc.Spec.Auth.Enabled || ref == nil || s.Admin != nil && s.Admin.State != nacosv1alpha1.AdminPending {
		return
	}
	password, err := r.adminPassword(ctx, nc.Namespace, ref)
	if err != nil {
		r.setAdmin(nc, s, nacosv1alpha1.AdminPending, corev1.EventTypeWarning, err.Error())
		return
	}
	dial := ""
	for _, m := range w.obs.Members {
		if m.Probed && m.Err == nil && m.Readiness.Ready {
			dial = net.JoinHostPort(m.PodIP, strconv.Itoa(resource.PortHTTP))
			break
		}
	}
	if dial == "" {
		r.setAdmin(nc, s, nacosv1alpha1.AdminPending, corev1.EventTypeNormal, "Waiting for a ready member to create the admin user.")
		return
	}
	res, err := r.Clients.For(dial, auth).InitAdmin(ctx, password)
	if err == nil && res == nacos.AdminExisted {
		// A pass that read status from a stale cache asks again after this operator created
		// the admin: Nacos answers "exists" then too. Whether the Secret's password logs in
		// tells the two apart.
		res, err = r.adminLogsIn(ctx, dial, password)
	}
	switch {
	case err != nil:
		r.setAdmin(nc, s, nacosv1alpha1.AdminPending, corev1.EventTypeWarning, fmt.Sprintf("Creating the admin user failed (retried): %v", err))
	case res == nacos.AdminCreated:
		r.setAdmin(nc, s, nacosv1alpha1.AdminCreated, corev1.EventTypeNormal, fmt.Sprintf("Created the admin user %s with the password in Secret %s.", nacos.AdminUser, ref.Name))
	default:
		r.setAdmin(nc, s, nacosv1alpha1.AdminAlreadyExisted, corev1.EventTypeWarning, fmt.Sprintf(
			"An admin user existed already, so Nacos kept its password: the password in Secret %s was not applied (change it in the Nacos console).", ref.Name))
	}
}

// adminPassword reads the admin Secret; the username must be the one Nacos creates.
func (r *NacosClusterReconciler) adminPassword(ctx context.Context, ns string, ref *nacosv1alpha1.CredentialsSecretRef) (string, error) {
	userKey, passKey := ref.UsernameKey, ref.PasswordKey
	if userKey == "" {
		userKey = "username"
	}
	if passKey == "" {
		passKey = "password"
	}
	secret := &corev1.Secret{}
	if err := r.secrets().Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("admin Secret %s named by spec.auth.adminCredentialsSecretRef does not exist", ref.Name)
		}
		return "", fmt.Errorf("get admin Secret %s: %w", ref.Name, err)
	}
	if u, ok := secret.Data[userKey]; ok && string(u) != nacos.AdminUser {
		return "", fmt.Errorf("admin Secret %s: key %s must be %q: the admin Nacos creates is always %s", ref.Name, userKey, nacos.AdminUser, nacos.AdminUser)
	}
	password := string(secret.Data[passKey])
	if password == "" {
		return "", fmt.Errorf("admin Secret %s has no key %s (or it is empty)", ref.Name, passKey)
	}
	return password, nil
}

// setAdmin records the bootstrap state, with an Event when it changes.
func (r *NacosClusterReconciler) setAdmin(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, state, kind, message string) {
	if prev := nc.Status.Admin; prev == nil || prev.State != state || prev.Message != message {
		r.Recorder.Eventf(nc, nil, kind, "Admin"+state, "BootstrapAdmin", "%s", message)
	}
	s.Admin = &nacosv1alpha1.AdminStatus{State: state, Message: message}
}

// adminLogsIn tells whether the existing admin has the Secret's password: Created when the
// login works, AlreadyExisted when Nacos refuses it.
func (r *NacosClusterReconciler) adminLogsIn(ctx context.Context, dial, password string) (nacos.AdminResult, error) {
	_, err := r.Clients.For(dial, nacos.Auth{Username: nacos.AdminUser, Password: password}).Members(ctx)
	var nerr *nacos.Error
	switch {
	case err == nil:
		return nacos.AdminCreated, nil
	case errors.As(err, &nerr) && nerr.Kind == nacos.KindAuthRefused:
		return nacos.AdminExisted, nil
	}
	return "", fmt.Errorf("log in as %s to check the existing admin: %w", nacos.AdminUser, err)
}

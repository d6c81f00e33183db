package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestMySQLAuth3xSampleBecomesReady applies the 3.x sample with kubectl, as a user would:
// MySQL credentials and admin Secrets, auth on, a generated identity the operator uses to
// read the admin API, and the console-port readiness probe.
func TestMySQLAuth3xSampleBecomesReady(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	kubectl(t, "apply", "-n", ns, "-f", filepath.Join(harness.RepoRoot(), "config", "samples", "nacos_v1alpha1_nacoscluster_mysql_auth.yaml"))
	key := types.NamespacedName{Namespace: ns, Name: "nacos-prod"}
	nc := waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Version != "3.0.3" || nc.Status.Distro != "3/3" {
			return fmt.Errorf("phase %s version %q distro %s: %s", nc.Status.Phase, nc.Status.Version, nc.Status.Distro,
				condition(nc, nacosv1alpha1.ConditionReady).Message)
		}
		if nc.Status.Admin == nil || nc.Status.Admin.State != nacosv1alpha1.AdminCreated {
			return fmt.Errorf("admin bootstrap %+v", nc.Status.Admin)
		}
		return conditionIs(nc, nacosv1alpha1.ConditionRaftLeaderElected, metav1.ConditionTrue)
	})
	// The admin exists with the Secret's password: a user logs in with it.
	member := kubelet.Resolve(resource.MemberAddress(nc, 1))
	admin := nacos.New(member, nacos.Options{Timeout: time.Second, Major: 3, Auth: nacos.Auth{Username: "nacos", Password: "change-me-too"}})
	if _, err := admin.Members(context.Background()); err != nil {
		t.Fatalf("log in as the bootstrapped admin: %v", err)
	}
	if groups := len(nc.Status.Members[0].RaftLeaderOf) + len(nc.Status.Members[1].RaftLeaderOf) + len(nc.Status.Members[2].RaftLeaderOf); groups != 5 {
		t.Errorf("%d led groups, want the 4 naming groups and 3.x's lock_acquire_service_v2 (no nacos_config with MySQL)", groups)
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "nacos-prod-auth"}, secret); err != nil {
		t.Fatalf("generated auth Secret: %v", err)
	}
	identity := string(secret.Data[nacosv1alpha1.AuthSecretIdentityValueKey])
	if len(identity) < 32 || len(secret.Data[nacosv1alpha1.AuthSecretTokenKey]) < 32 {
		t.Fatalf("weak generated secrets: identity %d bytes, token %d bytes", len(identity), len(secret.Data[nacosv1alpha1.AuthSecretTokenKey]))
	}
	// Secrets never leak into status or Events.
	describe := kubectl(t, "describe", "nacoscluster", "-n", ns, "nacos-prod")
	events := kubectl(t, "get", "events", "-n", ns, "-o", "yaml")
	for _, text := range []string{describe, events, fmt.Sprintf("%+v", nc.Status)} {
		if strings.Contains(text, identity) || strings.Contains(text, "change-me") {
			t.Fatal("a secret value appears in status, describe or Events")
		}
	}
}

// An admin created before the operator keeps its password: the operator says the Secret's
// password was not applied, and never claims to have created it.
func TestExistingAdminKeepsItsPassword(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	presetUsers.Store(ns, map[string]string{nacos.AdminUser: "set-by-someone-else"})
	kubectl(t, "apply", "-n", ns, "-f", filepath.Join(harness.RepoRoot(), "config", "samples", "nacos_v1alpha1_nacoscluster_mysql_auth.yaml"))
	key := types.NamespacedName{Namespace: ns, Name: "nacos-prod"}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if a := nc.Status.Admin; a == nil || a.State != nacosv1alpha1.AdminAlreadyExisted || !strings.Contains(a.Message, "the password in Secret nacos-admin was not applied") {
			return fmt.Errorf("admin bootstrap %+v", nc.Status.Admin)
		}
		return nil
	})
	if created := eventsWith(t, ns, "Admin"+nacosv1alpha1.AdminCreated); len(created) > 0 {
		t.Fatalf("the operator claimed to create an admin that existed: %q", created)
	}
}

// TestPVCRetentionFollowsTheSpec: claims are kept on delete by default, deleted when asked.
func TestPVCRetentionFollowsTheSpec(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	for name, spec := range map[string]string{
		"keep": `{mode: standalone, replicas: 1}`,
		"drop": `{mode: standalone, replicas: 1, persistence: {whenDeleted: Delete}}`,
	} {
		if err := env.Client.Create(ctx, newCluster(t, ns, name, spec)); err != nil {
			t.Fatal(err)
		}
		waitForStatusWithin(t, types.NamespacedName{Namespace: ns, Name: name}, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
			return conditionIs(nc, nacosv1alpha1.ConditionReady, metav1.ConditionTrue)
		})
		if err := env.Client.Delete(ctx, newCluster(t, ns, name, `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(name string) error {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "data-" + name + "-0"}, &corev1.PersistentVolumeClaim{})
	}
	if err := pollUntil(60*time.Second, func() error {
		if claim("drop") == nil {
			return fmt.Errorf("claim data-drop-0 still exists")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := claim("keep"); err != nil {
		t.Fatalf("the retained claim is gone: %v", err)
	}
}

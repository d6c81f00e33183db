package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// unexercised are permissions config/rbac grants that these runs do not take, each with
// why it is granted anyway (docs/rbac.md says the same). Anything else granted must be used.
var unexercised = map[string]string{
	"nacos.io/nacosclusters/finalizers:update": "owner references with blockOwnerDeletion need it where the OwnerReferencesPermissionEnforcement admission plugin is on (OpenShift); envtest's API server runs without it",
	"/events:patch":              "client-go's core-v1 event recorder (leader election's) patches an Event it aggregates; the operator's own Events use events.k8s.io",
	"events.k8s.io/events:patch": "the events.k8s.io recorder patches an Event into a series when it repeats, which a run may or may not do",
	// This API server serves no PodMonitors; TestPodMonitorWhereThePrometheusOperatorCRDsExist
	// runs the operator on the same rules where it does, and checks these are used there.
	"monitoring.coreos.com/podmonitors:list":   "used only where the prometheus-operator CRDs are served (TestPodMonitorWhereThePrometheusOperatorCRDsExist)",
	"monitoring.coreos.com/podmonitors:watch":  "as list",
	"monitoring.coreos.com/podmonitors:create": "as list",
	"monitoring.coreos.com/podmonitors:update": "as list",
	"monitoring.coreos.com/podmonitors:delete": "as list",
}

// The operator runs under its own ServiceAccount, impersonated, with exactly the ClusterRole
// `make manifests` generates (config/rbac/role.yaml) and the leader-election Role, not as
// admin: create -> Ready -> an image rollout. Nothing it asks is refused, and every
// permission granted is one it used (or is listed in unexercised, with why).
func TestOperatorRunsOnItsOwnClusterRole(t *testing.T) {
	ns, opNS := namespace(t), namespace(t)
	role := &rbacv1.ClusterRole{}
	readManifest(t, "config/rbac/role.yaml", role)
	lease := &rbacv1.Role{}
	readManifest(t, "config/rbac/leader_election_role.yaml", lease)
	cfg, log := serviceAccount(t, opNS, func(ctx context.Context, sa rbacv1.Subject) error {
		role.Name = "nacos-operator-" + opNS
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name}, Subjects: []rbacv1.Subject{sa},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}}
		t.Cleanup(func() {
			_ = env.Client.Delete(context.Background(), binding)
			_ = env.Client.Delete(context.Background(), role)
		})
		return createAll(ctx, role, binding)
	}, lease)
	_, stop := runOperatorWith(t, operatorOptions{config: cfg, leaderElectionNamespace: opNS})
	t.Cleanup(stop)
	admin := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nacos-admin"}, StringData: map[string]string{"username": "nacos", "password": "rbac-test-pw"}}
	if err := env.Client.Create(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	key := sizedCluster(t, ns, 3, "auth: {enabled: true, adminCredentialsSecretRef: {name: nacos-admin}}")
	driftIsUndone(t, key)
	image := "nacos/nacos-server:v2.5.1-slim"
	setImage(t, key, image)
	rolledOut(t, key, 3, image)
	setReplicas(t, key, 4) // cluster.conf and the PodDisruptionBudget change: updates
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Distro != "4/4" {
			return fmt.Errorf("phase %s distro %s", nc.Status.Phase, nc.Status.Distro)
		}
		return nil
	})
	stop()
	checkPermissions(t, log, granted(t, append(role.Rules, lease.Rules...)))
}

// Namespaced mode: the operator watching one namespace works with a Role there and nothing
// cluster-wide.
func TestOperatorWatchingOneNamespaceNeedsOnlyARole(t *testing.T) {
	ns := namespace(t)
	clusterRole := &rbacv1.ClusterRole{}
	readManifest(t, "config/rbac/role.yaml", clusterRole)
	lease := &rbacv1.Role{}
	readManifest(t, "config/rbac/leader_election_role.yaml", lease)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "nacos-operator"}, Rules: append(clusterRole.Rules, lease.Rules...)}
	cfg, log := serviceAccount(t, ns, nil, role)
	_, stop := runOperatorWith(t, operatorOptions{config: cfg, namespaces: []string{ns}, leaderElectionNamespace: ns})
	t.Cleanup(stop)
	sizedCluster(t, ns, 3)
	stop()
	if _, refused := log.snapshot(); len(refused) > 0 {
		t.Fatalf("refused with a Role in %s only: %s", ns, strings.Join(refused, "; "))
	}
}

// serviceAccount makes the operator's ServiceAccount in ns, binds each Role to it there,
// lets extra bind more, and returns a config that impersonates it and logs its requests.
func serviceAccount(t *testing.T, ns string, extra func(context.Context, rbacv1.Subject) error, roles ...*rbacv1.Role) (*rest.Config, *permissionLog) {
	t.Helper()
	return serviceAccountOn(t, env, ns, extra, roles...)
}

// serviceAccountOn is serviceAccount on another control plane the test started.
func serviceAccountOn(t *testing.T, e *harness.Env, ns string, extra func(context.Context, rbacv1.Subject) error, roles ...*rbacv1.Role) (*rest.Config, *permissionLog) {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "controller-manager"}}
	if err := e.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa.Name}
	for _, r := range roles {
		r.Namespace = ns
		b := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: r.Name}, Subjects: []rbacv1.Subject{subject},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name}}
		if err := createAllOn(ctx, e.Client, r, b); err != nil {
			t.Fatal(err)
		}
	}
	if extra != nil {
		if err := extra(ctx, subject); err != nil {
			t.Fatal(err)
		}
	}
	log := &permissionLog{}
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", ns, sa.Name)}
	cfg.Wrap(log.wrap)
	return cfg, log
}

func createAll(ctx context.Context, objs ...client.Object) error {
	return createAllOn(ctx, env.Client, objs...)
}

func createAllOn(ctx context.Context, c client.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// checkPermissions: nothing refused, and every granted permission used or justified.
func checkPermissions(t *testing.T, log *permissionLog, grants []string) {
	t.Helper()
	used, refused := log.snapshot()
	// An informer lists and watches; client-go streams the initial list over the watch
	// where the API server allows it and lists otherwise, so a watch stands for both.
	for u := range used {
		if strings.HasSuffix(u, ":watch") {
			used[strings.TrimSuffix(u, ":watch")+":list"] = true
		}
	}
	if len(refused) > 0 {
		t.Errorf("refused under its own RBAC: %s", strings.Join(refused, "; "))
	}
	var unused, ungranted []string
	for _, g := range grants {
		if !used[g] && unexercised[g] == "" {
			unused = append(unused, g)
		}
	}
	for u := range used {
		if !slices.Contains(grants, u) {
			ungranted = append(ungranted, u)
		}
	}
	slices.Sort(ungranted)
	if len(unused) > 0 {
		t.Errorf("granted but never used (drop the +kubebuilder:rbac marker, or say why in unexercised and docs/rbac.md): %s", strings.Join(unused, ", "))
	}
	if len(ungranted) > 0 {
		t.Errorf("used without a grant (yet not refused?): %s", strings.Join(ungranted, ", "))
	}
	var all []string
	for u := range used {
		all = append(all, u)
	}
	slices.Sort(all)
	t.Logf("permissions used: %s", strings.Join(all, ", "))
}

// driftIsUndone edits the headless Service and the PodDisruptionBudget by hand, as someone
// might, and waits for the operator to put them back (with an update).
func driftIsUndone(t *testing.T, key types.NamespacedName) {
	t.Helper()
	ctx := context.Background()
	names := resource.NamesFor(&nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})
	svc := &corev1.Service{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: key.Namespace, Name: names.HeadlessService}, svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.PublishNotReadyAddresses = false
	if err := env.Client.Update(ctx, svc); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{}
	if err := env.Client.Get(ctx, key, pdb); err != nil {
		t.Fatal(err)
	}
	pdb.Spec.MaxUnavailable = ptr.To(intstr.FromInt32(2))
	if err := env.Client.Update(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(30*time.Second, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(svc), svc); err != nil {
			return err
		}
		if err := env.Client.Get(ctx, key, pdb); err != nil {
			return err
		}
		if !svc.Spec.PublishNotReadyAddresses || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			return fmt.Errorf("publishNotReadyAddresses %v, maxUnavailable %s: not put back yet", svc.Spec.PublishNotReadyAddresses, pdb.Spec.MaxUnavailable)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

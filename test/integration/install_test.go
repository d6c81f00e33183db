package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// installImage is the image make install-manifests renders install.yaml with.
const installImage = "registry.example.com/nacos-operator:v0.1.0"

// rendered is one file of make install-manifests, split into its objects.
type rendered []*unstructured.Unstructured

func loadRendered(t *testing.T, name string) (rendered, string) {
	t.Helper()
	return loadYAML(t, filepath.Join(manifestsDir(t), name))
}

func loadYAML(t *testing.T, path string) (rendered, string) {
	t.Helper()
	name := filepath.Base(path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out rendered
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out, path
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

func (r rendered) kinds() map[string]int {
	n := map[string]int{}
	for _, u := range r {
		n[u.GetKind()]++
	}
	return n
}

// one converts the only object of a kind (and name, if given) to its type.
func (r rendered) one(t *testing.T, kind, namespace, name string, into runtime.Object) {
	t.Helper()
	for _, u := range r {
		if u.GetKind() == kind && (name == "" || u.GetName() == name) && (namespace == "" || u.GetNamespace() == namespace) {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s %s/%s rendered (kinds %v)", kind, namespace, name, r.kinds())
}

// generatedRules are the rules make manifests generates from the +kubebuilder:rbac markers,
// the ones TestOperatorRunsOnItsOwnClusterRole proves necessary and sufficient.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	role := &rbacv1.ClusterRole{}
	readManifest(t, "config/rbac/role.yaml", role)
	return role.Rules
}

// noWildcards fails on any "*" in a rendered role: least privilege, and every rule is
// justified in docs/rbac.md.
func (r rendered) noWildcards(t *testing.T) {
	t.Helper()
	for _, u := range r {
		if u.GetKind() != "ClusterRole" && u.GetKind() != "Role" {
			continue
		}
		role := &rbacv1.ClusterRole{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, role); err != nil {
			t.Fatal(err)
		}
		for _, rule := range role.Rules {
			for _, list := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs, rule.NonResourceURLs} {
				if slices.Contains(list, "*") {
					t.Errorf("%s %s has a wildcard rule %+v", u.GetKind(), u.GetName(), rule)
				}
			}
		}
	}
}

// hardened checks the manager Deployment as the issue asks: non-root, read-only root,
// seccomp RuntimeDefault, every capability dropped, resources, probes, leader election, and
// the writer sidecar's image the same as the manager's.
func hardened(t *testing.T, d *appsv1.Deployment, image string) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v: want runAsNonRoot and seccomp RuntimeDefault", pod.SecurityContext)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Errorf("liveness %v readiness %v: want both", c.LivenessProbe, c.ReadinessProbe)
	}
	if !slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("args %v lack --leader-elect", c.Args)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if c.Image != image || env["OPERATOR_IMAGE"] != image {
		t.Errorf("image %q, OPERATOR_IMAGE %q; want both %q", c.Image, env["OPERATOR_IMAGE"], image)
	}
}

// applyRendered applies a rendered file as a user would (server-side) and checks the API
// server took every object.
func applyRendered(t *testing.T, e *harness.Env, objs rendered, path string) {
	t.Helper()
	ctx := context.Background()
	for _, u := range objs {
		if ns := u.GetNamespace(); ns != "" {
			err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}
	out := kubectlOn(t, e, "apply", "--server-side", "--force-conflicts", "-f", path)
	for _, u := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(u.GroupVersionKind())
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(u), got); err != nil {
			t.Errorf("%s %s/%s not in the API server after apply: %v\n%s", u.GetKind(), u.GetNamespace(), u.GetName(), err, out)
		}
	}
}

func TestInstallYAMLAppliesHardenedAndLeastPrivileged(t *testing.T) {
	objs, path := loadRendered(t, "install.yaml")
	kinds := objs.kinds()
	for kind, n := range map[string]int{"CustomResourceDefinition": 1, "Namespace": 1, "Deployment": 1, "ServiceAccount": 1, "Service": 1} {
		if kinds[kind] != n {
			t.Errorf("install.yaml has %d %s, want %d (kinds %v)", kinds[kind], kind, n, kinds)
		}
	}
	objs.clusterWide(t, path, "nacos-operator-controller-manager", installImage, "nacos-operator-manager-role")
}

// clusterWide checks a cluster-wide install: the hardened Deployment with its image, the
// manager ClusterRole with exactly the generated rules, no wildcard; then applies it.
func (r rendered) clusterWide(t *testing.T, path, deployment, image, role string) {
	t.Helper()
	d := &appsv1.Deployment{}
	r.one(t, "Deployment", "nacos-operator-system", deployment, d)
	hardened(t, d, image)
	cr := &rbacv1.ClusterRole{}
	r.one(t, "ClusterRole", "", role, cr)
	if !equality.Semantic.DeepEqual(cr.Rules, generatedRules(t)) {
		t.Errorf("%s: the manager rules differ from config/rbac/role.yaml:\n%+v", filepath.Base(path), cr.Rules)
	}
	r.noWildcards(t)
	applyRendered(t, env, r, path)
}

func TestChartRendersAndAppliesInEachMode(t *testing.T) {
	t.Run("cluster-wide", func(t *testing.T) {
		objs, path := loadRendered(t, "chart-cluster.yaml")
		objs.clusterWide(t, path, "nacos-operator", "registry.example.com/nacos-operator:0.1.0", "nacos-operator-manager")
	})
	t.Run("namespaced", func(t *testing.T) {
		objs, path := loadRendered(t, "chart-namespaced.yaml")
		kinds := objs.kinds()
		if kinds["ClusterRole"] != 0 || kinds["ClusterRoleBinding"] != 0 {
			t.Errorf("namespaced mode with metrics.secure=false renders cluster-scoped RBAC: %v", kinds)
		}
		for _, ns := range []string{"team-a", "team-b"} {
			role := &rbacv1.Role{}
			objs.one(t, "Role", ns, "nacos-operator-manager", role)
			if !equality.Semantic.DeepEqual(role.Rules, generatedRules(t)) {
				t.Errorf("the %s Role's rules differ from config/rbac/role.yaml", ns)
			}
			objs.one(t, "RoleBinding", ns, "nacos-operator-manager", &rbacv1.RoleBinding{})
		}
		d := &appsv1.Deployment{}
		objs.one(t, "Deployment", "", "nacos-operator", d)
		args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
		for _, want := range []string{"--watch-namespaces=team-a,team-b", "--metrics-secure=false", "--metrics-bind-address=:8080"} {
			if !strings.Contains(args, want) {
				t.Errorf("args %q lack %s", args, want)
			}
		}
		applyRendered(t, env, objs, path)
	})
	t.Run("monitoring-without-the-CRDs", func(t *testing.T) {
		objs, _ := loadRendered(t, "chart-monitoring-absent.yaml")
		if k := objs.kinds(); k["ServiceMonitor"] != 0 || k["PrometheusRule"] != 0 || k["Deployment"] != 1 {
			t.Errorf("serviceMonitor.enabled where the CRDs are not served renders %v: want the operator and no monitors", k)
		}
	})
	t.Run("monitoring-with-the-CRDs", func(t *testing.T) {
		objs, path := loadRendered(t, "chart-monitoring.yaml")
		if k := objs.kinds(); k["ServiceMonitor"] != 1 || k["PrometheusRule"] != 1 {
			t.Fatalf("renders %v: want one ServiceMonitor and one PrometheusRule", k)
		}
		mon := monitoringEnv(t)
		applyRendered(t, mon, objs, path)
		// The kustomize users' samples are valid objects of those CRDs too.
		for _, sample := range []string{"service_monitor.yaml", "prometheus_rule.yaml"} {
			objs, path := loadYAML(t, filepath.Join(harness.RepoRoot(), "config", "prometheus", sample))
			for _, o := range objs {
				if o.GetNamespace() == "" {
					o.SetNamespace("default") // where kubectl apply puts it
				}
			}
			applyRendered(t, mon, objs, path)
		}
	})
}

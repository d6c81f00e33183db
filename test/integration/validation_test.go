package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// newCluster builds a NacosCluster from the YAML of its spec, as a user would write it.
func newCluster(t testing.TB, ns, name, specYAML string) *unstructured.Unstructured {
	t.Helper()
	spec := map[string]any{}
	if err := yaml.Unmarshal([]byte(specYAML), &spec); err != nil {
		t.Fatalf("test spec YAML: %v", err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "nacos.io/v1alpha1",
		"kind":       "NacosCluster",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
	return u
}

// invalidCreates are specs the API server must refuse, with the message it must give.
var invalidCreates = []struct {
	name, spec, message string
}{
	{"cluster with 1 replica", `replicas: 1`, "cluster mode needs at least 3 replicas"},
	{"cluster with 2 replicas", `{mode: cluster, replicas: 2}`, "use mode: standalone with replicas: 1"},
	{"standalone with 3 replicas", `{mode: standalone, replicas: 3}`, "standalone mode runs exactly one member"},
	{"unknown mode", `mode: raft`, `Unsupported value: "raft"`},
	{"podMonitor interval not a Prometheus duration", `monitoring: {podMonitor: {enabled: true, interval: 5min}}`, `spec.monitoring.podMonitor.interval in body should match`},
	{"zero replicas", `replicas: 0`, "should be greater than or equal to 1"},
	{"absurd replicas", `replicas: 1000`, "should be less than or equal to 15"},
	{"unknown storage type", `storage: {type: postgres}`, `Unsupported value: "postgres"`},
	{"mysql without host", `storage: {type: mysql, mysql: {credentialsSecretRef: {name: db}}}`, "storage.type mysql needs storage.mysql.host"},
	{"mysql without credentials", `storage: {type: mysql, mysql: {host: db.example}}`, "needs storage.mysql.credentialsSecretRef"},
	{"mysql without any mysql block", `storage: {type: mysql}`, "storage.type mysql needs storage.mysql.host"},
	{"embedded with mysql fields", `storage: {type: embedded, mysql: {host: db.example}}`, "storage.mysql is set but storage.type is embedded"},
	{"mysql port out of range", `storage: {type: mysql, mysql: {host: db, port: 70000, credentialsSecretRef: {name: db}}}`, "should be less than or equal to 65535"},
	{"negative volume", `persistence: {size: -1Gi}`, "persistence.size must be greater than zero"},
	{"zero volume", `persistence: {size: "0"}`, "persistence.size must be greater than zero"},
	{"absurd volume", `persistence: {size: 5Pi}`, "is larger than the 64Ti"},
	{"unknown retention", `persistence: {whenScaled: Keep}`, `Unsupported value: "Keep"`},
	{"negative timeout", `rollout: {memberReadyTimeout: -5m}`, "rollout.memberReadyTimeout must be a positive duration"},
	{"garbage timeout", `rollout: {memberReadyTimeout: soon}`, "rollout.memberReadyTimeout must be a positive duration"},
	{"absurd timeout", `rollout: {memberReadyTimeout: 1000h}`, "must be between 1m and 24h"},
	{"too short timeout", `rollout: {stuckMemberTimeout: 5s}`, "rollout.stuckMemberTimeout must be between 1m and 24h"},
	{"absurd refresh age", `rollout: {memberRefreshMaxAge: 1s}`, "rollout.memberRefreshMaxAge must be between 5s and 10m"},
	{"grace period too short", `pod: {terminationGracePeriodSeconds: 5}`, "should be greater than or equal to 30"},
	{"heap too small", `config: {jvm: {heap: 64Mi}}`, "config.jvm.heap 64Mi is out of range"},
	{"version 1.x", `version: 1.4.1`, "Nacos 1.4.1 is not a version this operator knows: use a 2.3, 2.4, 2.5 or 3.0 release"},
	{"version 2.2", `version: 2.2.3`, "Nacos 2.2.3 is not a version this operator knows"},
	{"a later 2.x line", `version: 2.6.0`, "Nacos 2.6.0 is not a version this operator knows"},
	{"a later 3.x line", `version: 3.7.0`, "Nacos 3.7.0 is not a version this operator knows"},
	{"version not a release", `version: latest`, "version must be a Nacos release number"},
	{"unknown pull policy", `imagePullPolicy: Sometimes`, `Unsupported value: "Sometimes"`},
	{"unknown service type", `service: {type: Ingress}`, `Unsupported value: "Ingress"`},
	{"warmup override", `config: {properties: {nacos.naming.data.warmup: "false"}}`, "must not set nacos.naming.data.warmup"},
	{"port override", `config: {properties: {server.port: "9999"}}`, "config.properties must not set server.port"},
	{"inline db password", `config: {properties: {db.password.0: hunter2}}`, "config.properties must not carry secrets (db.password.0)"},
	{"inline token", `config: {properties: {nacos.core.auth.plugin.nacos.token.secret.key: abc}}`, "must not carry secrets"},
	{"storage override", `config: {properties: {db.url.0: "jdbc:mysql://x"}}`, "storage and auth are configured through spec.storage"},
	{"selector label override", `pod: {labels: {app.kubernetes.io/instance: other}}`, "pod.labels must not set the app.kubernetes.io"},
	{"bad cluster domain", `clusterDomain: "Cluster_Local"`, "spec.clusterDomain"},
	{"cluster domain too long for member addresses", `clusterDomain: "` + strings.Repeat("a", 60) + `.example"`, "clusterDomain may be at most 66 characters"},
	{"label value too long", `pod: {labels: {team: "` + strings.Repeat("x", 64) + `"}}`, "Too long: may not be more than 63"},
	{"label value with a space", `pod: {labels: {team: "infra team"}}`, "a label value must be empty or at most 63 alphanumerics"},
	{"label key with two slashes", `pod: {labels: {"a/b/c": x}}`, "pod.labels keys must be Kubernetes qualified names"},
	{"node selector value", `pod: {nodeSelector: {disk: "s s d"}}`, "spec.pod.nodeSelector[disk]: Invalid value: \"s s d\": a label value must be"},
	{"annotation key", `pod: {annotations: {"not a key": x}}`, "pod.annotations keys must be Kubernetes qualified names"},
	{"service label value", `service: {labels: {tier: "-edge"}}`, "a label value must be empty or at most 63"},
}

// invalidNames are NacosCluster names the API server must refuse: the objects the operator
// derives from them (StatefulSet revision labels, <name>-headless) could not exist.
var invalidNames = []struct{ name, metaName, message string }{
	{"58 characters", strings.Repeat("n", 58), "metadata.name may be at most 52 characters"},
	{"53 characters", strings.Repeat("n", 53), "metadata.name may be at most 52 characters"},
	{"starts with a digit", "1nacos", "must start with a lowercase letter"},
	{"has a dot", "nacos.prod", "must start with a lowercase letter and hold only lowercase letters, digits and hyphens"},
}

func TestInvalidNamesAreRefused(t *testing.T) {
	ns := namespace(t)
	for _, tc := range invalidNames {
		t.Run(tc.name, func(t *testing.T) {
			err := env.Client.Create(context.Background(), newCluster(t, ns, tc.metaName, `{}`))
			assertInvalid(t, err, tc.message)
		})
	}
}

func TestInvalidSpecsAreRefused(t *testing.T) {
	ns := namespace(t)
	if len(invalidCreates) < 15 {
		t.Fatalf("the bad-input table must hold at least 15 cases, has %d", len(invalidCreates))
	}
	for _, tc := range invalidCreates {
		t.Run(tc.name, func(t *testing.T) {
			err := env.Client.Create(context.Background(), newCluster(t, ns, "bad", tc.spec))
			assertInvalid(t, err, tc.message)
		})
	}
}

// invalidUpdates start from a valid spec and change it in a way the API server must refuse.
var invalidUpdates = []struct {
	name, spec, patch, message string
}{
	{"shrink volume", `persistence: {size: 20Gi}`, `{"spec":{"persistence":{"size":"10Gi"}}}`, "persistence.size cannot shrink from 20Gi to 10Gi"},
	{"change storage class", `persistence: {storageClassName: fast}`, `{"spec":{"persistence":{"storageClassName":"slow"}}}`, "persistence.storageClassName cannot change"},
	{"set storage class later", `{}`, `{"spec":{"persistence":{"storageClassName":"slow"}}}`, "persistence.storageClassName cannot change"},
	{"change mode", `{mode: standalone, replicas: 1}`, `{"spec":{"mode":"cluster","replicas":3}}`, "mode cannot change after creation"},
	{"major downgrade", `version: 3.0.3`, `{"spec":{"version":"2.5.1"}}`, "version cannot go back from 3.0.3 to 2.5.1"},
	{"change cluster domain", `{}`, `{"spec":{"clusterDomain":"example.org"}}`, "clusterDomain cannot change after creation"},
	{"scale cluster below 3", `{}`, `{"spec":{"replicas":2}}`, "cluster mode needs at least 3 replicas"},
}

func TestInvalidUpdatesAreRefused(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	for i, tc := range invalidUpdates {
		t.Run(tc.name, func(t *testing.T) {
			name := "upd-" + string(rune('a'+i))
			if err := env.Client.Create(ctx, newCluster(t, ns, name, tc.spec)); err != nil {
				t.Fatalf("create the valid starting point: %v", err)
			}
			u := newCluster(t, ns, name, `{}`)
			err := env.Client.Patch(ctx, u, rawPatch(types.MergePatchType, tc.patch))
			assertInvalid(t, err, tc.message)
		})
	}
}

func assertInvalid(t testing.TB, err error, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal with %q", message)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("error is not a validation error (%v): %v", apierrors.ReasonForError(err), err)
	}
	if !strings.Contains(err.Error(), message) {
		t.Fatalf("refused with\n  %v\nwant a message containing\n  %q", err, message)
	}
}

// TestLongestNameBecomesReady shows the name limit is the real one, not a guess: a cluster
// with a 52-character name gets its Services, its StatefulSet's pods (whose
// controller-revision-hash label is <name>-<hash>) and reaches Ready.
func TestLongestNameBecomesReady(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	name := "n" + strings.Repeat("a", 50) + "z"
	if err := env.Client.Create(context.Background(), newCluster(t, ns, name, `{}`)); err != nil {
		t.Fatalf("a %d-character name was refused: %v", len(name), err)
	}
	nc := waitForStatusWithin(t, types.NamespacedName{Namespace: ns, Name: name}, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("phase %s", nc.Status.Phase)
		}
		return nil
	})
	if got := nc.Status.Members[2].Address; got != name+"-2."+name+"-headless."+ns+".svc.cluster.local:8848" {
		t.Errorf("member 2 address = %q", got)
	}
}

package integration

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// rawPatch wraps a literal patch body.
func rawPatch(pt types.PatchType, body string) client.Patch {
	return client.RawPatch(pt, []byte(body))
}

var validCreates = []struct{ name, spec string }{
	{"empty spec takes every default", `{}`},
	{"standalone", `{mode: standalone, replicas: 1}`},
	{"five members on 3.x", `{version: 3.0.3, replicas: 5}`},
	{"2.3 is the oldest supported", `version: 2.3.2`},
	{"mysql with auth", `{storage: {type: mysql, mysql: {host: mysql.db, credentialsSecretRef: {name: db}}}, auth: {enabled: true, secretName: nacos-auth, adminCredentialsSecretRef: {name: nacos-admin}}}`},
	{"custom image", `{version: 2.5.1, image: registry.example/nacos/nacos-server:v2.5.1-slim}`},
	{"tuned rollout", `rollout: {paused: true, memberReadyTimeout: 1h30m, stabilizationDelay: 0s, stuckMemberTimeout: 2m, memberRefreshMaxAge: 45s}`},
	{"properties and jvm", `config: {properties: {nacos.core.protocol.distro.data.load.retryDelayMs: "10000"}, jvm: {heap: 2Gi, options: ["-XX:+UseG1GC"]}}`},
	{"pod settings", `pod: {priorityClassName: high, nodeSelector: {disk: ssd}, labels: {team: infra}, env: [{name: TZ, value: UTC}], resources: {limits: {memory: 3Gi}}}`},
	{"load balancer", `service: {type: LoadBalancer, annotations: {a: b}}`},
	{"qualified pod labels and annotations", `pod: {labels: {example.com/team: infra, empty: ""}, annotations: {prometheus.io/scrape: "true", note: "any text, spaces too"}}`},
	{"longest cluster domain", `clusterDomain: "` + strings.Repeat("a", 58) + `.example"`},
}

func TestValidSpecsAreAccepted(t *testing.T) {
	ns := namespace(t)
	for i, tc := range validCreates {
		t.Run(tc.name, func(t *testing.T) {
			if err := env.Client.Create(context.Background(), newCluster(t, ns, "ok-"+string(rune('a'+i)), tc.spec)); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func TestDefaultsAreApplied(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if err := env.Client.Create(ctx, newCluster(t, ns, "defaults", `{}`)); err != nil {
		t.Fatal(err)
	}
	nc := &nacosv1alpha1.NacosCluster{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "defaults"}, nc); err != nil {
		t.Fatal(err)
	}
	s := nc.Spec
	if s.Pod.TerminationGracePeriodSeconds == nil || s.Rollout.MemberReadyTimeout == nil || s.Rollout.StabilizationDelay == nil ||
		s.Rollout.StuckMemberTimeout == nil || s.Rollout.MemberRefreshMaxAge == nil {
		t.Fatalf("pointer defaults missing: pod=%+v rollout=%+v", s.Pod, s.Rollout)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"version", s.Version, "2.5.1"},
		{"image", s.ContainerImage(), "nacos/nacos-server:v2.5.1"},
		{"mode", s.Mode, nacosv1alpha1.ModeCluster},
		{"replicas", s.Replicas, int32(3)},
		{"clusterDomain", s.ClusterDomain, "cluster.local"},
		{"storage.type", s.Storage.Type, nacosv1alpha1.StorageEmbedded},
		{"persistence.size", s.Persistence.Size.String(), "10Gi"},
		{"persistence.whenScaled", s.Persistence.WhenScaled, nacosv1alpha1.PVCRetain},
		{"persistence.whenDeleted", s.Persistence.WhenDeleted, nacosv1alpha1.PVCRetain},
		{"imagePullPolicy", string(s.ImagePullPolicy), "IfNotPresent"},
		{"service.type", s.Service.Type, nacosv1alpha1.ServiceType("ClusterIP")},
		{"rollout.memberReadyTimeout", s.Rollout.MemberReadyTimeout.Duration.String(), "10m0s"},
		{"rollout.stabilizationDelay", s.Rollout.StabilizationDelay.Duration.String(), "10s"},
		{"rollout.stuckMemberTimeout", s.Rollout.StuckMemberTimeout.Duration.String(), "5m0s"},
		{"rollout.memberRefreshMaxAge", s.Rollout.MemberRefreshMaxAge.Duration.String(), "30s"},
		{"pod.terminationGracePeriodSeconds", *s.Pod.TerminationGracePeriodSeconds, int64(60)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("default %s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

var validUpdates = []struct{ name, spec, patch string }{
	{"grow volume", `persistence: {size: 10Gi}`, `{"spec":{"persistence":{"size":"20Gi"}}}`},
	{"major upgrade", `version: 2.5.1`, `{"spec":{"version":"3.0.3"}}`},
	{"minor downgrade within 2.x", `version: 2.5.1`, `{"spec":{"version":"2.4.3"}}`},
	{"scale up", `{}`, `{"spec":{"replicas":5}}`},
	{"pause", `{}`, `{"spec":{"rollout":{"paused":true}}}`},
}

func TestValidUpdatesAreAccepted(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	for i, tc := range validUpdates {
		t.Run(tc.name, func(t *testing.T) {
			name := "vu-" + string(rune('a'+i))
			if err := env.Client.Create(ctx, newCluster(t, ns, name, tc.spec)); err != nil {
				t.Fatalf("create: %v", err)
			}
			if err := env.Client.Patch(ctx, newCluster(t, ns, name, `{}`), rawPatch(types.MergePatchType, tc.patch)); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

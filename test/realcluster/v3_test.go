package realcluster

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestRealCluster3x: a 3-member 3.0.3 cluster with auth on and a generated identity reaches
// Ready (the 3.x image refuses to start without the identity and token), the operator
// bootstraps the admin user from its Secret (Nacos creates it once, for whoever asks first),
// the console port answers readiness, and one gated restart rolls it leader last.
func TestRealCluster3x(t *testing.T) {
	needReal(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "real3")
	if err != nil {
		t.Fatal(err)
	}
	startOperator(t)
	covered.at("3.0.3")
	admin := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nacos-admin"},
		StringData: map[string]string{"username": "nacos", "password": "real-admin-pw-3x"}}
	if err := env.Client.Create(ctx, admin); err != nil {
		t.Fatal(err)
	}
	// The sample with version 3.0.3 and auth on: a typed object built from scratch would
	// send zero values (persistence.size "0") that the CRD's defaults never see.
	nc := sample(t, ns)
	nc.Spec.Version = "3.0.3"
	nc.Spec.Auth = nacosv1alpha1.AuthSpec{Enabled: true, AdminCredentialsSecretRef: &nacosv1alpha1.CredentialsSecretRef{Name: admin.Name}}
	heap := resource.MustParse("512Mi")
	nc.Spec.Config.JVM.Heap = &heap
	key := types.NamespacedName{Namespace: ns, Name: nc.Name}
	start := time.Now()
	if err := env.Client.Create(ctx, nc); err != nil {
		t.Fatal(err)
	}
	poll(t, 15*time.Minute, readyWith(key, 3))
	ready := time.Since(start)
	poll(t, 2*time.Minute, func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		if nc.Status.Admin == nil || nc.Status.Admin.State != nacosv1alpha1.AdminCreated {
			return fmt.Errorf("admin bootstrap %+v", nc.Status.Admin)
		}
		return nil
	})
	ps := pods(ctx, ns)
	if len(ps) != 3 {
		t.Fatalf("%d pods", len(ps))
	}
	// The admin logs in with the Secret's password, on another member than the one asked.
	for _, p := range ps {
		c := nacos.New(p.Status.PodIP+":8848", nacos.Options{Major: 3, Timeout: 3 * time.Second, Auth: nacos.Auth{Username: nacos.AdminUser, Password: "real-admin-pw-3x"}})
		if _, err := c.Members(ctx); err != nil {
			t.Errorf("%s: log in as the bootstrapped admin: %v", p.Name, err)
		}
		// The readiness probe's URL on the console port, as the kubelet reads it.
		resp, err := http.Get("http://" + p.Status.PodIP + ":8080/v3/console/health/readiness")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: console readiness: %v %v", p.Name, resp, err)
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nacos-auth"}, secret); err != nil {
		t.Fatalf("generated auth Secret: %v", err)
	}
	auth := nacos.Auth{IdentityKey: string(secret.Data[nacosv1alpha1.AuthSecretIdentityKeyKey]), IdentityValue: string(secret.Data[nacosv1alpha1.AuthSecretIdentityValueKey])}

	rec := harness.StartRecorder(t, env.Config, ns, 3, memberAccess(ns, 3, auth))
	before := revision(t, key)
	restart := time.Now()
	patch(t, key, fmt.Sprintf(`{"metadata":{"annotations":{%q:"v3-%d"}}}`, nacosv1alpha1.AnnotationRestartedAt, time.Now().Unix()))
	newRevision(t, key, before)
	poll(t, 20*time.Minute, rolledOut(key, 3))
	deletions := checkRollout(t, rec, 3)
	t.Logf("3.0.3: create to Ready %.0f s; restart %v in %.0f s", ready.Seconds(), deletions, time.Since(restart).Seconds())
	writeMeasure("3.0.3", fmt.Sprintf("create to Ready %.0f s; gated restart %v in %.0f s", ready.Seconds(), deletions, time.Since(restart).Seconds()))
}

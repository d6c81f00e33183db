package fidelity

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

func TestSmoke(t *testing.T) {
	if os.Getenv("SMOKE") == "" {
		t.Skip()
	}
	net, err := realnacos.NewNetwork("nacosrt", 213)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	heap := resource.MustParse("256Mi")
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: "solo", Namespace: "fid"},
		Spec: nacosv1alpha1.NacosClusterSpec{Image: "nacos/nacos-server:v2.5.1", Replicas: 1, Mode: nacosv1alpha1.ModeStandalone}}
	nc.Spec.Config.JVM.Heap = &heap
	nc.Spec.Auth.Enabled = true
	runner := &realnacos.Runner{Net: net}
	pods, err := NewPods(nc, runner, t.TempDir(), net.AllocateIP)
	if err != nil {
		t.Fatal(err)
	}
	defer pods.Close()
	start := time.Now()
	if _, err := pods.Start(0); err != nil {
		t.Fatal(err)
	}
	for time.Since(start) < 3*time.Minute {
		rec := Probe(t.Context(), pods.Dial(0), 2, Credentials{Identity: true})
		if rec.View.Readiness == "ready" {
			b, _ := json.MarshalIndent(rec.View, "", " ")
			t.Logf("ready after %s: %s", time.Since(start), b)
			a, _ := json.MarshalIndent(rec.Answers, "", " ")
			t.Logf("%s", a)
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatal(runner.Logs(3000))
}

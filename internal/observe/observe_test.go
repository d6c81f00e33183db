package observe

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

func readyPod(ip string) *corev1.Pod {
	return &corev1.Pod{Status: corev1.PodStatus{PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

// TestHungMemberCostsOneCall: a member that stops answering fails its first call and is not
// asked again in the same pass, so a hung member costs one timeout, not three.
func TestHungMemberCostsOneCall(t *testing.T) {
	c, err := sim.NewCluster(sim.ClusterConfig{Size: 2, IPPrefix: "127.0.51.", BaseDir: t.TempDir(),
		Template: sim.Config{Version: "2.5.1", Warmup: true, Standalone: true, Periods: sim.FastPeriods()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	c.Members[1].SetFaults(sim.Faults{Hang: true})
	deleting := readyPod("127.0.51.9")
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	targets := []Target{
		{Name: "m-0", Address: "127.0.51.1:8848", Pod: readyPod("127.0.51.1")},
		{Name: "m-1", Address: "127.0.51.2:8848", Pod: readyPod("127.0.51.2")},
		{Name: "m-2", Address: "x:8848"},
		{Name: "m-3", Address: "y:8848", Pod: deleting},
	}
	pool := nacos.NewPool(nacos.Options{Timeout: 200 * time.Millisecond})
	var obs Observation
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) { // the standalone member refreshes its status first
		obs = Observe(context.Background(), pool, nacos.Auth{}, time.Now(), targets)
		if obs.Members[0].Naming.Status == "UP" {
			break
		}
	}
	ok := obs.Members[0]
	if ok.Err != nil || !ok.Readiness.Ready || ok.Version != "2.5.1" || len(ok.View) != 1 || !ok.KubeReady {
		t.Fatalf("healthy member: %+v", ok)
	}
	hung := obs.Members[1]
	if nacos.KindOf(hung.Err) != nacos.KindTimeout || !strings.HasPrefix(hung.Err.Error(), "readiness:") || hung.View != nil {
		t.Fatalf("hung member: err %v, view %v; want a readiness timeout and no further calls", hung.Err, hung.View)
	}
	if m := obs.Members[2]; m.Probed || m.Err != nil {
		t.Fatalf("member without a pod was probed: %+v", m)
	}
	if m := obs.Members[3]; m.Probed || !m.Terminating {
		t.Fatalf("terminating member was probed: %+v", m)
	}
	if got, _ := obs.ByName("m-1"); got.Name != "m-1" {
		t.Fatalf("ByName: %+v", got)
	}
}

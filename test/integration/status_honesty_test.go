package integration

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// The pass that applies a new pod template must not report the change as rolled out: its
// plan was made on the StatefulSet before the change. Found by the demo, which once read
// Ready and up to date 0.2 s after an image change. Every status the API server holds for
// the new generation is watched, and the first says the rollout is pending.
func TestASpecChangeIsNeverReportedUpToDateBeforeItRolls(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	list := &nacosv1alpha1.NacosClusterList{}
	if err := wc.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &nacosv1alpha1.NacosClusterList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	image := "nacos/nacos-server:v2.5.1-slim"
	setImage(t, key, image)
	var seen []string
	for ev := range w.ResultChan() {
		if ev.Type != watch.Modified && ev.Type != watch.Added {
			continue
		}
		nc, ok := ev.Object.(*nacosv1alpha1.NacosCluster)
		if !ok || nc.Name != key.Name || nc.Status.ObservedGeneration != nc.Generation || nc.Spec.Image != image {
			continue
		}
		c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionProgressing)
		if c == nil || c.ObservedGeneration != nc.Generation {
			continue
		}
		seen = append(seen, string(c.Status)+" "+c.Reason)
		if c.Status != "True" {
			t.Fatalf("the first status of generation %d says Progressing %s %s (%q): the image change was reported done before any member restarted", nc.Generation, c.Status, c.Reason, c.Message)
		}
		if c.Reason != nacosv1alpha1.GateCacheNotInSync {
			t.Logf("first status of the new generation: Progressing %s", c.Reason)
		}
		break
	}
	if len(seen) == 0 {
		t.Fatalf("no status of the new generation within the deadline (%v)", ctx.Err())
	}
	rolledOut(t, key, 3, image)
}

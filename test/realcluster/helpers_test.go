package realcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// sample is config/samples' NacosCluster in namespace ns: what a new user applies.
func sample(t *testing.T, ns string) *nacosv1alpha1.NacosCluster {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "config", "samples", "nacos_v1alpha1_nacoscluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nc := &nacosv1alpha1.NacosCluster{}
	if err := yaml.UnmarshalStrict(raw, nc); err != nil {
		t.Fatalf("config/samples: %v", err)
	}
	nc.Namespace = ns
	return nc
}

func get(ctx context.Context, key types.NamespacedName) (*nacosv1alpha1.NacosCluster, error) {
	nc := &nacosv1alpha1.NacosCluster{}
	return nc, env.Client.Get(ctx, key, nc)
}

func cond(nc *nacosv1alpha1.NacosCluster, typ string) metav1Condition {
	if c := meta.FindStatusCondition(nc.Status.Conditions, typ); c != nil {
		return metav1Condition{Status: string(c.Status), Reason: c.Reason, Message: c.Message}
	}
	return metav1Condition{}
}

type metav1Condition struct{ Status, Reason, Message string }

// readyWith is a poll condition: phase Ready with Distro n/n.
func readyWith(key types.NamespacedName, n int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Distro != fmt.Sprintf("%d/%d", n, n) {
			return fmt.Errorf("phase %q distro %q; Ready: %+v", nc.Status.Phase, nc.Status.Distro, cond(nc, nacosv1alpha1.ConditionReady))
		}
		return nil
	}
}

// rolledOut is a poll condition: every one of n pods runs the StatefulSet's update revision
// and is Ready, and the cluster is Ready and up to date.
func rolledOut(key types.NamespacedName, n int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		sts := &appsv1.StatefulSet{}
		if err := env.Client.Get(ctx, key, sts); err != nil {
			return err
		}
		if sts.Status.ObservedGeneration != sts.Generation || sts.Status.UpdateRevision == "" {
			return fmt.Errorf("StatefulSet not observed yet")
		}
		updated := 0
		for _, p := range pods(ctx, key.Namespace) {
			if p.Labels["controller-revision-hash"] == sts.Status.UpdateRevision && harness.PodReady(&p) && p.DeletionTimestamp == nil {
				updated++
			}
		}
		c := cond(nc, nacosv1alpha1.ConditionProgressing)
		if updated != n || nc.Status.Phase != nacosv1alpha1.PhaseReady || c.Reason != nacosv1alpha1.ReasonUpToDate {
			return fmt.Errorf("%d/%d updated, phase %s, Progressing %s: %s", updated, n, nc.Status.Phase, c.Reason, c.Message)
		}
		return nil
	}
}

// revision is the StatefulSet's update revision.
func revision(t *testing.T, key types.NamespacedName) string {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(t.Context(), key, sts); err != nil {
		t.Fatal(err)
	}
	return sts.Status.UpdateRevision
}

// newRevision waits until the StatefulSet's update revision is no longer before: the change
// reached the pod template, so rolledOut means this rollout ended.
func newRevision(t *testing.T, key types.NamespacedName, before string) {
	t.Helper()
	poll(t, time.Minute, func(ctx context.Context) error {
		sts := &appsv1.StatefulSet{}
		if err := env.Client.Get(ctx, key, sts); err != nil {
			return err
		}
		if sts.Status.UpdateRevision == before || sts.Status.ObservedGeneration != sts.Generation {
			return fmt.Errorf("update revision still %s", before)
		}
		return nil
	})
}

func pods(ctx context.Context, ns string) []corev1.Pod {
	list := &corev1.PodList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue}); err != nil {
		return nil
	}
	slices.SortFunc(list.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return list.Items
}

// incarnations maps pod name to "uid/restartCount": a member restarted in any way changes it.
func incarnations(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range pods(t.Context(), ns) {
		var restarts int32
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
		}
		out[p.Name] = fmt.Sprintf("%s/%d", p.UID, restarts)
	}
	return out
}

func patch(t *testing.T, key types.NamespacedName, mergePatch string) {
	t.Helper()
	nc := &nacosv1alpha1.NacosCluster{}
	nc.Namespace, nc.Name = key.Namespace, key.Name
	if err := env.Client.Patch(t.Context(), nc, client.RawPatch(types.MergePatchType, []byte(mergePatch))); err != nil {
		t.Fatalf("patch %s: %v", mergePatch, err)
	}
}

// checkRollout fails on any invariant the recorder saw broken, and unless each of the n
// members was deleted exactly once, none while it led Raft (leadership is transferred first).
func checkRollout(t *testing.T, rec *harness.Recorder, n int) []string {
	t.Helper()
	rec.Stop()
	deletions, violations := rec.Result()
	if len(violations) > 0 {
		t.Fatalf("invariants broken:\n%s\nhistory:\n%s", strings.Join(violations, "\n"), rec.HistoryText())
	}
	sorted := slices.Clone(deletions)
	slices.Sort(sorted)
	if len(deletions) != n || len(slices.Compact(sorted)) != n {
		t.Fatalf("deletions %v: want each of the %d members exactly once\n%s", deletions, n, rec.HistoryText())
	}
	if l := rec.LeaderRestarts(); len(l) > 0 {
		t.Fatalf("deletions %v: restarts %v hit the Raft leader although leadership is transferred first\n%s", deletions, l, rec.HistoryText())
	}
	if rc := rec.Recoveries(); len(rc) > 0 {
		t.Logf("start-up recoveries (pods deleted before they ever started): %v", rc)
		writeMeasure("start-up recoveries", strings.Join(rc, " "))
	}
	if blips := rec.Blips(); len(blips) > 0 {
		t.Logf("Nacos-side readiness blips (two or more members unready, none disrupted): %v", blips)
		writeMeasure("readiness blips", strings.Join(blips, "; "))
	}
	return deletions
}

// holds fails unless cond stays nil for the whole window (an observation, not a wait).
func holds(t *testing.T, what string, window time.Duration, cond func(ctx context.Context) error) {
	t.Helper()
	if err := harness.Holds(t.Context(), window, time.Second, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eventNotes returns the notes of the namespace's Events with the reason, oldest first.
func eventNotes(t *testing.T, ns, reason string) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := env.Client.List(t.Context(), list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].CreationTimestamp.Before(&list.Items[j].CreationTimestamp) })
	var notes []string
	for _, e := range list.Items {
		if e.Reason == reason {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

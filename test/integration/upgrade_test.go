package integration

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

func setVersion(t testing.TB, key types.NamespacedName, version string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"version":%q}}`, version)
	if err := env.Client.Patch(context.Background(), newCluster(t, key.Namespace, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

func annotate(t testing.TB, key types.NamespacedName, k, v string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, k, v)
	if err := env.Client.Patch(context.Background(), newCluster(t, key.Namespace, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

// renderedImage is the Nacos image and version the StatefulSet was rendered for.
func renderedImage(t testing.TB, key types.NamespacedName) (image, version string) {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(context.Background(), key, sts); err != nil {
		t.Fatal(err)
	}
	return sts.Spec.Template.Spec.Containers[0].Image, sts.Annotations[nacosv1alpha1.AnnotationVersion]
}

// heldWith waits until Progressing says the version change is held for reason, and checks
// that nothing was restarted and the StatefulSet still renders the running version.
func heldWith(t *testing.T, key types.NamespacedName, reason, from, to string, before map[string]types.UID, words ...string) *nacosv1alpha1.NacosCluster {
	t.Helper()
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if c.Status != metav1.ConditionFalse || c.Reason != reason || c.ObservedGeneration != nc.Generation {
			return fmt.Errorf("Progressing %s %s: %s", c.Status, c.Reason, c.Message)
		}
		if u := nc.Status.Upgrade; u == nil || u.From != from || u.To != to || string(u.State) != reason {
			return fmt.Errorf("status.upgrade %+v", nc.Status.Upgrade)
		}
		return nil
	})
	msg := condition(nc, nacosv1alpha1.ConditionProgressing).Message
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("Progressing message %q lacks %q", msg, w)
		}
	}
	if image, version := renderedImage(t, key); version != from || !strings.HasSuffix(image, ":v"+from) {
		t.Fatalf("held at %s, but the StatefulSet renders %s (%s)", from, version, image)
	}
	if after := podUIDs(t, key.Namespace); !maps.Equal(before, after) {
		t.Fatalf("a held upgrade restarted members: %v -> %v", before, after)
	}
	if nc.Status.Phase != nacosv1alpha1.PhaseReady || nc.Status.Version != from {
		t.Fatalf("held cluster: phase %s version %s, want Ready on %s", nc.Status.Phase, nc.Status.Version, from)
	}
	return nc
}

// upgraded waits until every member runs version and status.upgrade is gone, having seen
// the Progressing wording of the upgrade on the way.
func upgraded(t *testing.T, key types.NamespacedName, n int, from, to string) {
	t.Helper()
	wording := fmt.Sprintf("Upgrading %s -> %s", from, to)
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if c.Status != metav1.ConditionTrue || !strings.HasPrefix(c.Message, wording) {
			return fmt.Errorf("Progressing %s %s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	rolledOut(t, key, n, "nacos/nacos-server:v"+to)
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Upgrade != nil || nc.Status.Version != to {
			return fmt.Errorf("version %s, upgrade %+v", nc.Status.Version, nc.Status.Upgrade)
		}
		return nil
	})
	for _, m := range nc.Status.Members {
		if m.Version != to {
			t.Errorf("%s runs %s after the upgrade to %s", m.Name, m.Version, to)
		}
	}
	count := func(reason, text string) int {
		n := 0
		for _, e := range eventsWith(t, key.Namespace, reason) {
			if strings.HasPrefix(e, text) {
				n++
			}
		}
		return n
	}
	if got := count(nacosv1alpha1.EventUpgradeStarted, wording); got != 1 {
		t.Errorf("%d UpgradeStarted events saying %q, want one", got, wording)
	}
	if want := fmt.Sprintf("Every member runs %s (upgraded from %s)", to, from); count(nacosv1alpha1.EventUpgradeCompleted, want) != 1 {
		t.Errorf("UpgradeCompleted events %q, want one %q", eventsWith(t, key.Namespace, nacosv1alpha1.EventUpgradeCompleted), want)
	}
}

// On MySQL, 2.4 -> 2.5 crosses a schema change: a 2.5 member on the 2.4 schema never starts,
// so the operator restarts nothing until the user confirms the schema, then rolls gated.
func TestUpgradeAcrossTheMySQLSchemaWaitsForConfirmation(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, externalMySQL, "version: 2.4.3")
	before := podUIDs(t, ns)
	setVersion(t, key, "2.5.1")
	heldWith(t, key, nacosv1alpha1.ReasonSchemaNotConfirmed, "2.4.3", "2.5.1", before,
		"The upgrade 2.4.3 -> 2.5.1 waits for the MySQL schema", "config_info_gray", "nacos.io/schema-confirmed=2.5.1")
	if got := eventsWith(t, ns, nacosv1alpha1.ReasonSchemaNotConfirmed); len(got) != 1 {
		t.Errorf("%d SchemaNotConfirmed Warnings, want one: %q", len(got), got)
	}
	// A confirmation for another version does not count.
	annotate(t, key, nacosv1alpha1.AnnotationSchemaConfirmed, "2.5.0")
	heldWith(t, key, nacosv1alpha1.ReasonSchemaNotConfirmed, "2.4.3", "2.5.1", before)
	rec := startRecorder(t, ns, 3)
	annotate(t, key, nacosv1alpha1.AnnotationSchemaConfirmed, "2.5.1")
	upgraded(t, key, 3, "2.4.3", "2.5.1")
	rec.Stop()
	if deletions, violations := rec.Result(); len(violations) > 0 || len(deletions) != 3 {
		t.Fatalf("deletions %v, violations %v", deletions, violations)
	}
	// 2.5 -> 3.0 shares the schema: nothing is asked.
	setVersion(t, key, "3.0.3")
	upgraded(t, key, 3, "2.5.1", "3.0.3")
	if got := eventsWith(t, ns, nacosv1alpha1.EventUpgradeWritesAtRisk); len(got) != 0 {
		t.Errorf("UpgradeWritesAtRisk on MySQL, where nothing was lost: %q", got)
	}
}

// 2.x -> 3.x on embedded storage: the auth Secret exists before the first 3.x member (its
// image refuses to start without the identity and token), and Progressing names the step.
func TestMajorUpgradeNamesItsSteps(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, transferLeadership)
	setVersion(t, key, "3.0.3")
	nc := waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		c := condition(nc, nacosv1alpha1.ConditionProgressing)
		if !strings.Contains(c.Message, "Upgrading 2.5.1 -> 3.0.3 (major)") || !strings.Contains(c.Message, "step 2 of 3, members") {
			return fmt.Errorf("Progressing %s: %s", c.Reason, c.Message)
		}
		return nil
	})
	if u := nc.Status.Upgrade; u == nil || u.Kind != nacosv1alpha1.UpgradeKind("Major") || u.State != nacosv1alpha1.UpgradeRolling || u.StartedAt == nil {
		t.Fatalf("status.upgrade %+v", nc.Status.Upgrade)
	}
	upgraded(t, key, 3, "2.5.1", "3.0.3")
	if got := eventsWith(t, ns, nacosv1alpha1.EventUpgradeWritesAtRisk); len(got) != 1 || !strings.Contains(got[0], "Pause config publishes until this upgrade completes") {
		t.Errorf("UpgradeWritesAtRisk events %q, want one on embedded storage", got)
	}
}

// A major downgrade slips past admission only on an old CRD; an upgrade on top of an
// unfinished one is refused by the operator: the members stay, nothing restarts.
func TestAnUpgradeOnAnUnfinishedOneIsRefused(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, externalMySQL, "version: 2.4.3")
	victim := firstToRestart(3, leaderOf(t, key))
	startFaults.set(ns, victim, sim.Faults{DistroStuck: true})
	annotate(t, key, nacosv1alpha1.AnnotationSchemaConfirmed, "2.5.1")
	setVersion(t, key, "2.5.1")
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if c := condition(nc, nacosv1alpha1.ConditionProgressing); c.Reason != nacosv1alpha1.GateDistroNotInitialized {
			return fmt.Errorf("Progressing %s: %s", c.Reason, c.Message)
		}
		for _, m := range nc.Status.Members {
			if m.Name == victim && m.Version == "2.5.1" {
				return nil
			}
		}
		return fmt.Errorf("%s not on 2.5.1 yet", victim)
	})
	before := podUIDs(t, ns)
	setVersion(t, key, "3.0.3")
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if u := nc.Status.Upgrade; u == nil || u.State != nacosv1alpha1.UpgradeRefused || nc.Status.ObservedGeneration != nc.Generation {
			return fmt.Errorf("status.upgrade %+v", nc.Status.Upgrade)
		}
		return nil
	})
	if image, version := renderedImage(t, key); version != "2.5.1" || !strings.HasSuffix(image, ":v2.5.1") {
		t.Fatalf("refused 3.0.3, but the StatefulSet renders %s (%s)", version, image)
	}
	if after := podUIDs(t, ns); !maps.Equal(before, after) {
		t.Fatalf("a refused upgrade restarted members: %v -> %v", before, after)
	}
	want := "Version 3.0.3 is refused, members stay on 2.5.1 and nothing is restarted: the upgrade to 2.5.1 has not finished: members still run 2.4.3"
	if got := eventsWith(t, ns, nacosv1alpha1.ReasonUpgradeRefused); len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("UpgradeRefused events %q, want one starting %q", got, want)
	}
	// The stuck member's rollout still explains itself (the refusal does not hide it).
	if c := condition(nc, nacosv1alpha1.ConditionProgressing); c.Reason != nacosv1alpha1.GateDistroNotInitialized {
		t.Fatalf("Progressing %s: %s", c.Reason, c.Message)
	}
	simMember(t, ns, victim).SetFaults(sim.Faults{})
}

// The database going away under a Ready MySQL cluster (the fact from real 2.4.3 members:
// readiness hangs, naming answers) is named as the cause on every member, nothing restarts,
// and the cluster is Ready again when it returns.
func TestDatabaseDownIsDiagnosedNotRestarted(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, externalMySQL)
	before := podUIDs(t, ns)
	for i := range 3 {
		simMember(t, ns, fmt.Sprintf("nacos-%d", i)).SetFaults(sim.Faults{DBDown: true})
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if c := condition(nc, nacosv1alpha1.ConditionReady); c.Status != metav1.ConditionFalse {
			return fmt.Errorf("Ready %s", c.Status)
		}
		for _, m := range nc.Status.Members {
			if len(m.Diagnosis) == 0 || m.Diagnosis[0].Code != nacosv1alpha1.DiagDatabaseUnreachable ||
				!strings.Contains(m.Diagnosis[0].Message, "MySQL at mysql.db:3306") || m.Health != nacosv1alpha1.HealthNotReady || m.NamingStatus != "UP" {
				return fmt.Errorf("%s: %s naming %q %+v", m.Name, m.Health, m.NamingStatus, m.Diagnosis)
			}
		}
		return nil
	})
	for i := range 3 {
		simMember(t, ns, fmt.Sprintf("nacos-%d", i)).SetFaults(sim.Faults{})
	}
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("phase %s", nc.Status.Phase)
		}
		return nil
	})
	if after := podUIDs(t, ns); !maps.Equal(before, after) {
		t.Fatalf("a database outage restarted members: %v -> %v", before, after)
	}
}

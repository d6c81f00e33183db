package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
)

// probedNamespaces are the namespaces whose pods the fake kubelet runs the startup,
// liveness and readiness probes for (Kubelet.ProbesIn), so Started follows the member.
var probedNamespaces sync.Map

func probesIn(ns string) bool { _, ok := probedNamespaces.Load(ns); return ok }

// Measured on real 2.5.1 members (docs/real-nacos.md): a member that joins an elected
// nacos_config group can miss the leader announcement and stay "starting" forever with its
// port closed. The operator names it StartupStalled, moves the group's leadership once, and
// the member starts; nothing is restarted for it.
func TestStalledStartupIsNudgedAndStarts(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	probedNamespaces.Store(ns, true)
	key := sizedCluster(t, ns, 3)
	ctx := context.Background()
	victim := "nacos-2"
	old := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, old); err != nil {
		t.Fatal(err)
	}
	startFaults.set(ns, victim, sim.Faults{MissedLeaderEvent: true})
	if err := env.Client.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Past the operator's stall time (integrationStallAfter) it is stalled and nudged in the
	// same pass, so the diagnosis lives for one pass: its Event is the lasting record.
	pod := &corev1.Pod{}
	if err := pollUntil(60*time.Second, func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, pod); err != nil {
			return err
		}
		if pod.UID == old.UID || !podReady(pod) {
			return fmt.Errorf("%s not recreated and Ready yet", victim)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	nc := waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		return conditionIs(nc, nacosv1alpha1.ConditionReady, "True")
	})
	if n := containerRestartsOf(pod); n != 0 {
		t.Fatalf("the stalled member was restarted %d times; the nudge should have freed it", n)
	}
	nudges := eventsWith(t, ns, nacosv1alpha1.EventStartupNudged)
	// One nudge frees it; a second may come if the freed member is not seen open within the
	// test's short stall time (3 s), never more.
	if len(nudges) < 1 || len(nudges) > startup.MaxNudges || !strings.HasPrefix(nudges[0], victim+" has been starting since") || !strings.Contains(nudges[0], "leadership moves to") {
		t.Fatalf("StartupNudged events %q, want one or two naming %s", nudges, victim)
	}
	stalled := eventsWith(t, ns, nacosv1alpha1.DiagStartupStalled)
	if len(stalled) != 1 || !strings.Contains(stalled[0], victim+" has been starting since") || !strings.Contains(stalled[0], "although Raft group nacos_config elected") {
		t.Fatalf("StartupStalled events %q, want one naming %s, the group and its leader", stalled, victim)
	}
	for _, m := range nc.Status.Members {
		if len(m.Diagnosis) > 0 {
			t.Fatalf("Ready, yet %s has a diagnosis: %+v", m.Name, m.Diagnosis)
		}
	}
}

// integrationStallAfter is the operator's StartupStallAfter in these tests (minutes on real
// members; only pods of probedNamespaces are ever Starting here).
const integrationStallAfter = 3 * time.Second

func containerRestartsOf(p *corev1.Pod) int32 {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			return c.RestartCount
		}
	}
	return 0
}

// eventsWith returns the notes of the namespace's Events with the reason.
func eventsWith(t *testing.T, ns, reason string) []string {
	t.Helper()
	events := &eventsv1.EventList{}
	if err := env.Client.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatal(fmt.Errorf("list events: %w", err))
	}
	var notes []string
	for _, e := range events.Items {
		if e.Reason == reason {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

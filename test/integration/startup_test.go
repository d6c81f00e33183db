package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
	"github.com/nacos-operator/nacos-operator/test/harness"
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
	key := probedCluster(t)
	ns, ctx := key.Namespace, context.Background()
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

// Measured on real 2.5.1 members (docs/real-nacos.md): a member can deadlock in start-up,
// its config dump blocked on a lock the starting main thread holds. A nudge does not free it
// and its Raft port stays open, so the operator deletes its pod once the nudge's grace has
// passed; the new pod starts. Nothing else is restarted.
func TestDeadlockedStartupIsRestarted(t *testing.T) {
	key := probedCluster(t)
	ns, ctx := key.Namespace, context.Background()
	victim := "nacos-1"
	before := map[string]types.UID{}
	for _, name := range []string{"nacos-0", "nacos-1", "nacos-2"} {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			t.Fatal(err)
		}
		before[name] = p.UID
	}
	startFaults.set(ns, victim, sim.Faults{StartupDeadlock: true})
	if err := env.Client.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: victim}}); err != nil {
		t.Fatal(err)
	}
	// The first replacement deadlocks (the fault is taken once); the operator's restart
	// makes a second one, which starts.
	var deadlocked types.UID
	if err := pollUntil(90*time.Second, func() error {
		pod := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, pod); err != nil {
			return err
		}
		if deadlocked == "" && pod.UID != before[victim] {
			deadlocked = pod.UID
		}
		if deadlocked == "" || pod.UID == deadlocked || !podReady(pod) {
			return fmt.Errorf("%s not restarted by the operator and Ready yet", victim)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		return conditionIs(nc, nacosv1alpha1.ConditionReady, "True")
	})
	restarts := eventsWith(t, ns, nacosv1alpha1.EventStartupRestarted)
	if len(restarts) != 1 || !strings.HasPrefix(restarts[0], victim+" has kept port 8848 closed since") ||
		!strings.Contains(restarts[0], "did not free it while its Raft port accepts connections") || !strings.Contains(restarts[0], "(restart 1 of 2)") {
		t.Fatalf("StartupRestarted events %q, want one for %s, with the evidence", restarts, victim)
	}
	if nudges := eventsWith(t, ns, nacosv1alpha1.EventStartupNudged); len(nudges) != 1 {
		t.Fatalf("StartupNudged events %q: want exactly one nudge before the restart (a deadlock is restarted, not nudged again)", nudges)
	}
	found := eventsWith(t, ns, nacosv1alpha1.DiagStartupDeadlocked)
	if len(found) != 1 || !strings.Contains(found[0], "Nacos is deadlocked in start-up") {
		t.Fatalf("StartupDeadlocked events %q, want one", found)
	}
	for _, name := range []string{"nacos-0", "nacos-2"} {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			t.Fatal(err)
		}
		if p.UID != before[name] || containerRestartsOf(p) != 0 {
			t.Fatalf("%s was restarted (uid %s -> %s, %d container restarts); only the deadlocked member may be", name, before[name], p.UID, containerRestartsOf(p))
		}
	}
}

// A member stuck in start-up whose Raft port does not answer the operator either is not
// restarted: a restart cannot mend its network. It is nudged twice, then diagnosed Starting
// with the port to check, and left to its startup probe.
func TestStuckStartupBehindAClosedRaftPortIsNotRestarted(t *testing.T) {
	key := probedCluster(t)
	ns, ctx := key.Namespace, context.Background()
	victim := "nacos-1"
	startFaults.set(ns, victim, sim.Faults{StartupDeadlock: true, RaftPartition: true})
	if err := env.Client.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: victim}}); err != nil {
		t.Fatal(err)
	}
	var stuck types.UID
	nc := waitForStatusWithin(t, key, 90*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		for _, m := range nc.Status.Members {
			if m.Name != victim {
				continue
			}
			for _, f := range m.Diagnosis {
				if f.Code == nacosv1alpha1.DiagStarting && strings.Contains(f.Message, "its Raft port 7848 does not accept the operator's connections either") {
					return nil
				}
			}
		}
		return fmt.Errorf("%s not diagnosed Starting with its closed Raft port yet", victim)
	})
	pod := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, pod); err != nil {
		t.Fatal(err)
	}
	stuck = pod.UID
	if restarts := eventsWith(t, ns, nacosv1alpha1.EventStartupRestarted); len(restarts) != 0 {
		t.Fatalf("StartupRestarted %q for a member whose Raft port is closed (status %+v)", restarts, nc.Status.Members)
	}
	if nudges := eventsWith(t, ns, nacosv1alpha1.EventStartupNudged); len(nudges) != startup.MaxNudges {
		t.Fatalf("StartupNudged events %q, want %d", nudges, startup.MaxNudges)
	}
	// Its own sidecar says more than the operator can see: it cannot reach its peers' Raft
	// ports, and its log says it is starting (not a dead JVM).
	waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		return raftPartitionShown(nc, victim)
	})
	// Past every bound (two stall times), still the same pod.
	if err := harness.Holds(ctx, 2*integrationStallAfter, 100*time.Millisecond, func(ctx context.Context) error {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, p); err != nil {
			return err
		}
		if p.UID != stuck {
			return fmt.Errorf("%s was replaced (%s -> %s)", victim, stuck, p.UID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// probedCluster runs the operator and a Ready 3-member cluster in a namespace whose pods get
// their probes run, so a member's Started follows its port.
func probedCluster(t *testing.T) types.NamespacedName {
	t.Helper()
	startOperator(t)
	ns := namespace(t)
	probedNamespaces.Store(ns, true)
	return sizedCluster(t, ns, 3)
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

// raftPartitionShown: the member's first finding is its pod's failed dials to both peers'
// Raft ports, a Starting finding quotes its log's start phase, and its status keeps both.
func raftPartitionShown(nc *nacosv1alpha1.NacosCluster, victim string) error {
	for _, m := range nc.Status.Members {
		if m.Name != victim {
			continue
		}
		if len(m.Diagnosis) < 2 || m.Diagnosis[0].Code != nacosv1alpha1.DiagPodCannotReachPeer {
			return fmt.Errorf("%s diagnosis %+v: want %s first", victim, m.Diagnosis, nacosv1alpha1.DiagPodCannotReachPeer)
		}
		for _, want := range []string{victim + " cannot reach nacos-0:7848/9849 (timed out,", "nacos-2:7848/9849 (timed out,"} {
			if !strings.Contains(m.Diagnosis[0].Message, want) {
				return fmt.Errorf("first finding %q lacks %q", m.Diagnosis[0].Message, want)
			}
		}
		if !slices.ContainsFunc(m.Diagnosis[1:], func(f nacosv1alpha1.Finding) bool {
			return f.Code == nacosv1alpha1.DiagStarting && strings.Contains(f.Message, `its nacos.log says "Nacos is starting..." every second since`)
		}) {
			return fmt.Errorf("no Starting finding quoting the start phase in %+v", m.Diagnosis)
		}
		ev := m.Evidence
		if ev == nil || ev.StartingSince == nil {
			return fmt.Errorf("%s evidence %+v: want its start phase", victim, ev)
		}
		raft := 0
		for _, d := range ev.Unreachable {
			if d.Port == 7848 && d.Result == "timed out" {
				raft++
			}
		}
		if raft != 2 {
			return fmt.Errorf("%s evidence lists %d unreachable Raft peers, want 2: %+v", victim, raft, ev.Unreachable)
		}
		return nil
	}
	return fmt.Errorf("no member %s", victim)
}

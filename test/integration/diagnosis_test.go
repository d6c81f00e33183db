package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// restartWith restarts a member's process with faults, after prepare has changed its files.
func restartWith(t *testing.T, ns, pod string, f sim.Faults, prepare func(m *sim.Member)) {
	t.Helper()
	m := simMember(t, ns, pod)
	m.Stop()
	if prepare != nil {
		prepare(m)
	}
	m.SetFaults(f)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
}

// writeConf replaces a member's cluster.conf (its writer must be stopped first).
func writeConf(t *testing.T, m *sim.Member, addresses ...string) {
	t.Helper()
	if err := sim.WriteClusterConf(m.Home(), addresses); err != nil {
		t.Fatal(err)
	}
}

// diagnosed waits until the member's most likely cause has the code and the text.
func diagnosed(t *testing.T, key types.NamespacedName, pod, code, text string) *nacosv1alpha1.NacosCluster {
	t.Helper()
	return waitForStatusWithin(t, key, 30*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		for _, m := range nc.Status.Members {
			if m.Name != pod {
				continue
			}
			if len(m.Diagnosis) == 0 || m.Diagnosis[0].Code != code || !strings.Contains(m.Diagnosis[0].Message, text) {
				return fmt.Errorf("%s diagnosis %+v", pod, m.Diagnosis)
			}
			return nil
		}
		return fmt.Errorf("no member %s", pod)
	})
}

// findingsAre waits until the member's findings start with these codes, in this order.
func findingsAre(t *testing.T, key types.NamespacedName, pod string, codes []string) *nacosv1alpha1.NacosCluster {
	t.Helper()
	return waitForStatusWithin(t, key, 45*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		for _, m := range nc.Status.Members {
			if m.Name != pod {
				continue
			}
			for i, want := range codes {
				if len(m.Diagnosis) <= i || m.Diagnosis[i].Code != want {
					return fmt.Errorf("%s findings %+v, want %s at %d", pod, m.Diagnosis, want, i)
				}
			}
			return nil
		}
		return fmt.Errorf("no member %s", pod)
	})
}

func addressOf(ns string, i int) string {
	return fmt.Sprintf("nacos-%d.nacos-headless.%s.svc.cluster.local:8848", i, ns)
}

func TestDiagnosisOfUnhealthyMembers(t *testing.T) {
	cases := []struct {
		name      string
		spec      string
		inject    func(t *testing.T, ns string, key types.NamespacedName)
		pod, code string
		text      string
		alsoCodes []string
	}{
		{name: "still initializing", pod: "nacos-1", code: nacosv1alpha1.DiagStillInitializing, text: "is loading Distro data from its peers",
			alsoCodes: []string{nacosv1alpha1.DiagResourceStarved}, // the sample-less spec sets no CPU request
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, nil)
			}},
		{name: "cold start", pod: "nacos-2", code: nacosv1alpha1.DiagColdStart, text: "every member is initializing at once",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				for i := 0; i < 3; i++ {
					restartWith(t, ns, fmt.Sprintf("nacos-%d", i), sim.Faults{DistroStuck: true}, nil)
				}
			}},
		{name: "lone member", pod: "nacos-1", code: nacosv1alpha1.DiagLoneMember, text: "lists only itself, so Nacos waits for a server list forever",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				kubelet.StopWriter(ns, "nacos-1")
				// Its data is gone too: with its old Raft peers persisted, an embedded-storage
				// member never opens its port (no nacos_config leader), as a real one does not.
				restartWith(t, ns, "nacos-1", sim.Faults{}, func(m *sim.Member) {
					writeConf(t, m, m.Address())
					if err := os.RemoveAll(filepath.Join(m.Home(), "data")); err != nil {
						t.Fatal(err)
					}
				})
			}},
		{name: "stale cluster.conf never reloaded", pod: "nacos-1", code: nacosv1alpha1.DiagMissingPeers, text: "nacos-1 does not list nacos-2",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				kubelet.StopWriter(ns, "nacos-1")
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, func(m *sim.Member) { writeConf(t, m, addressOf(ns, 0), addressOf(ns, 1)) })
			}},
		{name: "extra member in the file", pod: "nacos-1", code: nacosv1alpha1.DiagExtraPeers, text: "which are not members",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				kubelet.StopWriter(ns, "nacos-1")
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, func(m *sim.Member) {
					writeConf(t, m, addressOf(ns, 0), addressOf(ns, 1), addressOf(ns, 2), addressOf(ns, 7))
				})
			}},
		{name: "phantom self (IP instead of FQDN)", pod: "nacos-1", code: nacosv1alpha1.DiagPhantomSelf, text: "lists itself as 127.77.",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				kubelet.StopWriter(ns, "nacos-1")
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, func(m *sim.Member) {
					writeConf(t, m, addressOf(ns, 0), kubelet.Resolve(m.Address()), addressOf(ns, 2))
				})
			}},
		// The pod's own dials come first (after two checks over 15 s); what the member's view
		// and the policy say follow as the explanation.
		{name: "peers unreachable and a NetworkPolicy without the peer ports", pod: "nacos-1", code: nacosv1alpha1.DiagPodCannotReachPeer,
			text:      "nacos-1 cannot reach nacos-0:9849 (timed out,",
			alsoCodes: []string{nacosv1alpha1.DiagPeersUnreachable, nacosv1alpha1.DiagNetworkPolicyBlocks, nacosv1alpha1.DiagNetworkPolicyBlocks},
			inject: func(t *testing.T, ns string, key types.NamespacedName) {
				port := intstr.FromInt32(8848)
				np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "http-only"},
					Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{nacosv1alpha1.LabelName: "nacos"}},
						PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
						Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}}}}
				if err := env.Client.Create(context.Background(), np); err != nil {
					t.Fatal(err)
				}
				restartWith(t, ns, "nacos-1", sim.Faults{PeerPartition: true}, nil)
			}},
		{name: "headless Service without publishNotReadyAddresses", pod: "nacos-1", code: nacosv1alpha1.DiagPeerDNS, text: "does not publish not-ready addresses",
			inject: func(t *testing.T, ns string, key types.NamespacedName) {
				// Paused, or the operator would put the Service right at once.
				ctx := context.Background()
				patch := `{"metadata":{"annotations":{"nacos.io/paused":"true"}}}`
				if err := env.Client.Patch(ctx, newCluster(t, ns, key.Name, `{}`), rawPatch(types.MergePatchType, patch)); err != nil {
					t.Fatal(err)
				}
				waitForStatus(t, key, func(nc *nacosv1alpha1.NacosCluster) error {
					return conditionIs(nc, nacosv1alpha1.ConditionPaused, metav1.ConditionTrue)
				})
				svc := &corev1.Service{}
				if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nacos-headless"}, svc); err != nil {
					t.Fatal(err)
				}
				svc.Spec.PublishNotReadyAddresses = false
				if err := env.Client.Update(ctx, svc); err != nil {
					t.Fatal(err)
				}
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, nil)
			}},
		{name: "no Raft leader, in Nacos's words", spec: `config: {properties: {nacos.core.protocol.raft.strictMode: "true"}}`, pod: "nacos-1",
			code: nacosv1alpha1.DiagNoRaftLeader, text: "nacos-1: No leader for raft, please see logs",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				simMember(t, ns, "nacos-1").SetFaults(sim.Faults{NoRaftLeader: true})
			}},
		{name: "stale Raft peer", pod: "nacos-1", code: nacosv1alpha1.DiagStaleRaftPeers, text: "still lists 10.9.9.9:7848",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, func(m *sim.Member) { addStaleRaftPeer(t, m.Home(), "10.9.9.9:7848") })
			}},
		{name: "OOMKilled", pod: "nacos-1", code: nacosv1alpha1.DiagOOMKilled, text: "raise pod.resources.limits.memory",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, nil)
				setLastTermination(t, ns, "nacos-1", "OOMKilled")
			}},
		{name: "crash looping", pod: "nacos-1", code: nacosv1alpha1.DiagCrashLooping, text: "keeps restarting (4 restarts, last: Error)",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, nil)
				setLastTermination(t, ns, "nacos-1", "Error")
			}},
		{name: "unreachable", pod: "nacos-2", code: nacosv1alpha1.DiagUnreachable, text: "cannot reach nacos-2's Nacos API",
			inject: func(t *testing.T, ns string, _ types.NamespacedName) {
				simMember(t, ns, "nacos-2").SetFaults(sim.Faults{Hang: true})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			startOperator(t)
			ns := namespace(t)
			key := sizedCluster(t, ns, 3, tc.spec)
			nc := &nacosv1alpha1.NacosCluster{}
			if err := env.Client.Get(context.Background(), key, nc); err != nil {
				t.Fatal(err)
			}
			for _, m := range nc.Status.Members {
				if len(m.Diagnosis) > 0 {
					t.Fatalf("a healthy cluster shows a diagnosis: %+v", m)
				}
			}
			tc.inject(t, ns, key)
			nc = diagnosed(t, key, tc.pod, tc.code, tc.text)
			if len(tc.alsoCodes) > 0 {
				// Findings accrue: what the member's view says of a peer waits out the
				// peer's own start (peerReportGrace).
				nc = findingsAre(t, key, tc.pod, append([]string{tc.code}, tc.alsoCodes...))
			}
			// A finding every member shares (a cold start) is named once in the condition.
			if c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionDistroInitialized); c != nil {
				if _, cause, ok := strings.Cut(c.Message, "Likely cause: "); ok && strings.Count(cause, tc.text) > 1 {
					t.Errorf("the likely cause repeats %q: %s", tc.text, c.Message)
				}
			}
			if tc.code == nacosv1alpha1.DiagStillInitializing || tc.code == nacosv1alpha1.DiagColdStart {
				return
			}
			events := &eventsv1.EventList{}
			if err := env.Client.List(context.Background(), events, client.InNamespace(ns)); err != nil {
				t.Fatal(err)
			}
			for _, e := range events.Items {
				if e.Type == corev1.EventTypeWarning && e.Reason == tc.code && strings.Contains(e.Note, tc.text) {
					return
				}
			}
			t.Fatalf("no Warning Event %s", tc.code)
		})
	}
}

func TestDescribeShowsTheRankedDiagnosis(t *testing.T) {
	var counting *countingClient
	reconciles := startOperatorWith(t, func(c client.Client) client.Client {
		counting = &countingClient{Client: c}
		return counting
	})
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	restartWith(t, ns, "nacos-1", sim.Faults{PeerPartition: true}, nil)
	diagnosed(t, key, "nacos-1", nacosv1alpha1.DiagPodCannotReachPeer, "from inside its pod")
	findingsAre(t, key, "nacos-1", []string{nacosv1alpha1.DiagPodCannotReachPeer, nacosv1alpha1.DiagPeersUnreachable})
	// Diagnosing writes nothing to workloads.
	workload := counting.workload.Load()
	reconciles.waitReconciles(t, 5)
	if got := counting.workload.Load() - workload; got != 0 {
		t.Fatalf("%d workload writes while diagnosing", got)
	}
	out := strings.Join(strings.Fields(kubectl(t, "describe", "nacoscluster", "-n", ns, "nacos")), " ")
	for _, want := range []string{"Diagnosis: Code: PodCannotReachPeer", "Code: PeersUnreachable", "Likely cause: nacos-1 cannot reach nacos-",
		"Evidence:", "Peer: nacos-0 Port: 9849 Result: timed out"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl describe lacks %q", want)
		}
	}
}

// addStaleRaftPeer adds a peer to every Raft group the simulated member persisted.
func addStaleRaftPeer(t *testing.T, home, peer string) {
	t.Helper()
	path := filepath.Join(home, "data", "protocol", "raft", "sim-peers.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]map[string]any{}
	if err := json.Unmarshal(data, &groups); err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		g["peers"] = append(g["peers"].([]any), peer)
	}
	out, _ := json.Marshal(groups)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setLastTermination records a container termination through the fake kubelet, as the
// container runtime reports it, once the pod is not Ready.
func setLastTermination(t *testing.T, ns, pod, reason string) {
	t.Helper()
	ctx := context.Background()
	err := pollUntil(10*time.Second, func() error {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: pod}, p); err != nil {
			return err
		}
		if podReady(p) {
			return fmt.Errorf("%s still Ready", pod)
		}
		return kubelet.Terminated(ns, pod, reason, 4)
	})
	if err != nil {
		t.Fatal(err)
	}
}

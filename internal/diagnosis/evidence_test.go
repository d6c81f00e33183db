package diagnosis

import (
	"strings"
	"testing"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
)

const peer0 = "n-0.h.ns.svc.cluster.local"

// seedCase: n-2 restarted 40 s ago behind a DROP of 9849; its sidecar timed out on n-0:9849
// four times in a row, and its log names n-0 in five failed Distro loads.
func seedCase() Input {
	in := cluster()
	sick(&in, 2)
	in.Members[2].StartedAt = t0.Add(-40 * time.Second)
	in.Members[2].Evidence = &podagent.Report{PeerChecks: true, Logs: true,
		Peers: []peercheck.Check{
			{Peer: peer0, Port: 9849, Result: peercheck.TimedOut, Count: 4, Since: t0.Add(-35 * time.Second)},
			{Peer: peer0, Port: 8848, Result: peercheck.OK, Count: 4, Since: t0.Add(-35 * time.Second)},
		},
		LogEntries: []memberlog.Entry{
			{Code: memberlog.CodeDistroLoadFailed, File: "protocol-distro.log", Peer: peer0 + ":8848", Count: 5,
				Message: "[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from " + peer0 + ":8848 failed", First: t0.Add(-30 * time.Second), Last: t0.Add(-2 * time.Second)},
			// Logged by the previous container: not this one's.
			{Code: memberlog.CodeRaftNoLeader, File: "protocol-raft.log", Group: "nacos_config", Count: 9, Message: "Fail to refresh leader for group nacos_config",
				First: t0.Add(-time.Hour), Last: t0.Add(-50 * time.Second)},
		}}
	return in
}

func TestEvidenceComesFirst(t *testing.T) {
	got := Diagnose(seedCase())["n-2"]
	if len(got) < 1 || got[0].Code != nacosv1alpha1.DiagPodCannotReachPeer {
		t.Fatalf("findings %+v: want %s first", got, nacosv1alpha1.DiagPodCannotReachPeer)
	}
	for _, want := range []string{"n-2 cannot reach n-0:9849 (timed out, 4 checks in a row since 11:59:25)", "its log agrees",
		"load snapshot Nacos:Naming:v2:ClientData from " + peer0 + ":8848 failed\" (5 times since 11:59:30, protocol-distro.log)"} {
		if !strings.Contains(got[0].Message, want) {
			t.Errorf("first finding %q lacks %q", got[0].Message, want)
		}
	}
	if strings.Contains(got[0].Message, "nacos_config") {
		t.Errorf("a line of the previous container is quoted: %q", got[0].Message)
	}
	// The inference (PeersUnreachable, NetworkPolicies) still follows as the why.
	in := seedCase()
	in.Policies = []Policy{{Name: "http-only", Ports: []int32{8848}}}
	got = Diagnose(in)["n-2"]
	if got[0].Code != nacosv1alpha1.DiagPodCannotReachPeer || !hasCode(got, nacosv1alpha1.DiagNetworkPolicyBlocks) {
		t.Fatalf("with a policy: %+v", got)
	}
}

func hasCode(f []nacosv1alpha1.Finding, code string) bool {
	for _, x := range f {
		if x.Code == code {
			return true
		}
	}
	return false
}

func TestTransientDialsAreNotEvidence(t *testing.T) {
	for name, mutate := range map[string]func(in *Input){
		"one check":         func(in *Input) { in.Members[2].Evidence.Peers[0].Count = 1 },
		"younger than 15 s": func(in *Input) { in.Members[2].Evidence.Peers[0].Since = t0.Add(-10 * time.Second) },
		"peer restarting":   func(in *Input) { in.Members[0].Reachable = false },
	} {
		in := seedCase()
		mutate(&in)
		if got := Diagnose(in)["n-2"]; hasCode(got, nacosv1alpha1.DiagPodCannotReachPeer) {
			t.Errorf("%s: %+v", name, got)
		}
	}
}

// A healthy member that cannot resolve a peer is diagnosed: the next restart would need it.
func TestDNSFailureOnAHealthyMember(t *testing.T) {
	in := cluster()
	in.Members[1].Evidence = &podagent.Report{PeerChecks: true, Peers: []peercheck.Check{
		{Peer: peer0, Port: 8848, Result: peercheck.DNSFailure, Count: 3, Since: t0.Add(-time.Minute)}}}
	got := Diagnose(in)
	if len(got["n-1"]) != 1 || !strings.Contains(got["n-1"][0].Message, "n-1 cannot reach n-0 (DNS failure, 3 checks in a row since 11:59:00)") ||
		!strings.Contains(got["n-1"][0].Message, "cluster DNS") {
		t.Fatalf("n-1: %+v", got["n-1"])
	}
	if len(got) != 1 {
		t.Fatalf("only n-1 has a finding, got %v", got)
	}
	ev := Evidence(in, in.Members[1])
	if ev == nil || len(ev.Unreachable) != 1 || ev.Unreachable[0].Peer != "n-0" || ev.Unreachable[0].Result != "DNS failure" || len(ev.Logs) != 0 {
		t.Fatalf("status evidence %+v", ev)
	}
	if ev := Evidence(in, in.Members[0]); ev != nil {
		t.Fatalf("a healthy member with every dial ok has evidence in status: %+v", ev)
	}
}

// Raft port dropped with embedded storage: the member never opens 8848; its sidecar still
// says it is starting and which Raft peers it cannot reach.
func TestStartingMemberBehindRaftDrop(t *testing.T) {
	in := cluster()
	withConfigGroup(&in)
	m := &in.Members[2]
	m.Reachable, m.Ready, m.NamingUP, m.Starting, m.Err = false, false, false, true, "readiness: Unreachable: connection refused"
	m.StartedAt = t0.Add(-90 * time.Second)
	m.Evidence = &podagent.Report{PeerChecks: true, Logs: true, Phase: memberlog.Phase{Starting: true, Since: t0.Add(-80 * time.Second), Last: t0},
		Peers: []peercheck.Check{{Peer: peer0, Port: 7848, Result: peercheck.TimedOut, Count: 8, Since: t0.Add(-85 * time.Second)},
			{Peer: "n-1.h.ns.svc.cluster.local", Port: 7848, Result: peercheck.TimedOut, Count: 8, Since: t0.Add(-85 * time.Second)}}}
	got := Diagnose(in)["n-2"]
	if len(got) < 2 || got[0].Code != nacosv1alpha1.DiagPodCannotReachPeer || !strings.Contains(got[0].Message, "n-0:7848 (timed out") ||
		!strings.Contains(got[0].Message, "n-1:7848 (timed out") {
		t.Fatalf("findings %+v: want the Raft dials first", got)
	}
	if !hasCode(got, nacosv1alpha1.DiagStarting) && !hasCode(got, nacosv1alpha1.DiagStartupStalled) {
		t.Fatalf("findings %+v: the start phase is missing", got)
	}
	ev := Evidence(in, *m)
	if ev == nil || ev.StartingSince == nil || !ev.StartingSince.Time.Equal(t0.Add(-80*time.Second)) || len(ev.Unreachable) != 2 {
		t.Fatalf("status evidence %+v", ev)
	}
}

func TestLogSaysPastTheWindow(t *testing.T) {
	in := cluster()
	sick(&in, 1)
	in.Members[1].StartedAt = t0.Add(-time.Minute)
	in.Members[1].Evidence = &podagent.Report{Logs: true, LogEntries: []memberlog.Entry{
		{Code: memberlog.CodeRaftPeerNotFound, File: "alipay-jraft.log", Peer: "n-0.h.ns.svc.cluster.local:7848", Group: "naming_service_metadata", Count: 1,
			Message: "Peer id not found: n-0.h.ns.svc.cluster.local:7848, group: naming_service_metadata", First: t0.Add(-30 * time.Second), Last: t0.Add(-30 * time.Second)}}}
	if got := Diagnose(in)["n-1"]; hasCode(got, nacosv1alpha1.DiagMemberLogSays) {
		t.Fatalf("within the window (a restart's normal retries): %+v", got)
	}
	in.Members[1].StartedAt = t0.Add(-3 * time.Minute)
	got := Diagnose(in)["n-1"]
	if len(got) == 0 || got[0].Code != nacosv1alpha1.DiagMemberLogSays ||
		got[0].Message != `n-1 logs: "Peer id not found: n-0.h.ns.svc.cluster.local:7848, group: naming_service_metadata" (once at 11:59:30, alipay-jraft.log)` {
		t.Fatalf("past the window: %+v", got)
	}
}

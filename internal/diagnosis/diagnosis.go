// Package diagnosis runs, continuously, the checklist an expert runs by hand when a Nacos
// member says "Distro snapshot load failed" or "naming not in readiness": is the pod
// crash-looping or out of memory, is every member down at once, does the member's own list
// match the desired peers (missing, extra, a phantom self), can the members reach each other
// (peers SUSPICIOUS/DOWN that the operator reaches, NetworkPolicies without 9849/7848), can
// not-ready peers be resolved, does Raft have a leader and the right peers, or is Distro simply
// still loading. It is pure: observed facts in, findings ranked by likelihood out.
// docs/diagnosis.md gives every code with its remedy.
package diagnosis

import (
	"fmt"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/startup"
)

// Member is what diagnosis knows of one member.
type Member struct {
	Name, Address, PodIP string
	Exists, Reachable    bool
	Err                  string
	Ready, NamingUP      bool
	NamingMessage        string
	ReadyMessage         string    // Nacos's readiness text when not ready, e.g. "config not in readiness"
	ReadinessHangs       bool      // readiness timed out while its naming status answered (observe.Member)
	StartedAt            time.Time // the Nacos container's start
	Starting             bool      // the container has not passed its startup probe yet
	Nudges               int       // leadership transfers made for its start-up stall
	NudgedAt             time.Time // the last one
	RaftOpen             bool      // its Raft port took the operator's connection (nacos.Client.RaftPortOpen)
	RaftOpenSince        time.Time // since when, without a pass that found it closed
	Restarts             int       // pod deletions for a start-up deadlock (startup.Restart)
	RestartedAt          time.Time // the last one
	RestartCount         int32
	CrashLoop            bool
	LastTermination      string // reason of the last container termination, e.g. OOMKilled
	CPURequestMilli      int64  // the Nacos container's CPU request (0: none)
	MemoryLimit, Heap    int64  // bytes; 0 when unset
	View                 []nacos.Member
	// Evidence is the pod sidecar's report (nil: none); EvidenceErr why it could not be read.
	Evidence    *podagent.Report
	EvidenceErr string
}

// Policy is a NetworkPolicy that selects the member pods, reduced to what matters here.
type Policy struct {
	Name string
	// Ports the policy admits for ingress; nil means every port, empty means none.
	Ports []int32
}

// Input is one pass's facts.
type Input struct {
	Now        time.Time
	Standalone bool
	// Window is how long Distro initialization may take before it is a fault (Nacos retries
	// every 30 s by default, so a restart often needs one retry).
	Window time.Duration
	// StartupTimeout is the startup probe's budget (pod.startupTimeout).
	StartupTimeout time.Duration
	// StallAfter is how long a member may start before a missed nacos_config leader
	// announcement is assumed (startup.StallAfter when zero).
	StallAfter time.Duration
	Members    []Member
	Desired    []string
	// PublishNotReady is the headless Service's publishNotReadyAddresses.
	PublishNotReady bool
	// Endpoints are the pod names the headless Service's EndpointSlices list (nil: unknown).
	Endpoints map[string]bool
	Policies  []Policy
	// Database is the external MySQL server ("host:port"); empty with embedded storage.
	Database string
}

// Peer ports that members must reach on each other.
var peerPorts = []struct {
	port int32
	name string
}{{9849, "9849 (cluster gRPC: member reports and Distro)"}, {7848, "7848 (JRaft)"}}

// Diagnose returns, for every member that is not healthy, its likely causes, most likely first.
func Diagnose(in Input) map[string][]nacosv1alpha1.Finding {
	out := map[string][]nacosv1alpha1.Finding{}
	allDown := len(in.Members) > 1
	for _, m := range in.Members {
		if m.NamingUP {
			allDown = false
		}
	}
	for _, m := range in.Members {
		if !m.Exists {
			continue
		}
		if healthy(m) {
			// A healthy member is diagnosed only on evidence from its own pod: a peer port it
			// cannot reach breaks the next restart, not this one.
			if f := podDials(in, m, false); len(f) > 0 {
				out[m.Name] = f
			}
			continue
		}
		var f []nacosv1alpha1.Finding
		for _, check := range checks {
			f = append(f, check(in, m, allDown)...)
		}
		if len(f) == 0 {
			f = initializing(in, m)
		}
		// Resources are a contributing cause, ranked after what is observed directly.
		out[m.Name] = append(f, starved(in, m, allDown)...)
	}
	return out
}

type check func(in Input, m Member, allDown bool) []nacosv1alpha1.Finding

// checks run in order of likelihood; each returns zero or more findings.
var checks = []check{crashing, podDials, logSays, starting, unreachable, database, coldStart, loneMember, membership, peersUnreachable, networkPolicies, peerDNS, raft}

func finding(code, format string, args ...any) []nacosv1alpha1.Finding {
	return []nacosv1alpha1.Finding{{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func crashing(_ Input, m Member, _ bool) []nacosv1alpha1.Finding {
	switch {
	case m.LastTermination == "OOMKilled":
		return finding(nacosv1alpha1.DiagOOMKilled, "%s was OOMKilled (%d restarts): raise pod.resources.limits.memory or lower config.jvm.heap", m.Name, m.RestartCount)
	case m.CrashLoop || m.RestartCount >= 3:
		return finding(nacosv1alpha1.DiagCrashLooping, "%s keeps restarting (%d restarts, last: %s): read its logs (kubectl logs --previous)", m.Name, m.RestartCount, orUnknown(m.LastTermination))
	}
	return nil
}

// starting: a member whose port is not open yet and whose container has not passed its
// startup probe is starting, not broken. Real 2.x and 3.x members with embedded storage keep
// 8848 closed until the nacos_config Raft group has a leader (docs/real-nacos.md).
func starting(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if m.Reachable || !m.Starting {
		return nil
	}
	leader, isStalled := stalled(in, m)
	// Nudges older than the operator's last restart of the member are the replaced pod's,
	// seen while it terminates: that pod is no longer stalled but going.
	isStalled = isStalled && (m.Nudges == 0 || !m.RestartedAt.After(m.NudgedAt))
	if isStalled {
		f := stalledFinding(in, m, leader)
		f[0].Message += startingPhase(m)
		return f
	}
	since := m.StartedAt.UTC().Format(time.RFC3339)
	restarted := ""
	if m.Restarts > 0 {
		restarted = fmt.Sprintf("; the operator restarted it at %s to clear a start-up deadlock (%d of %d)", m.RestartedAt.UTC().Format(time.RFC3339), m.Restarts, startup.MaxRestarts)
	}
	return finding(nacosv1alpha1.DiagStarting, "%s is starting (container started at %s, startup probe not passed yet%s): Nacos opens port 8848 only when it is up, with embedded storage once the nacos_config Raft group has a leader, which needs a majority of members reachable on 7848; the kubelet restarts it only after pod.startupTimeout (%s)%s",
		m.Name, since, startingPhase(m), in.StartupTimeout, restarted)
}

// stalledFinding: a member stalled in start-up (package startup), by what was done for it:
// not nudged yet, nudged within the grace, deadlocked (its Raft port answers), or neither.
func stalledFinding(in Input, m Member, leader string) []nacosv1alpha1.Finding {
	since := m.StartedAt.UTC().Format(time.RFC3339)
	nudged := m.NudgedAt.UTC().Format(time.RFC3339)
	grace := startup.NudgeGrace(in.StallAfter)
	deadlockShown := m.RaftOpen && !m.RaftOpenSince.IsZero() && in.Now.Sub(m.RaftOpenSince) >= grace
	switch {
	case m.Nudges == 0:
		return finding(nacosv1alpha1.DiagStartupStalled, "%s has been starting since %s although Raft group %s elected %s and lists it: Nacos waits in start-up for a leader announcement it missed (it is sent once, when the leader changes); the operator moves the group's leadership to announce it again (Event %s)",
			m.Name, since, startup.ConfigGroup, leader, nacosv1alpha1.EventStartupNudged)
	case in.Now.Sub(m.NudgedAt) < grace || m.RaftOpen && !deadlockShown:
		return finding(nacosv1alpha1.DiagStartupStalled, "%s has been starting since %s although Raft group %s elected %s and lists it; the operator moved the group's leadership at %s (%d of %d) to announce a leader again, and the member should open its port within seconds",
			m.Name, since, startup.ConfigGroup, leader, nudged, m.Nudges, startup.MaxNudges)
	case deadlockShown:
		next := fmt.Sprintf("the operator deletes its pod (Event %s; %d of %d restarts so far)", nacosv1alpha1.EventStartupRestarted, m.Restarts, startup.MaxRestarts)
		if m.Restarts >= startup.MaxRestarts {
			next = fmt.Sprintf("the operator restarted it %d times, the last at %s, and leaves it to the kubelet, which restarts it after pod.startupTimeout (%s)", m.Restarts, m.RestartedAt.UTC().Format(time.RFC3339), in.StartupTimeout)
		}
		return finding(nacosv1alpha1.DiagStartupDeadlocked, "%s has kept port 8848 closed since %s, and a new %s leader announced at %s did not free it, while its Raft port 7848 accepts connections: Nacos is deadlocked in start-up (its config dump waits for a lock the starting main thread holds; measured on real 2.5.1), which only a restart clears: %s",
			m.Name, since, startup.ConfigGroup, nudged, next)
	case m.Nudges < startup.MaxNudges:
		return finding(nacosv1alpha1.DiagStartupStalled, "%s has been starting since %s although Raft group %s elected %s and lists it; the leadership the operator moved at %s (%d of %d) did not free it, and its Raft port 7848 does not accept the operator's connections either; a second move follows %s after the first",
			m.Name, since, startup.ConfigGroup, leader, nudged, m.Nudges, startup.MaxNudges, stallAfter(in))
	default:
		return finding(nacosv1alpha1.DiagStarting, "%s is starting (container started at %s, startup probe not passed yet), and %d new %s leaders, the last announced at %s, did not free it, so it is not waiting for a missed announcement; its Raft port 7848 does not accept the operator's connections either: check that its peers reach it on 7848 (Raft); the kubelet restarts it only after pod.startupTimeout (%s)",
			m.Name, since, m.Nudges, startup.ConfigGroup, nudged, in.StartupTimeout)
	}
}

// stallAfter is the stall time in force (startup.StallAfter unless the input sets one).
func stallAfter(in Input) time.Duration {
	if in.StallAfter > 0 {
		return in.StallAfter
	}
	return startup.StallAfter
}

func unreachable(_ Input, m Member, _ bool) []nacosv1alpha1.Finding {
	// No error: not probed (a terminating pod), which the conditions already say.
	if m.Reachable || m.ReadinessHangs || m.PodIP == "" || m.Starting || m.Err == "" {
		return nil
	}
	return finding(nacosv1alpha1.DiagUnreachable, "the operator cannot reach %s's Nacos API (%s): check the pod is running and port 8848 is open to the operator", m.Name, m.Err)
}

func coldStart(_ Input, m Member, allDown bool) []nacosv1alpha1.Finding {
	if !allDown {
		return nil
	}
	return finding(nacosv1alpha1.DiagColdStart, "every member is initializing at once: members load Distro data from each other, so wait until all are running; it completes within a retry (30 s by default)")
}

func loneMember(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if in.Standalone || len(m.View) != 1 || m.View[0].Address != m.Address {
		return nil
	}
	return finding(nacosv1alpha1.DiagLoneMember, "%s lists only itself, so Nacos waits for a server list forever: a cluster member needs its peers in cluster.conf (check the cluster-conf-writer container); a single member must run with mode: standalone", m.Name)
}

// starved: a JVM heap that fills the memory limit gets the member OOMKilled or stuck in GC;
// no CPU request leaves it starved on a busy node, so Distro loads time out.
func starved(_ Input, m Member, _ bool) []nacosv1alpha1.Finding {
	switch {
	case m.MemoryLimit > 0 && m.Heap*10 >= m.MemoryLimit*9:
		return finding(nacosv1alpha1.DiagResourceStarved, "%s's JVM heap (%d MiB) leaves no room below its memory limit (%d MiB): lower config.jvm.heap to about 75%% of the limit",
			m.Name, m.Heap>>20, m.MemoryLimit>>20)
	case m.CPURequestMilli == 0:
		return finding(nacosv1alpha1.DiagResourceStarved, "%s has no CPU request, so a busy node can starve it and Distro loads time out: set pod.resources.requests.cpu", m.Name)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// stalled is startup.Stalled on diagnosis facts; it returns the nacos_config leader.
func stalled(in Input, m Member) (string, bool) {
	members := make([]startup.Member, 0, len(in.Members))
	var self startup.Member
	for _, o := range in.Members {
		sm := startup.Member{Name: o.Name, RaftAddress: resource.RaftAddress(o.Address), SelfAddress: o.Address,
			Starting: o.Starting, StartedAt: o.StartedAt, Reachable: o.Reachable, View: o.View}
		if o.Name == m.Name {
			self = sm
		}
		members = append(members, sm)
	}
	leader, found := startup.ConfigLeader(members)
	return leader.Leader, startup.Stalled(in.Now, in.StallAfter, self, leader, found)
}

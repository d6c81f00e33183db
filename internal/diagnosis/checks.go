package diagnosis

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// membership compares the member's own list with the desired set.
func membership(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if in.Standalone || len(m.View) <= 1 {
		return nil
	}
	var f []nacosv1alpha1.Finding
	listed := map[string]bool{}
	var phantom, extra []string
	for _, v := range m.View {
		listed[v.Address] = true
		switch {
		case slices.Contains(in.Desired, v.Address):
		case isSelfInAnotherForm(v.Address, m):
			phantom = append(phantom, v.Address)
		default:
			extra = append(extra, v.Address)
		}
	}
	var missing []string
	for _, a := range in.Desired {
		if !listed[a] {
			missing = append(missing, resource.PodName(a))
		}
	}
	if len(phantom) > 0 {
		f = append(f, finding(nacosv1alpha1.DiagPhantomSelf, "%s lists itself as %s besides %s: Nacos matches self by exact string, so cluster.conf must use the pod FQDN and PREFER_HOST_MODE=hostname", m.Name, strings.Join(phantom, ", "), m.Address)...)
	}
	if len(missing) > 0 {
		f = append(f, finding(nacosv1alpha1.DiagMissingPeers, "%s does not list %s: its cluster.conf is stale (never reloaded); check the cluster-conf-writer container", m.Name, strings.Join(missing, ", "))...)
	}
	if len(extra) > 0 {
		f = append(f, finding(nacosv1alpha1.DiagExtraPeers, "%s lists %s, which are not members: a removed member or a stale cluster.conf; the operator rewrites it", m.Name, strings.Join(extra, ", "))...)
	}
	return f
}

func isSelfInAnotherForm(address string, m Member) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	return host == m.PodIP || host == m.Name || strings.HasPrefix(host, m.Name+".") && address != m.Address
}

// peerReportGrace: a peer started this recently may still be listed DOWN from the reports
// that failed before its port opened; Nacos reports to one peer every 2 s, so a view catches
// up within seconds. Seen in the demo's cold start: "nacos-1 sees nacos-2 DOWN" one second in.
const peerReportGrace = 30 * time.Second

// peersUnreachable: the member sees peers SUSPICIOUS or DOWN that the operator reaches.
func peersUnreachable(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	reachable := map[string]bool{}
	for _, o := range in.Members {
		reachable[o.Address] = o.Reachable && (o.StartedAt.IsZero() || in.Now.Sub(o.StartedAt) >= peerReportGrace)
	}
	var seen []string
	for _, v := range m.View {
		if v.Address != m.Address && v.State != "UP" && reachable[v.Address] {
			seen = append(seen, resource.PodName(v.Address)+" "+string(v.State))
		}
	}
	if len(seen) == 0 {
		return nil
	}
	return finding(nacosv1alpha1.DiagPeersUnreachable, "%s sees %s while the operator reaches them: the members cannot reach each other on 9849 and 7848; check NetworkPolicies and firewalls between pods", m.Name, strings.Join(seen, ", "))
}

// networkPolicies names every policy selecting the members that does not admit a peer port.
func networkPolicies(in Input, _ Member, _ bool) []nacosv1alpha1.Finding {
	var f []nacosv1alpha1.Finding
	for _, p := range in.Policies {
		for _, port := range peerPorts {
			if p.Ports != nil && !slices.Contains(p.Ports, port.port) {
				f = append(f, finding(nacosv1alpha1.DiagNetworkPolicyBlocks, "NetworkPolicy %s selects the Nacos pods and does not allow port %s between members: add it to the policy's ingress", p.Name, port.name)...)
			}
		}
	}
	return f
}

// peerDNS: not-ready peers must resolve, or a restarted member cannot find anyone.
func peerDNS(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if in.Standalone {
		return nil
	}
	if !in.PublishNotReady {
		return finding(nacosv1alpha1.DiagPeerDNS, "the headless Service does not publish not-ready addresses, so peers that are not ready yet cannot be resolved: set publishNotReadyAddresses: true (the operator does)")
	}
	if in.Endpoints == nil {
		return nil
	}
	var lacking []string
	for _, a := range in.Desired {
		if name := resource.PodName(a); !in.Endpoints[name] && name != m.Name {
			lacking = append(lacking, name)
		}
	}
	if len(lacking) == 0 {
		return nil
	}
	return finding(nacosv1alpha1.DiagPeerDNS, "the headless Service's EndpointSlices lack %s, so %s cannot resolve them: check the pods exist and the EndpointSlice controller runs", strings.Join(lacking, ", "), m.Name)
}

// raft reports groups without a leader and peers that are not desired members.
func raft(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if in.Standalone {
		return nil
	}
	var f []nacosv1alpha1.Finding
	if strings.HasPrefix(m.NamingMessage, "No leader for raft") {
		f = append(f, finding(nacosv1alpha1.DiagNoRaftLeader, "%s: %s", m.Name, m.NamingMessage)...)
	}
	want := map[string]bool{}
	for _, a := range in.Desired {
		want[resource.RaftAddress(a)] = true
	}
	for _, v := range m.View {
		if v.Address != m.Address {
			continue
		}
		for _, g := range sortedGroups(v) {
			var stale []string
			for _, p := range v.Raft[g].Members {
				if !want[p] {
					stale = append(stale, p)
				}
			}
			if len(stale) > 0 {
				f = append(f, finding(nacosv1alpha1.DiagStaleRaftPeers, "Raft group %s on %s still lists %s (a member that moved or left): remove them with the raft ops API (command removePeers) on the leader",
					g, m.Name, strings.Join(stale, ", "))...)
			}
		}
	}
	return f
}

// initializing: no fault found; within the window Distro is still loading, past it the cause
// is not visible from outside.
func initializing(in Input, m Member) []nacosv1alpha1.Finding {
	// Messages carry the start time, not an age, so they do not change every pass.
	if m.StartedAt.IsZero() {
		return finding(nacosv1alpha1.DiagStillInitializing, "%s has not started yet (no start time on its pod)"+waitAdvice, m.Name)
	}
	started := m.StartedAt.UTC().Format(time.RFC3339)
	if in.Now.Sub(m.StartedAt) <= in.Window {
		return finding(nacosv1alpha1.DiagStillInitializing, "%s started at %s and is loading Distro data from its peers (Nacos retries every 30 s)"+waitAdvice, m.Name, started)
	}
	return finding(nacosv1alpha1.DiagStillInitializing, "%s has not initialized Distro more than %s after its start at %s, with no visible cause: read logs/protocol-distro.log and naming-distro.log in its pod", m.Name, in.Window, started)
}

// waitAdvice ends the findings that describe a normal wait rather than a fault.
const waitAdvice = ": wait"

// Waiting tells a finding that describes a normal wait, which every restart has: a member
// loading Distro within the window, a cold start, a member starting that no nudge has failed
// to free (nudges: the transfers made for it). Status shows those; an Event each time would be
// noise. Past the window, or after a nudge that did not help, the finding is a fault.
func Waiting(f nacosv1alpha1.Finding, nudges int) bool {
	switch f.Code {
	case nacosv1alpha1.DiagStillInitializing:
		return strings.HasSuffix(f.Message, waitAdvice)
	case nacosv1alpha1.DiagColdStart:
		return true
	case nacosv1alpha1.DiagStarting:
		return nudges == 0
	}
	return false
}

// database: with external MySQL, the config module's readiness is a count of config_info.
// With the database down, real 2.4.3 members let that query outlast the operator's 7 s
// readiness timeout while answering everything else (MariaDB stopped, docs/real-nacos.md);
// a database that refuses answers "config not in readiness". With embedded storage the same
// words mean a nacos_config Raft problem, which raft() finds.
func database(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if in.Database == "" || m.Ready {
		return nil
	}
	var said string
	switch {
	case m.ReadinessHangs:
		said = "its readiness check (which queries the database) does not answer within the operator's timeout, while its naming status does"
	case m.Reachable && strings.Contains(m.ReadyMessage, "config not in readiness"):
		said = fmt.Sprintf("it says %q", m.ReadyMessage)
	default:
		return nil
	}
	logged := "read the member's config-fatal.log or nacos.log for the database error"
	if lines := ownLogLines(m); len(lines) > 0 {
		var db []memberlog.Entry
		for _, e := range lines {
			if e.Code == memberlog.CodeDatasource {
				db = append(db, e)
			}
		}
		if len(db) > 0 {
			logged = "its log says " + describeLines(db)
		}
	}
	return finding(nacosv1alpha1.DiagDatabaseUnreachable, "%s: %s: with external MySQL, Nacos's config module is ready only while the database answers; check that MySQL at %s is up, reachable from the pods, and accepts the credentials of storage.mysql.credentialsSecretRef; %s",
		m.Name, said, in.Database, logged)
}

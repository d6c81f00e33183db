package diagnosis

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// A dial failure counts as evidence once it has lasted: a peer that just restarted, or a
// DNS record a few seconds behind its pod, fails a check or two on a healthy cluster.
const (
	dialMinChecks = 2
	dialMinAge    = 15 * time.Second
)

// maxLogLines is how many known log lines a finding and the status quote per member.
const maxLogLines = 3

// logClockSkew: lines stamped this long before the container's start may still be its own
// (the log's clock and the kubelet's are read separately).
const logClockSkew = 2 * time.Second

// failingDials are the member's persistent failed dials to peers whose failure is news: the
// operator reaches the peer (its API answers, or, for the Raft port of a peer still
// starting, its Raft port), or the peer's name does not resolve although its pod has an IP.
func failingDials(in Input, m Member) []peercheck.Check {
	if m.Evidence == nil {
		return nil
	}
	byHost := map[string]Member{}
	for _, o := range in.Members {
		host, _, _ := strings.Cut(o.Address, ":")
		byHost[host] = o
	}
	var out []peercheck.Check
	for _, c := range m.Evidence.Peers {
		peer, known := byHost[c.Peer]
		if c.Result == peercheck.OK || !known || c.Count < dialMinChecks || in.Now.Sub(c.Since) < dialMinAge {
			continue
		}
		news := peer.Reachable || (c.Port == resource.PortRaft && peer.RaftOpen)
		if c.Result == peercheck.DNSFailure {
			news = peer.Exists && peer.PodIP != ""
		}
		if news {
			out = append(out, c)
		}
	}
	return out
}

// podDials: the member's own pod cannot reach a peer port that should answer. While the
// member is not healthy, the lines of its own log that name those peers are quoted too.
func podDials(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	dials := failingDials(in, m)
	if len(dials) == 0 {
		return nil
	}
	parts := describeDials(dials)
	why := "a firewall, a NetworkPolicy or a CNI problem between the pods"
	if slices.ContainsFunc(dials, func(d peercheck.Check) bool { return d.Result == peercheck.DNSFailure }) {
		why = "a DNS failure means the headless Service's records do not reach this pod: check the cluster DNS and the Service's publishNotReadyAddresses"
	}
	logged := ""
	if !healthy(m) {
		if lines := linesNaming(ownLogLines(m, memberlog.CodeStarting), dials, true); len(lines) > 0 {
			logged = "; its log agrees: " + describeLines(lines)
		}
	}
	return finding(nacosv1alpha1.DiagPodCannotReachPeer, "%s cannot reach %s from inside its pod, while the operator reaches those peers: %s%s", m.Name, strings.Join(parts, ", "), why, logged)
}

// describeDials says each peer's failed ports once per result, oldest failure first:
// "nacos-0:7848/9849 (timed out, 12 checks in a row since 02:07:34)"; a name that does not
// resolve fails on every port alike, so it is said without ports.
func describeDials(dials []peercheck.Check) []string {
	type group struct {
		peer   string
		result peercheck.Result
		ports  []string
		count  int
		since  time.Time
	}
	var groups []*group
	for _, d := range dials {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.peer == d.Peer && g.result == d.Result })
		if i < 0 {
			groups = append(groups, &group{peer: d.Peer, result: d.Result, count: d.Count, since: d.Since})
			i = len(groups) - 1
		}
		g := groups[i]
		g.ports = append(g.ports, strconv.Itoa(d.Port))
		g.count = min(g.count, d.Count)
		if d.Since.Before(g.since) {
			g.since = d.Since
		}
	}
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.ports)
		name := resource.PodName(g.peer) + ":" + strings.Join(g.ports, "/")
		if g.result == peercheck.DNSFailure {
			name = resource.PodName(g.peer)
		}
		out = append(out, fmt.Sprintf("%s (%s, %d checks in a row since %s)", name, g.result, g.count, clock(g.since)))
	}
	return out
}

// linesNaming keeps the lines that name one of the dials' peers (naming true) or the others.
func linesNaming(lines []memberlog.Entry, dials []peercheck.Check, naming bool) []memberlog.Entry {
	var out []memberlog.Entry
	for _, e := range lines {
		host, _, _ := strings.Cut(e.Peer, ":")
		named := host != "" && slices.ContainsFunc(dials, func(d peercheck.Check) bool { return d.Peer == host })
		if named == naming {
			out = append(out, e)
		}
	}
	return out
}

// ownLogLines are the known fault lines the member logged since its container started,
// newest first, at most maxLogLines; codes in skip are left to another check.
func ownLogLines(m Member, skip ...string) []memberlog.Entry {
	if m.Evidence == nil {
		return nil
	}
	var out []memberlog.Entry
	for _, e := range m.Evidence.LogEntries {
		if slices.Contains(skip, e.Code) || (!m.StartedAt.IsZero() && e.Last.Before(m.StartedAt.Add(-logClockSkew))) {
			continue
		}
		out = append(out, e)
		if len(out) == maxLogLines {
			break
		}
	}
	return out
}

func describeLines(lines []memberlog.Entry) string {
	var parts []string
	for _, e := range lines {
		times := "once at " + clock(e.Last)
		if e.Count > 1 {
			times = fmt.Sprintf("%d times since %s", e.Count, clock(e.First))
		}
		parts = append(parts, fmt.Sprintf("%q (%s, %s)", e.Message, times, e.File))
	}
	return strings.Join(parts, "; ")
}

// logSays quotes the member's own log when it names a cause, once the member has been
// starting or initializing longer than the window: within it, a Distro load or a Raft join
// that failed while a peer restarted is normal and retried, and every restart logs some.
// Lines naming a peer podDials reports are quoted there.
func logSays(in Input, m Member, _ bool) []nacosv1alpha1.Finding {
	if m.StartedAt.IsZero() || in.Now.Sub(m.StartedAt) <= in.Window {
		return nil
	}
	skip := []string{memberlog.CodeStarting}
	if in.Database != "" {
		skip = append(skip, memberlog.CodeDatasource) // database() quotes them
	}
	lines := linesNaming(ownLogLines(m, skip...), failingDials(in, m), false)
	if len(lines) == 0 {
		return nil
	}
	return finding(nacosv1alpha1.DiagMemberLogSays, "%s logs: %s", m.Name, describeLines(lines))
}

// startingPhase is what the member's log says of its start, for the Starting findings.
func startingPhase(m Member) string {
	if m.Evidence == nil || !m.Evidence.Phase.Starting {
		return ""
	}
	return fmt.Sprintf("; its nacos.log says \"Nacos is starting...\" every second since %s", clock(m.Evidence.Phase.Since))
}

// clock renders a time of day in UTC, as findings quote log lines.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

// Evidence is the part of a member's sidecar report kept in its status: the failing dials
// that count as evidence, the newest known lines while it is not healthy, its start phase.
func Evidence(in Input, m Member) *nacosv1alpha1.MemberEvidence {
	out := &nacosv1alpha1.MemberEvidence{Error: m.EvidenceErr}
	for _, d := range failingDials(in, m) {
		out.Unreachable = append(out.Unreachable, nacosv1alpha1.PeerDial{Peer: resource.PodName(d.Peer), Port: int32(d.Port), Result: string(d.Result), Since: metav1.NewTime(d.Since)})
	}
	if !healthy(m) {
		for _, e := range ownLogLines(m, memberlog.CodeStarting) {
			out.Logs = append(out.Logs, nacosv1alpha1.LogEvidence{Code: e.Code, File: e.File, Message: e.Message, Count: int32(e.Count),
				First: metav1.NewTime(e.First), Last: metav1.NewTime(e.Last)})
		}
		if m.Evidence != nil && m.Evidence.Phase.Starting {
			since := metav1.NewTime(m.Evidence.Phase.Since)
			out.StartingSince = &since
		}
	}
	if out.Error == "" && len(out.Unreachable) == 0 && len(out.Logs) == 0 && out.StartingSince == nil {
		return nil
	}
	return out
}

func healthy(m Member) bool { return m.Reachable && m.Ready && m.NamingUP }

// Healthy says whether the member answers, is ready and has Distro initialized: such a
// member is diagnosed only on its pod's own evidence.
func Healthy(m Member) bool { return healthy(m) }

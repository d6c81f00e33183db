// Package memberlog reads a Nacos member's own log files (on the pod's logs volume) for the
// few lines that name the cause of a fault: a Distro snapshot load that failed and the peer
// it was loaded from, a peer whose cluster gRPC port failed its check, Raft peers that are
// unknown or leaderless, the "Nacos is starting..." phase, datasource failures and
// OutOfMemoryError. Each known line is reduced to a code and a few fields that match strict
// character classes (host names, ports, group names), so nothing of unknown shape (a JDBC
// URL, a user name, a request body) ever leaves the pod. docs/diagnosis.md lists them.
package memberlog

import (
	"regexp"
	"slices"
	"strings"
)

// Codes of the known lines.
const (
	CodeDistroLoadFailed = "DistroLoadFailed" // protocol-distro.log
	CodePeerCheckFailed  = "PeerCheckFailed"  // nacos.log: a peer's cluster gRPC port failed its check
	CodeReportUnhealthy  = "ReportUnhealthy"  // nacos-cluster.log: member reports go to a peer it sees down
	CodeRaftPeerNotFound = "RaftPeerNotFound" // alipay-jraft.log: a Raft peer does not know this member
	CodeRaftJoinFailed   = "RaftJoinFailed"   // protocol-raft.log
	CodeRaftNoLeader     = "RaftNoLeader"     // protocol-raft.log, nacos.log (3.x)
	CodeDatasource       = "DatasourceFailed" // nacos.log, config-fatal.log
	CodeOutOfMemory      = "OutOfMemory"      // any file
	CodeStarting         = "Starting"         // nacos.log, every second until the member is up
)

// Fields a pattern may capture; each is matched by a strict class in its expression.
const (
	FieldPeer     = "peer"     // host:port or host
	FieldPort     = "port"     // a port number
	FieldGroup    = "group"    // a Raft group
	FieldResource = "resource" // a Distro data type, e.g. Nacos:Naming:v2:ClientData
	FieldCause    = "cause"    // one of a fixed set of words the expression lists
)

// Pattern is one known line.
type Pattern struct {
	Code string
	// Files the line appears in (base names); empty: every followed file.
	Files []string
	re    *regexp.Regexp
	// render says what the line says, in Nacos's words, from the captured fields only.
	render func(f map[string]string) string
}

const (
	host  = `[A-Za-z0-9][A-Za-z0-9.-]{0,252}`
	port  = `[0-9]{1,5}`
	group = `[A-Za-z0-9_-]{1,64}`
)

// Patterns are matched in order; the first match wins.
var Patterns = []Pattern{
	{Code: CodeDistroLoadFailed, Files: []string{"protocol-distro.log"},
		re: regexp.MustCompile(`\[DISTRO-INIT\] load snapshot (?P<resource>[A-Za-z0-9:._-]{1,64}) from (?P<peer>` + host + `:` + port + `) failed`),
		render: func(f map[string]string) string {
			return "[DISTRO-INIT] load snapshot " + f[FieldResource] + " from " + f[FieldPeer] + " failed"
		}},
	{Code: CodePeerCheckFailed, Files: []string{"nacos.log"},
		re: regexp.MustCompile(`Server check fail, please check server (?P<peer>` + host + `) ?, ?port (?P<port>` + port + `) is available`),
		render: func(f map[string]string) string {
			return "Server check fail, please check server " + f[FieldPeer] + ", port " + f[FieldPort] + " is available"
		}},
	{Code: CodeReportUnhealthy, Files: []string{"nacos-cluster.log"},
		re:     regexp.MustCompile(`report the metadata to the unhealthy node : (?P<peer>` + host + `:` + port + `)`),
		render: func(f map[string]string) string { return "report the metadata to the unhealthy node " + f[FieldPeer] }},
	{Code: CodeRaftPeerNotFound, Files: []string{"alipay-jraft.log"},
		re: regexp.MustCompile(`Peer id not found: (?P<peer>` + host + `:` + port + `), group: (?P<group>` + group + `)`),
		render: func(f map[string]string) string {
			return "Peer id not found: " + f[FieldPeer] + ", group: " + f[FieldGroup]
		}},
	{Code: CodeRaftJoinFailed, Files: []string{"protocol-raft.log"},
		re:     regexp.MustCompile(`Failed to join the cluster, retry`),
		render: func(map[string]string) string { return "Failed to join the cluster, retry..." }},
	{Code: CodeRaftNoLeader, Files: []string{"protocol-raft.log"},
		re:     regexp.MustCompile(`Fail to refresh leader for group : (?P<group>` + group + `),`),
		render: func(f map[string]string) string { return "Fail to refresh leader for group " + f[FieldGroup] }},
	{Code: CodeRaftNoLeader, Files: []string{"nacos.log"},
		re: regexp.MustCompile(`Raft Group \[(?P<group>` + group + `)\] did not find the Leader node`),
		render: func(f map[string]string) string {
			return "Raft Group [" + f[FieldGroup] + "] did not find the Leader node"
		}},
	{Code: CodeDatasource, Files: []string{"nacos.log", "config-fatal.log"},
		re: regexp.MustCompile(`(?:HikariPool-[0-9]+|\[db-error\]).*?(?P<cause>Communications link failure|Connection refused|Access denied|Unknown database|master db [a-z]+ down)`),
		render: func(f map[string]string) string {
			return "datasource: " + strings.TrimSuffix(f[FieldCause], " ")
		}},
	{Code: CodeOutOfMemory,
		re:     regexp.MustCompile(`java\.lang\.OutOfMemoryError: (?P<cause>Java heap space|GC overhead limit exceeded|Metaspace|Direct buffer memory|unable to create native thread)`),
		render: func(f map[string]string) string { return "java.lang.OutOfMemoryError: " + f[FieldCause] }},
	{Code: CodeStarting, Files: []string{"nacos.log"},
		re:     regexp.MustCompile(`Nacos (?:Server )?is starting\.\.\.`),
		render: func(map[string]string) string { return "Nacos is starting..." }},
}

// Files are the log files worth following: every file a pattern names.
func Files() []string {
	var out []string
	for _, p := range Patterns {
		for _, f := range p.Files {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// Match is a known line reduced to its code, captured fields and Nacos's words.
type Match struct {
	Code    string
	Fields  map[string]string
	Message string
}

// MatchLine reduces one line of a file; ok is false for a line of no known shape.
func MatchLine(file, line string) (Match, bool) {
	for _, p := range Patterns {
		if len(p.Files) > 0 && !slices.Contains(p.Files, file) {
			continue
		}
		sub := p.re.FindStringSubmatch(line)
		if sub == nil {
			continue
		}
		fields := map[string]string{}
		for i, name := range p.re.SubexpNames() {
			if name != "" && sub[i] != "" {
				fields[name] = sub[i]
			}
		}
		return Match{Code: p.Code, Fields: fields, Message: p.render(fields)}, true
	}
	return Match{}, false
}

package sim

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ParseClusterConf reads cluster.conf text the way EnvUtil.analyzeClusterConf and
// MemberUtil.singleParse do, returning member addresses as host:port.
//
//  1. Lines that are empty as read are skipped; the rest are trimmed.
//  2. A line starting with '#' is a comment; text after an inline '#' is dropped.
//  3. A line may hold comma-separated entries (split only when the comma is not first;
//     Java's split drops trailing empty entries, entries are not trimmed).
//  4. An entry is host[:port]; the port defaults to defaultPort; IPv6 is [addr]:port.
//
// Any bad entry (an empty one from a whitespace-only line, a non-numeric port such as the
// legacy "?raft_port=" suffix) fails the whole read, which Nacos then ignores, keeping the
// membership it had.
func ParseClusterConf(text string, defaultPort int) ([]string, error) {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		entry := strings.TrimSpace(line)
		if strings.HasPrefix(entry, "#") {
			continue
		}
		if i := strings.Index(entry, "#"); i >= 0 {
			entry = strings.TrimSpace(entry[:i])
		}
		entries := []string{entry}
		if strings.Index(entry, ",") > 0 {
			entries = strings.Split(entry, ",")
			for len(entries) > 0 && entries[len(entries)-1] == "" {
				entries = entries[:len(entries)-1]
			}
		}
		for _, e := range entries {
			addr, err := parseEntry(e, defaultPort)
			if err != nil {
				return nil, err
			}
			out = append(out, addr)
		}
	}
	return out, nil
}

func parseEntry(entry string, defaultPort int) (string, error) {
	if entry == "" {
		return "", errors.New("empty cluster.conf entry")
	}
	host, port := entry, strconv.Itoa(defaultPort)
	switch {
	case strings.HasPrefix(entry, "["):
		end := strings.Index(entry, "]")
		if end < 0 {
			return "", fmt.Errorf("bad IPv6 entry %q", entry)
		}
		host = entry[1:end]
		if rest := entry[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return "", fmt.Errorf("bad IPv6 entry %q", entry)
			}
			port = rest[1:]
		}
	case strings.Contains(entry, ":"):
		i := strings.LastIndex(entry, ":")
		host, port = entry[:i], entry[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("bad port in cluster.conf entry %q", entry)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// RenderClusterConf is what a member writes back after a membership change
// (MemberUtil.syncToFile): a #LocalDateTime header, then the sorted addresses, self included.
func RenderClusterConf(addresses []string, now time.Time) string {
	sorted := append([]string(nil), addresses...)
	sort.Strings(sorted)
	var b strings.Builder
	b.WriteString("#" + now.Format("2006-01-02T15:04:05.000000000") + "\n")
	for _, a := range sorted {
		b.WriteString(a + "\n")
	}
	return b.String()
}

// readMemberList reads conf/cluster.conf, or nacos.member.list when the file does not exist
// (EnvUtil.readClusterConf).
func readMemberList(cfg Config, defaultPort int) ([]string, error) {
	data, err := os.ReadFile(cfg.clusterConfPath())
	if errors.Is(err, os.ErrNotExist) {
		var out []string
		for _, item := range strings.Split(cfg.MemberList, ",") {
			if item = strings.TrimSpace(item); item != "" {
				addr, err := parseEntry(item, defaultPort)
				if err != nil {
					return nil, err
				}
				out = append(out, addr)
			}
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cfg.clusterConfPath(), err)
	}
	return ParseClusterConf(string(data), defaultPort)
}

// writeMemberList rewrites cluster.conf in place, as Nacos does (DiskUtils.writeFile): not
// atomically, which is why external writers race with it.
func writeMemberList(cfg Config, addresses []string, now time.Time) error {
	if err := os.MkdirAll(filepath.Dir(cfg.clusterConfPath()), 0o755); err != nil {
		return fmt.Errorf("cluster member node persistence failed: %w", err)
	}
	if err := os.WriteFile(cfg.clusterConfPath(), []byte(RenderClusterConf(addresses, now)), 0o644); err != nil {
		return fmt.Errorf("cluster member node persistence failed: %w", err)
	}
	return nil
}

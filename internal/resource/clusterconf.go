package resource

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// RenderClusterConf renders the member list as cluster.conf: one address per line, sorted,
// without duplicates, so the same set always yields the same bytes.
func RenderClusterConf(addresses []string) string {
	set := MemberSet(addresses)
	var b strings.Builder
	b.WriteString("# Managed by nacos-operator: the desired members of this cluster.\n")
	for _, a := range set {
		b.WriteString(a + "\n")
	}
	return b.String()
}

// ParseMemberSet reads cluster.conf text (ours, or the one Nacos rewrites with a #timestamp
// header) into a sorted set of addresses. Unlike Nacos it is lenient: a bad line is an error
// for the caller to report, never a silent fallback.
func ParseMemberSet(text string) ([]string, error) {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if j := strings.Index(line, "#"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		if line == "" {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			if strings.ContainsAny(entry, " \t") || !strings.Contains(entry, ":") {
				return nil, fmt.Errorf("cluster.conf line %d: %q is not host:port", i+1, entry)
			}
			out = append(out, entry)
		}
	}
	return MemberSet(out), nil
}

// MemberSet sorts and de-duplicates addresses.
func MemberSet(addresses []string) []string {
	out := append([]string(nil), addresses...)
	sort.Strings(out)
	return slices.Compact(out)
}

// SameMembers compares two member lists as sets.
func SameMembers(a, b []string) bool {
	return slices.Equal(MemberSet(a), MemberSet(b))
}

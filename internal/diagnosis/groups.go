package diagnosis

import (
	"sort"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

func sortedGroups(m nacos.Member) []string {
	out := make([]string, 0, len(m.Raft))
	for g := range m.Raft {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// groupsOf returns a member's published Raft metadata, read from its own self entry.
func groupsOf(t *testing.T, m *Member) map[string]map[string]any {
	t.Helper()
	a := get(t, m.cfg.Bind, "/nacos/v1/core/cluster/self")
	ext := a.json(t)["data"].(map[string]any)["extendInfo"].(map[string]any)
	out := map[string]map[string]any{}
	for g, info := range ext["raftMetaData"].(map[string]any)["metaDataMap"].(map[string]any) {
		out[g] = info.(map[string]any)
	}
	return out
}

// agreedLeader waits until every member reports the same leader for a group, other than
// the excluded ones, and returns it with its term.
func agreedLeader(t *testing.T, ms []*Member, group string, exclude ...string) (string, float64) {
	t.Helper()
	var leader string
	var term float64
	eventually(t, 10*time.Second, "agreed leader of "+group, func() error {
		leader, term = "", 0
		for _, m := range ms {
			info := groupsOf(t, m)[group]
			l, _ := info["leader"].(string)
			if l == "" || (leader != "" && l != leader) || slices.Contains(exclude, l) {
				return fmt.Errorf("%s sees leader %q, others %q", m.Address(), l, leader)
			}
			leader, term = l, info["term"].(float64)
		}
		return nil
	})
	return leader, term
}

func TestStoppingTheLeaderCostsAnElection(t *testing.T) {
	c := startCluster(t, 3, "127.0.16.", Config{Version: "2.5.1", Warmup: true})
	leader, term := agreedLeader(t, c.Members, "naming_persistent_service_v2")
	var survivors []*Member
	for _, m := range c.Members {
		if raftAddress(m.Address()) == leader {
			m.Stop()
		} else {
			survivors = append(survivors, m)
		}
	}
	if len(survivors) != 2 {
		t.Fatalf("leader %s is not a member", leader)
	}
	next, nextTerm := agreedLeader(t, survivors, "naming_persistent_service_v2", leader)
	if next == leader || nextTerm <= term {
		t.Fatalf("after stopping %s (term %v): leader %s term %v; want a new leader and a higher term", leader, term, next, nextTerm)
	}
}

func TestNoQuorumNoLeader(t *testing.T) {
	c := startCluster(t, 3, "127.0.18.", Config{Version: "2.5.1", Warmup: true})
	agreedLeader(t, c.Members, "nacos_config")
	eventually(t, 10*time.Second, "naming UP", func() error { return namingUp(t, c.Members[0].cfg.Bind) })
	c.Members[1].Stop()
	c.Members[2].Stop()
	published := groupsOf(t, c.Members[0])["nacos_config"]["leader"]
	eventually(t, 10*time.Second, "leader lost without a majority", func() error {
		a := get(t, c.Members[0].cfg.Bind, "/nacos/v1/console/health/readiness")
		if a.status != 500 || a.body != "config not in readiness" {
			return fmt.Errorf("readiness %d %q", a.status, a.body)
		}
		return nil
	})
	// Nacos never removes a published leader: the metadata still names the lost one.
	if l := groupsOf(t, c.Members[0])["nacos_config"]["leader"]; l != published {
		t.Fatalf("published leader %v, want the stale %v", l, published)
	}
}

func TestRemovedPeersLeaveGroupsAndIPModeLeavesStalePeers(t *testing.T) {
	c := startCluster(t, 3, "127.0.17.", Config{Version: "2.5.1", Warmup: true})
	agreedLeader(t, c.Members, "naming_service_metadata")
	old := c.Members[2]
	old.Stop()
	// The pod comes back with a new IP and the same volume; cluster.conf lists the new IP.
	moved := "127.0.17.4:8848"
	list := []string{c.Members[0].Address(), c.Members[1].Address(), moved}
	for _, m := range c.Members[:2] {
		must(t, WriteClusterConf(m.cfg.Home, list))
	}
	must(t, WriteClusterConf(old.cfg.Home, list))
	back, err := New(Config{Version: "2.5.1", Warmup: true, Address: moved, Home: old.cfg.Home, Periods: FastPeriods()})
	must(t, err)
	must(t, back.Start())
	t.Cleanup(back.Stop)

	wantSurvivors := []string{"127.0.17.1:7848", "127.0.17.2:7848", "127.0.17.4:7848"}
	for _, m := range c.Members[:2] {
		eventually(t, 10*time.Second, "dropped peer leaves the groups of "+m.Address(), func() error {
			got := toStrings(groupsOf(t, m)["naming_service_metadata"]["raftGroupMember"])
			if !slices.Equal(got, wantSurvivors) {
				return fmt.Errorf("raftGroupMember %v", got)
			}
			return nil
		})
	}
	got := toStrings(groupsOf(t, back)["naming_service_metadata"]["raftGroupMember"])
	if !slices.Contains(got, "127.0.17.3:7848") {
		t.Fatalf("the member that moved lists %v; want its old address 127.0.17.3:7848 as a stale peer", got)
	}
	if _, err := os.Stat(filepath.Join(old.cfg.Home, "data", "protocol", "raft")); err != nil {
		t.Fatalf("raft data not persisted: %v", err)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

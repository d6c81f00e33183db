package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
)

// The JRaft groups of a Nacos member; nacos_config exists only with embedded storage.
var namingGroups = []string{"naming_instance_metadata", "naming_persistent_service", "naming_persistent_service_v2", "naming_service_metadata"}

// raftGroup is this member's view of one Raft group. The model is not Raft: it reproduces
// what Nacos exposes of it. A leader exists while a majority of the group's peers is alive
// (self, or a member UP with a recent exchange); losing the leader costs an election after
// ElectionTimeout, which raises the term; the lowest alive address wins, so members
// converge, and a report carrying a higher term is adopted.
type raftGroup struct {
	peers      map[string]bool // raft addresses (host:port-1000)
	leader     string
	published  string // last leader announced; Nacos merges metadata and never removes the key
	term       int64
	leaderLost bool
	lostAt     int64 // clock ms when the leader was lost
}

// groupNames are the groups real members list: 3.x adds the lock service's group, and a
// standalone member keeps config in plain Derby (no nacos_config).
func (m *Member) groupNames() []string {
	groups := append([]string(nil), namingGroups...)
	if m.ver.major >= 3 {
		groups = append(groups, "lock_acquire_service_v2")
	}
	if m.cfg.Storage == StorageEmbedded && !m.cfg.Standalone {
		groups = append(groups, "nacos_config")
	}
	return groups
}

func (m *Member) raftStatePath() string {
	return filepath.Join(m.cfg.dataDir(), "protocol", "raft", "sim-peers.json")
}

// loadRaft restores each group's peers from the data directory, like JRaft's persisted
// configuration: addresses this member no longer has (an old pod IP) stay as stale peers.
// savedGroup is a group's persisted state: its configuration and its term (JRaft keeps both
// in the data directory, so a restarted member does not start an election from term 0).
type savedGroup struct {
	Peers []string `json:"peers"`
	Term  int64    `json:"term"`
}

func (m *Member) loadRaft() map[string]*raftGroup {
	saved := map[string]savedGroup{}
	if data, err := os.ReadFile(m.raftStatePath()); err == nil {
		_ = json.Unmarshal(data, &saved)
	}
	groups := map[string]*raftGroup{}
	now := m.cfg.Clock.Now().UnixMilli()
	for _, name := range m.groupNames() {
		g := &raftGroup{peers: map[string]bool{raftAddress(m.cfg.Address): true}, leaderLost: true, lostAt: now, term: saved[name].Term}
		for _, p := range saved[name].Peers {
			g.peers[p] = true
		}
		groups[name] = g
	}
	return groups
}

func (m *Member) saveRaftLocked() {
	out := map[string]savedGroup{}
	for name, g := range m.raft {
		out[name] = savedGroup{Peers: sortedKeys(g.peers), Term: g.term}
	}
	data, _ := json.Marshal(out)
	if err := os.MkdirAll(filepath.Dir(m.raftStatePath()), 0o755); err == nil {
		_ = os.WriteFile(m.raftStatePath(), data, 0o644)
	}
}

// raftPeerChangeLocked is JRaftServer.peerChange: dropped members leave every group, new
// members join (they register themselves with the leader in Nacos).
func (m *Member) raftPeerChangeLocked(dropped []string) {
	for _, g := range m.raft {
		for _, d := range dropped {
			delete(g.peers, d)
		}
		for a := range m.members {
			g.peers[raftAddress(a)] = true
		}
	}
	m.saveRaftLocked()
}

// raftTick re-evaluates every group's leader.
func (m *Member) raftTick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Clock.Now().UnixMilli()
	for _, g := range m.raft {
		m.evaluateLocked(g, now)
	}
}

func (m *Member) evaluateLocked(g *raftGroup, now int64) {
	alive := 0
	var lowest string
	for p := range g.peers {
		if m.raftPeerAliveLocked(p) {
			alive++
			if lowest == "" || p < lowest {
				lowest = p
			}
		}
	}
	quorum := alive*2 > len(g.peers)
	if quorum && g.leader != "" && m.raftPeerAliveLocked(g.leader) {
		return
	}
	if g.leader != "" || !g.leaderLost {
		g.leader, g.leaderLost, g.lostAt = "", true, now
	}
	if quorum && now-g.lostAt >= m.cfg.Periods.ElectionTimeout.Milliseconds() {
		g.leader, g.leaderLost, g.published = lowest, false, lowest
		g.term++
	}
}

// raftPeerAliveLocked: self, or a member whose Raft port answered within two election
// timeouts (raftlink.go).
func (m *Member) raftPeerAliveLocked(raftAddr string) bool {
	if raftAddr == raftAddress(m.cfg.Address) {
		return true
	}
	now := m.cfg.Clock.Now()
	for a, p := range m.members {
		if raftAddress(a) == raftAddr {
			return !p.raftContact.IsZero() && now.Sub(p.raftContact) <= 2*m.cfg.Periods.ElectionTimeout
		}
	}
	return false
}

// adoptRaftLocked takes a leader announced by a peer with a higher term, if that leader is
// alive here. Two members may elect different leaders in the same term from different views
// (the model has no votes); the lower address wins the tie, so the cluster converges on one
// leader per term as Raft guarantees.
func (m *Member) adoptRaftLocked(ext map[string]any) {
	meta, _ := ext["raftMetaData"].(map[string]any)
	groups, _ := meta["metaDataMap"].(map[string]any)
	for name, raw := range groups {
		g, ok := m.raft[name]
		info, _ := raw.(map[string]any)
		if !ok || info == nil {
			continue
		}
		leader, _ := info["leader"].(string)
		term, _ := info["term"].(float64)
		m.missedLocked(name, leader, int64(term))
		newer := int64(term) > g.term || (int64(term) == g.term && (g.leader == "" || leader < g.leader))
		if leader != "" && newer && g.peers[leader] && m.raftPeerAliveLocked(leader) {
			g.leader, g.term, g.leaderLost, g.published = leader, int64(term), false, leader
		}
	}
}

// leaderLocked is the leader this member sees for a group ("" when none).
func (m *Member) leaderLocked(group string) string {
	if m.faults.NoRaftLeader {
		return ""
	}
	if m.cfg.Standalone {
		return raftAddress(m.cfg.Address)
	}
	if g, ok := m.raft[group]; ok {
		return g.leader
	}
	return ""
}

func (m *Member) allLeadersLocked() bool {
	for name := range m.raft {
		if m.leaderLocked(name) == "" {
			return false
		}
	}
	return true
}

// raftMetaDataLocked is what JRaftProtocol.injectProtocolMetaData publishes in extendInfo.
// Nacos merges each RaftEvent into the map and never removes a key, so once a leader was
// known it stays published after the group loses it: metadata alone cannot prove a leader
// exists (readiness of config and the naming status can).
func (m *Member) raftMetaDataLocked() map[string]any {
	groups := map[string]any{}
	for name, g := range m.raft {
		info := map[string]any{"raftGroupMember": sortedKeys(g.peers)}
		if g.term > 0 {
			info["term"] = g.term
		}
		if g.published != "" {
			info["leader"] = g.published
		}
		if m.cfg.Standalone {
			info["leader"], info["term"] = raftAddress(m.cfg.Address), int64(1)
		}
		if m.faults.NoRaftLeader {
			info["errMsg"] = "Leader is not elected"
		}
		groups[name] = info
	}
	return map[string]any{"metaDataMap": groups}
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

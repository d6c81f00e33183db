package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	stateUp         = "UP"
	stateDown       = "DOWN"
	stateSuspicious = "SUSPICIOUS"
)

// basicMetaKeys are the extendInfo keys whose change makes a reporter copy a peer's whole
// extendInfo from its answer (MemberMetaDataConstants.BASIC_META_KEYS).
var basicMetaKeys = []string{"site", "adWeight", "raftPort", "weight", "version", "readyToUpgrade"}

// peer is one entry of a member's member list: its view of another member (or of itself).
type peer struct {
	address       string
	ip            string
	port          int
	state         string
	failAccessCnt int
	extend        map[string]any
	lastContact   time.Time // last successful exchange in either direction (the gRPC link is up)
	raftContact   time.Time // last answered Raft ping (raftlink.go)
}

// newPeer is a member parsed from cluster.conf (MemberUtil.singleParse): optimistic UP,
// only raftPort and readyToUpgrade known.
func newPeer(address string) *peer {
	host, p, _ := net.SplitHostPort(address)
	port, _ := strconv.Atoi(p)
	return &peer{address: address, ip: host, port: port, state: stateUp,
		extend: map[string]any{"raftPort": strconv.Itoa(port - 1000), "readyToUpgrade": true}}
}

// applyMembersLocked is ServerMemberManager.memberChange: an empty list is ignored, self is
// appended when missing (by exact string), and a real change rewrites cluster.conf and
// removes dropped peers from every Raft group.
func (m *Member) applyMembersLocked(list []string, now time.Time) {
	if len(list) == 0 && len(m.members) > 0 {
		m.logf("[serverlist] empty member list ignored, keeping %d members", len(m.members))
		return
	}
	want := map[string]bool{}
	for _, a := range list {
		want[a] = true
	}
	if !want[m.cfg.Address] {
		m.logf("[serverlist] self ip %s not in serverlist %v", m.cfg.Address, list)
		want[m.cfg.Address] = true
	}
	changed := len(want) != len(m.members)
	next := map[string]*peer{}
	for a := range want {
		if p, ok := m.members[a]; ok {
			next[a] = p
			continue
		}
		changed = true
		next[a] = newPeer(a)
	}
	if !changed {
		return
	}
	var dropped []string
	for a := range m.members {
		if !want[a] {
			dropped = append(dropped, raftAddress(a))
		}
	}
	m.members = next
	m.raftPeerChangeLocked(dropped)
	addresses := m.addressesLocked()
	m.logf("[serverlist] member list changed to %v", addresses)
	if !m.cfg.Standalone {
		if err := writeMemberList(m.cfg, addresses, now); err != nil {
			m.logf("%v", err)
		}
	}
}

func (m *Member) addressesLocked() []string {
	out := make([]string, 0, len(m.members))
	for a := range m.members {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// selfExtendLocked is the extendInfo this member publishes about itself.
func (m *Member) selfExtendLocked() map[string]any {
	ext := map[string]any{
		"raftPort":       strconv.Itoa(m.port - 1000),
		"readyToUpgrade": true,
		"version":        m.version,
		"raftMetaData":   m.raftMetaDataLocked(),
	}
	if m.ver.atLeast(2, 5, 0) {
		ext["supportGrayModel"] = true
	}
	if !m.openedAt.IsZero() {
		// Set once, when the web server starts (real members keep that value).
		ext["lastRefreshTime"] = m.openedAt.UnixMilli()
	}
	return ext
}

// memberJSON renders one member as Nacos serializes core/cluster/Member.
func (m *Member) memberJSONLocked(p *peer) map[string]any {
	ext := p.extend
	if p.address == m.cfg.Address {
		ext = m.selfExtendLocked()
	}
	return map[string]any{
		"ip": p.ip, "port": p.port, "state": p.state, "extendInfo": ext, "address": p.address,
		"failAccessCnt": p.failAccessCnt,
		"abilities": map[string]any{
			"remoteAbility": map[string]any{"supportRemoteConnection": true, "grpcReportEnabled": true},
			"configAbility": map[string]any{"supportRemoteMetrics": false},
			"namingAbility": map[string]any{"supportJraft": true},
		},
		"grpcReportEnabled": true,
	}
}

// reportNext is MemberInfoReportTask: report self to the next peer, round robin.
func (m *Member) reportNext() {
	m.mu.Lock()
	others := m.othersLocked()
	if len(others) == 0 || !m.open {
		m.mu.Unlock()
		return
	}
	target := others[m.rrIndex%len(others)]
	m.rrIndex++
	m.mu.Unlock()
	m.reportTo(target)
}

// probeUnhealthy is UnhealthyMemberInfoReportTask: report to every member that is not UP.
func (m *Member) probeUnhealthy() {
	m.mu.Lock()
	var targets []string
	for _, a := range m.othersLocked() {
		if !m.open {
			break
		}
		if m.members[a].state != stateUp {
			targets = append(targets, a)
		}
	}
	m.mu.Unlock()
	for _, t := range targets {
		m.reportTo(t)
	}
}

func (m *Member) othersLocked() []string {
	var out []string
	for _, a := range m.addressesLocked() {
		if a != m.cfg.Address {
			out = append(out, a)
		}
	}
	return out
}

func (m *Member) reportTo(target string) {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		return
	}
	body, _ := json.Marshal(m.memberJSONLocked(m.members[m.cfg.Address]))
	stop, partitioned := m.stop, m.faults.PeerPartition
	m.mu.Unlock()
	if partitioned { // its own packets are dropped too
		m.mu.Lock()
		if p, ok := m.members[target]; ok && m.running {
			m.onFailLocked(p, errors.New("i/o timeout (partitioned)"))
			m.logPeerCheckLocked(target)
		}
		m.mu.Unlock()
		return
	}

	answer, err := m.callPeer(stop, target, body)
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.members[target]
	if !ok || !m.running {
		return
	}
	now := m.cfg.Clock.Now()
	if err != nil {
		m.onFailLocked(p, err)
		return
	}
	p.lastContact = now
	p.state, p.failAccessCnt = stateUp, 0
	if ext, ok := answer["extendInfo"].(map[string]any); ok && basicMetaChanged(p.extend, ext) {
		p.extend = ext
	}
	m.adoptRaftLocked(p.extend)
}

// onFailLocked is MemberUtil.onFail.
func (m *Member) onFailLocked(p *peer, err error) {
	p.state = stateSuspicious
	p.failAccessCnt++
	if p.failAccessCnt > m.cfg.FailAccessCnt || strings.Contains(strings.ToLower(err.Error()), "connection refused") {
		p.state = stateDown
	}
	m.logf("failed to report to %s (failAccessCnt %d, %s): %v", p.address, p.failAccessCnt, p.state, err)
}

func basicMetaChanged(old, received map[string]any) bool {
	for _, k := range basicMetaKeys {
		a, inOld := old[k]
		b, inNew := received[k]
		if inOld != inNew || !reflect.DeepEqual(a, b) {
			return true
		}
	}
	return false
}

// callPeer sends a member report over the simulated cluster channel and returns the peer's
// self member from its answer.
func (m *Member) callPeer(stop chan struct{}, target string, body []byte) (map[string]any, error) {
	ctx, cancel := m.ctxFor(stop)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+m.cfg.Resolve(target)+peerReportPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build report to %s: %w", target, err)
	}
	resp, err := m.peers.Do(req)
	if err != nil {
		return nil, fmt.Errorf("report to %s: %w", target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("report to %s: HTTP %d", target, resp.StatusCode)
	}
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("report to %s: %w", target, err)
	}
	return answer, nil
}

// handleReport is MemberReportHandler on the receiving side: the reporter is UP, its
// extendInfo is stored with a fresh lastRefreshTime (ServerMemberManager.update; unknown
// members are ignored), and the answer is this member's self.
func (m *Member) handleReport(w http.ResponseWriter, r *http.Request) {
	var node map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&node); err != nil {
		http.Error(w, "Node information is illegal", http.StatusBadRequest)
		return
	}
	address, _ := node["address"].(string)
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.members[address]; ok && address != m.cfg.Address {
		ext, _ := node["extendInfo"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
		}
		ext["lastRefreshTime"] = m.cfg.Clock.Now().UnixMilli()
		p.extend, p.state, p.failAccessCnt, p.lastContact = ext, stateUp, 0, m.cfg.Clock.Now()
		m.adoptRaftLocked(ext)
	}
	writeJSON(w, http.StatusOK, m.memberJSONLocked(m.members[m.cfg.Address]))
}

// handleSnapshot serves a Distro snapshot. Like Nacos, it does not check whether this
// member is itself initialized (a cold cluster initializes from empty snapshots).
func (m *Member) handleSnapshot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"type": "Nacos:Naming:v2:ClientData", "clients": []any{}})
}

// requestSnapshot asks one peer for its Distro snapshot.
func (m *Member) requestSnapshot(stop chan struct{}, target string) error {
	ctx, cancel := m.ctxFor(stop)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.cfg.Resolve(target)+peerSnapshotPath, nil)
	if err != nil {
		return fmt.Errorf("build snapshot request: %w", err)
	}
	resp, err := m.peers.Do(req)
	if err != nil {
		return fmt.Errorf("load snapshot from %s: %w", target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("load snapshot from %s: HTTP %d", target, resp.StatusCode)
	}
	return nil
}

package sim

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// The Raft link stands in for JRaft's own port (7848, the main port minus 1000): cluster
// members ping each other's Raft address, and a group counts a peer alive while its pings
// answer. It is independent of the HTTP port, because a real member's Raft groups run before
// its web server opens (with embedded storage the web server waits for nacos_config), and of
// the member-report link (PeerPartition, port 9849): measured on real 2.5.1 members, a member
// behind a 9849 drop still has its Raft leaders and answers only "naming not in readiness".
// RaftPartition and Hang cut it.
const raftPingPath = "/_sim/v1/raft"

// raftPingPeriod pings a few times per liveness window (two election timeouts).
func (m *Member) raftPingPeriod() time.Duration { return m.cfg.Periods.ElectionTimeout / 2 }

func (m *Member) listenRaft() (net.Listener, error) {
	l, err := net.Listen("tcp", raftAddress(m.cfg.Bind))
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", raftAddress(m.cfg.Bind), err)
	}
	return cutRaftListener{Listener: l, m: m}, nil
}

// cutRaftListener resets every connection accepted while the Raft port is cut
// (RaftPartition). A real firewall drops the packets, which no listener can do; either way
// no connection to 7848 stays open, which is what the operator's Raft-port probe reads
// (nacos.Client.RaftPortOpen). A hung member (Hang) keeps them open, as a stopped JVM's
// kernel does.
type cutRaftListener struct {
	net.Listener
	m *Member
}

func (l cutRaftListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err //nolint:wrapcheck // http.Server type-asserts net.Error to retry temporary ones
		}
		if !l.m.Faulty().RaftPartition {
			return c, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, not an orderly close
		}
		_ = c.Close()
	}
}

func (m *Member) raftHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := m.Faulty(); f.Hang || f.RaftPartition || r.URL.Path != raftPingPath {
			<-r.Context().Done() // packets dropped: the caller times out
			return
		}
		m.mu.Lock()
		meta := m.raftMetaDataLocked()
		m.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"raftMetaData": meta})
	})
}

// raftPing pings every other member's Raft address; an answer refreshes the peer's Raft
// contact and carries its leaders and terms (adopted as a report's would be).
func (m *Member) raftPing() {
	m.mu.Lock()
	if m.faults.Hang || m.faults.RaftPartition {
		m.mu.Unlock()
		return
	}
	targets := m.othersLocked()
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ext, ok := m.pingRaft(a)
			if !ok {
				return
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			if p := m.members[a]; p != nil {
				p.raftContact = m.cfg.Clock.Now()
				m.adoptRaftLocked(ext)
			}
		}()
	}
	wg.Wait()
}

func (m *Member) pingRaft(address string) (map[string]any, bool) {
	resp, err := m.peers.Get("http://" + raftAddress(m.cfg.Resolve(address)) + raftPingPath)
	if err != nil {
		return nil, false
	}
	defer func() { _ = resp.Body.Close() }()
	var ext map[string]any
	if resp.StatusCode != http.StatusOK || json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&ext) != nil {
		return nil, false
	}
	return ext, true
}

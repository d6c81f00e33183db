package sim

import (
	"fmt"
	"net"
)

// The start phase of a real member: its Raft groups run before its web server, and with
// embedded storage in cluster mode the web server waits for a nacos_config leader.

// listenAtStartLocked opens the Raft port of a cluster member, and the HTTP port unless the
// start phase holds it (then openWhenStarted opens it later).
func (m *Member) listenAtStartLocked() (raft net.Listener, main []net.Listener, err error) {
	if !m.cfg.Standalone {
		if raft, err = m.listenRaft(); err != nil {
			return nil, nil, fmt.Errorf("member %s: Raft port: %w", m.cfg.Address, err)
		}
	}
	if m.cfg.StartDelay > 0 || m.portHeldLocked() {
		return raft, nil, nil
	}
	if main, err = m.listen(); err != nil && raft != nil {
		_ = raft.Close()
	}
	return raft, main, err
}

// portHeldLocked tells whether start-up is blocked before the web server: a real 2.x/3.x
// cluster member with embedded storage parks in EmbeddedDumpService.init until its
// nacos_config Raft group has a leader, so with 7848 unreachable its HTTP port never opens.
func (m *Member) portHeldLocked() bool {
	g := m.raft["nacos_config"]
	if m.cfg.Storage != StorageEmbedded || m.cfg.Standalone {
		return false
	}
	if g == nil || g.leader == "" || m.faults.StartupDeadlock {
		return true
	}
	if !m.faults.MissedLeaderEvent {
		return false
	}
	// Held until a peer's leader announcement newer than the first one heard (missedLocked).
	if m.missed == nil {
		return true
	}
	return g.term <= *m.missed
}

// openWhenStarted opens the HTTP port once StartDelay has passed and nothing holds start-up.
func (m *Member) openWhenStarted() {
	defer m.wg.Done()
	m.mu.Lock()
	stop, started := m.stop, m.started
	m.mu.Unlock()
	t := m.cfg.Clock.NewTicker(m.cfg.Periods.RaftTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C():
		}
		m.mu.Lock()
		if m.running {
			m.logStartingLocked()
		}
		if m.cfg.Clock.Since(started) >= m.cfg.StartDelay && !m.portHeldLocked() && m.running {
			listeners, err := m.listen()
			if err == nil {
				m.open, m.openedAt = true, m.cfg.Clock.Now()
				m.serve(listeners)
				m.logf("Nacos started successfully in cluster mode. use embedded storage")
				m.mu.Unlock()
				return
			}
			m.logf("http server cannot start: %v", err)
		}
		m.mu.Unlock()
	}
}

// missedLocked records, with MissedLeaderEvent, the nacos_config term of the first leader a
// peer announces after start: that announcement is the one the member missed.
func (m *Member) missedLocked(group, leader string, term int64) {
	if group != "nacos_config" || !m.faults.MissedLeaderEvent || m.missed != nil || leader == "" {
		return
	}
	if g := m.raft[group]; g != nil && g.term > term {
		term = g.term
	}
	m.missed = &term
}

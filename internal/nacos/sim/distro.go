package sim

import (
	"errors"
	"strings"
)

// Nacos's own naming DOWN messages (ServerStatusManager.getErrorMsg, 2.4.2+ and 3.x).
const (
	msgDistroNotInitialized = "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
	msgNoRaftLeader         = "No leader for raft, please see logs `alipay-jraft.log` or `naming-raft.log` to see details."
	// 2.4.1 checks only the naming_persistent_service leader (inferred wording).
	msgNoRaftLeader241 = "No leader for raft group naming_persistent_service, please see logs `alipay-jraft.log` or `naming-raft.log` to see details."
	// 2.2.0 to 2.4.0.
	msgCouldNotFindLeader = "Could not find leader!"
)

// loadDistro is DistroLoadDataTask:
//  1. standalone: initialized at once;
//  2. wait (DistroWaitList) while the member list without self is empty, forever on a lone
//     cluster member ("waiting server list init");
//  3. ask peers in order for a snapshot, skipping those not UP or not yet connected
//     ("Cancel get snapshot caused by target server unhealthy"); the first success
//     initializes Distro;
//  4. otherwise retry after DistroRetryDelay, indefinitely.
func (m *Member) loadDistro() {
	defer m.wg.Done()
	m.mu.Lock()
	stop := m.stop
	if m.cfg.Standalone {
		m.distroOK = true
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	for {
		others, candidates, stuck := m.distroCandidates()
		if len(others) == 0 {
			if !m.wait(stop, m.cfg.Periods.DistroWaitList) {
				return
			}
			continue
		}
		if m.loadFromFirst(stop, candidates, stuck) {
			return
		}
		if !m.wait(stop, m.cfg.Periods.DistroRetryDelay) {
			return
		}
	}
}

// distroCandidates lists the peers and those a snapshot may be asked from: UP and connected.
func (m *Member) distroCandidates() (others, candidates []string, stuck bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	others, stuck = m.othersLocked(), m.faults.DistroStuck || m.faults.Hang || m.faults.PeerPartition
	if len(others) == 0 {
		m.logf("[DISTRO-INIT] waiting server list init...")
	}
	if stuck {
		// A stuck member asks every peer and fails with each, as the real one logs.
		return others, others, stuck
	}
	for _, a := range others {
		if p := m.members[a]; p.state == stateUp && !p.lastContact.IsZero() {
			candidates = append(candidates, a)
		} else {
			m.logf("[DISTRO] Cancel get snapshot caused by target server %s unhealthy", a)
		}
	}
	return others, candidates, stuck
}

func (m *Member) loadFromFirst(stop chan struct{}, candidates []string, stuck bool) bool {
	for _, a := range candidates {
		err := errors.New("simulated snapshot failure")
		if !stuck {
			err = m.requestSnapshot(stop, a)
		}
		m.mu.Lock()
		m.logf("[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from %s result: %t", a, err == nil)
		if err != nil {
			m.logFileLocked("protocol-distro.log", "ERROR", "[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from %s failed.", a)
		}
		if err == nil && m.running {
			m.distroOK = true
			m.logf("[DISTRO-INIT] load snapshot data success")
			m.mu.Unlock()
			return true
		}
		m.mu.Unlock()
	}
	return false
}

// namingReadyLocked is ServerStatusManager.isReady and getErrorMsg, per version.
func (m *Member) namingReadyLocked() (bool, string) {
	switch {
	case m.ver.atLeast(2, 4, 2):
		if !m.warmup {
			return true, ""
		}
		if !m.distroOK {
			return false, msgDistroNotInitialized
		}
		// CP ready is "raft started", except in strict mode where every group needs a leader.
		if m.cfg.StrictRaft && !m.allLeadersLocked() {
			return false, msgNoRaftLeader
		}
		return true, ""
	case m.ver.atLeast(2, 4, 1):
		if m.leaderLocked("naming_persistent_service") == "" {
			return false, msgNoRaftLeader241
		}
		return true, ""
	default:
		if m.leaderLocked("naming_persistent_service") == "" {
			return false, msgCouldNotFindLeader
		}
		return true, ""
	}
}

// refreshStatus is the ServerStatusUpdater, every StatusUpdate: the status the traffic
// filter and the naming readiness checker read lags the live error message by up to a period.
func (m *Member) refreshStatus() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshStatusLocked()
}

func (m *Member) refreshStatusLocked() {
	if m.override != "" {
		m.status = m.override
		return
	}
	if ok, _ := m.namingReadyLocked(); ok {
		m.status = stateUp
	} else {
		m.status = stateDown
	}
}

// readinessLocked aggregates the module health checkers (ModuleHealthCheckerHolder): the
// failing modules joined with " and ", then " not in readiness".
func (m *Member) readinessLocked() (bool, string) {
	var failing []string
	configOK := !m.faults.DBDown
	if m.faults.DBDown {
		m.logDatasourceLocked()
	}
	if m.cfg.Storage == StorageEmbedded && !m.cfg.Standalone {
		configOK = m.leaderLocked("nacos_config") != ""
	}
	if !configOK {
		failing = append(failing, "config")
	}
	if m.status != stateUp {
		failing = append(failing, "naming")
	}
	if len(failing) == 0 {
		return true, ""
	}
	return false, strings.Join(failing, " and ") + " not in readiness"
}

// DistroInitialized tells whether the member's Distro data has loaded.
func (m *Member) DistroInitialized() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.distroOK
}

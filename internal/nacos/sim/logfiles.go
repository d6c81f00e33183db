package sim

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The simulator writes the lines of a real member's log files that the pod sidecar reads
// (package memberlog), in logback's layout ("%date %level %msg%n%n", the member's local
// time), to <nacos.home>/logs: the same words the real servers logged here.

// logFileLocked appends one line to a log file; the caller holds m.mu. Errors are dropped,
// as logback drops them: a member does not stop for its logs.
func (m *Member) logFileLocked(file, level, format string, args ...any) {
	dir := filepath.Join(m.cfg.Home, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	stamp := m.cfg.Clock.Now().Local().Format("2006-01-02 15:04:05,000")
	_, _ = fmt.Fprintf(f, "%s %s %s\n\n", stamp, level, fmt.Sprintf(format, args...))
}

// everySecondLocked rate-limits a periodic line to once a second per key, as the real
// member's scheduled tasks log.
func (m *Member) everySecondLocked(key string) bool {
	now := m.cfg.Clock.Now()
	if m.logged == nil {
		m.logged = map[string]time.Time{}
	}
	if last, ok := m.logged[key]; ok && now.Sub(last) < time.Second {
		return false
	}
	m.logged[key] = now
	return true
}

// logStartingLocked: StartingApplicationListener logs this every second until the member is up.
func (m *Member) logStartingLocked() {
	if m.everySecondLocked("starting") {
		m.logFileLocked("nacos.log", "INFO", "Nacos is starting...")
	}
	if m.faults.RaftPartition && m.everySecondLocked("raft-join") {
		m.logFileLocked("protocol-raft.log", "ERROR", "Failed to join the cluster, retry...")
	}
}

// logPeerCheckLocked: the cluster gRPC client's health check of a peer it cannot reach.
func (m *Member) logPeerCheckLocked(peer string) {
	host, p, err := net.SplitHostPort(peer)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || !m.everySecondLocked("check "+peer) {
		return
	}
	m.logFileLocked("nacos.log", "ERROR", "Server check fail, please check server %s ,port %d is available , error ={}", host, port+1001)
}

// logDatasourceLocked: HikariPool's validation of a connection to a database that is gone.
func (m *Member) logDatasourceLocked() {
	if m.everySecondLocked("datasource") {
		m.logFileLocked("nacos.log", "WARN", "HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@1b2c3d4e (Communications link failure). Possibly consider using a shorter maxLifetime value.")
	}
}

// BlocksPort tells whether the member's network drops a port (its partition faults): with
// PeerPartition the cluster gRPC port, with RaftPartition the Raft port too. A pod sidecar's
// dials to or from it on that port time out, as through a real DROP rule.
func (m *Member) BlocksPort(port int) bool {
	f := m.Faulty()
	_, p, _ := net.SplitHostPort(m.cfg.Bind)
	main, _ := strconv.Atoi(p)
	switch port {
	case main + 1001:
		return f.PeerPartition || f.RaftPartition
	case main - 1000:
		return f.RaftPartition
	}
	return false
}

package sim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Handlers shared by both majors. Each takes the lock only to read the member's state.

func (m *Member) liveText(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "OK") }
func (m *Member) liveJSON(w http.ResponseWriter, _ *http.Request) { okV2(w, "ok") }

// dbQueryTimeout is how long a readiness check waits on a database that does not answer
// before it says "config not in readiness": longer than any health client waits. Real 2.4.3
// members with MariaDB stopped did not answer readiness within the operator's 7 s while their
// naming status answered at once.
const dbQueryTimeout = 30 * time.Second

// waitForDatabase blocks a readiness check while the external database is down, as the
// config module's count of config_info does.
func (m *Member) waitForDatabase(r *http.Request) {
	m.mu.Lock()
	down := m.faults.DBDown && m.cfg.Storage == StorageMySQL
	m.mu.Unlock()
	if !down {
		return
	}
	select {
	case <-r.Context().Done():
	case <-time.After(dbQueryTimeout):
	}
}

// readyText is 2.x /v1/console/health/readiness: 500 text when not ready.
func (m *Member) readyText(w http.ResponseWriter, r *http.Request) {
	m.waitForDatabase(r)
	m.mu.Lock()
	ok, msg := m.readinessLocked()
	m.mu.Unlock()
	if ok {
		writeText(w, http.StatusOK, "OK")
		return
	}
	writeText(w, http.StatusInternalServerError, msg)
}

// readyJSON answers {"code":30000,...} when not ready, with HTTP 200 (v2, 3.x 8848) or 500
// (3.x console).
func (m *Member) readyJSON(notReadyStatus int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m.waitForDatabase(r)
		m.mu.Lock()
		ok, msg := m.readinessLocked()
		m.mu.Unlock()
		if ok {
			okV2(w, "ok")
			return
		}
		writeJSON(w, notReadyStatus, map[string]any{"code": 30000, "message": msg, "data": nil})
	}
}

// metricsV1 is /v1/ns/operator/metrics behind TrafficReviseFilter: when the status is not UP
// and the User-Agent does not start with Nacos-Server, 503 text with the live error message.
func (m *Member) metricsV1(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	status := m.status
	_, msg := m.namingReadyLocked()
	m.mu.Unlock()
	if status != stateUp && !strings.HasPrefix(r.Header.Get("User-Agent"), "Nacos-Server") {
		text := "server is " + status + "now"
		if msg != "" {
			text += ", detailed error message: " + msg
		} else {
			text += ", please try again later!"
		}
		// TrafficReviseFilter writes the text without a Content-Type.
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(text))
		return
	}
	writeJSON(w, http.StatusOK, m.metricsBody(r, status, true))
}

func (m *Member) metricsWrapped(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	status := m.status
	m.mu.Unlock()
	okV2(w, m.metricsBody(r, status, false))
}

func (m *Member) metricsBody(r *http.Request, status string, withHost bool) map[string]any {
	body := map[string]any{"status": status}
	if r.URL.Query().Get("onlyStatus") != "false" {
		return body
	}
	for _, k := range []string{"serviceCount", "instanceCount", "subscribeCount", "clientCount", "connectionBasedClientCount",
		"ephemeralIpPortClientCount", "persistentIpPortClientCount", "responsibleClientCount"} {
		body[k] = 0
	}
	if withHost {
		body["responsibleInstanceCount"] = 0
		body["cpu"], body["load"], body["mem"] = 0.0, 0.0, 0.0
	}
	return body
}

// memberList filters by address prefix (or keyword: equal or prefix) and state; v1 sorts.
func (m *Member) memberList(sorted bool, envelope func(http.ResponseWriter, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		prefix := r.URL.Query().Get("keyword") + r.URL.Query().Get("address")
		state := r.URL.Query().Get("state")
		if state != "" && !validState(state) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 23000, "message": "illegal state", "data": "Illegal state: " + state})
			return
		}
		m.mu.Lock()
		var out []map[string]any
		for _, p := range m.members { // map order: v2/v3 lists are unordered in Nacos too
			if strings.HasPrefix(p.address, prefix) && (state == "" || strings.EqualFold(state, p.state)) {
				out = append(out, m.memberJSONLocked(p))
			}
		}
		m.mu.Unlock()
		if sorted {
			sort.Slice(out, func(i, j int) bool { return out[i]["address"].(string) < out[j]["address"].(string) })
		}
		envelope(w, out)
	}
}

func validState(s string) bool {
	switch strings.ToUpper(s) {
	case "UP", "DOWN", "SUSPICIOUS", "STARTING", "ISOLATION":
		return true
	}
	return false
}

func (m *Member) self(envelope func(http.ResponseWriter, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		body := m.memberJSONLocked(m.members[m.cfg.Address])
		m.mu.Unlock()
		envelope(w, body)
	}
}

func (m *Member) selfHealth(envelope func(http.ResponseWriter, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		state := m.members[m.cfg.Address].state
		m.mu.Unlock()
		envelope(w, state)
	}
}

func (m *Member) simpleNodes(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	var up []string
	for a, p := range m.members {
		if p.state == stateUp {
			up = append(up, a)
		}
	}
	m.mu.Unlock()
	okV1(w, up)
}

// stateMap is the server state map; every value is a string (or null).
func (m *Member) stateMap() map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	mode := "cluster"
	if m.cfg.Standalone {
		mode = "standalone"
	}
	platform := ""
	if m.cfg.Storage == StorageMySQL {
		platform = "mysql"
	}
	state := map[string]any{
		"version": m.version, "startup_mode": mode, "function_mode": nil, "server_port": m.portString(),
		"auth_enabled": boolString(m.auth.Enabled), "console_ui_enabled": "true", "datasource_platform": platform,
		"auth_system_type": "nacos", "auth_admin_request": boolString(m.auth.Enabled),
	}
	for k, v := range staticState {
		state[k] = v
	}
	if !m.cfg.Standalone {
		// Distro and JRaft settings, published only in cluster mode (real 2.5.1 and 3.0.3).
		for k, v := range clusterState {
			state[k] = v
		}
		state["data_load_retryDelayMs"] = itoa(m.cfg.Periods.DistroRetryDelay.Milliseconds())
	}
	if m.ver.major == 3 {
		// AuthModuleStateBuilder: true when client auth or admin auth (on by default) is on.
		state["auth_enabled"] = boolString(m.auth.Enabled || m.auth.AdminAPI == nil || *m.auth.AdminAPI)
		state["auth_admin_request"] = boolString(m.auth.AdminAPI == nil || *m.auth.AdminAPI)
	}
	state["login_page_enabled"] = boolString(m.auth.Enabled)
	return state
}

// staticState and clusterState are the other keys of a real 2.5.1 state map, with the values
// a member with default settings publishes (recorded in internal/nacos/testdata/real-2.5.1).
var staticState = map[string]any{
	"config_retention_days": "30", "defaultClusterQuota": "100000", "defaultGroupQuota": "200",
	"defaultMaxAggrCount": "10000", "defaultMaxAggrSize": "1024", "defaultMaxSize": "102400",
	"isCapacityLimitCheck": "false", "isHealthCheck": "true", "isManageCapacity": "true", "maxContent": "10485760",
	"maxHealthCheckFailCount": "12", "notifyConnectTimeout": "100", "notifySocketTimeout": "200",
	"plugin_datasource_log_enabled": "false",
}

var clusterState = map[string]any{
	"apply_batch": "32", "cli_service_thread_num": "4", "core_thread_num": "8", "data_load_timeoutMs": "30000",
	"data_sync_delayMs": "1000", "data_sync_retryDelayMs": "3000", "data_sync_timeoutMs": "3000",
	"data_verify_intervalMs": "5000", "data_verify_timeoutMs": "3000", "disruptor_buffer_size": "16384",
	"election_heartbeat_factor": "10", "election_timeout_ms": "5000", "enable_log_entry_checksum": "false",
	"max_append_buffer_size": "262144", "max_body_size": "524288", "max_byte_count_per_rpc": "131072",
	"max_election_delay_ms": "1000", "max_entries_size": "1024", "max_replicator_inflight_msgs": "256",
	"read_index_type": nil, "replicator_pipeline": "true", "rpc_request_timeout_ms": "5000",
	"snapshot_interval_secs": "1800", "sync": "true", "sync_meta": "false",
}

// raftOps is POST .../core/ops/raft; transferLeader is honoured locally and spreads with
// the term through reports.
func (m *Member) raftOps(envelope func(http.ResponseWriter, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var cmd struct{ GroupID, Command, Value string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&cmd); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "bad request body", "data": nil})
			return
		}
		m.mu.Lock()
		if cmd.Command == "transferLeader" {
			for name, g := range m.raft {
				if (cmd.GroupID == "" || cmd.GroupID == name) && g.peers[cmd.Value] && m.raftPeerAliveLocked(cmd.Value) {
					g.leader, g.term, g.leaderLost, g.published = cmd.Value, g.term+1, false, cmd.Value
				}
			}
		}
		m.mu.Unlock()
		envelope(w, nil)
	}
}

func (m *Member) portString() string { return itoa(int64(m.port)) }

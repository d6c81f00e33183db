package sim

import (
	"encoding/json"
	"net/http"
	"time"
)

// peerControlPath lets a test (or a script driving the nacos-sim binary) change a running
// member's faults and settings. It answers even while the member hangs.
const peerControlPath = "/_sim/v1/control"

// Control is the body of PUT /_sim/v1/control; absent fields are left as they are.
type Control struct {
	Faults      *ControlFaults `json:"faults,omitempty"`
	Warmup      *bool          `json:"warmup,omitempty"`
	AuthEnabled *bool          `json:"authEnabled,omitempty"`
	Version     *string        `json:"version,omitempty"`
}

// ControlFaults is Faults in JSON, with the delay in milliseconds.
type ControlFaults struct {
	Hang         bool  `json:"hang"`
	DelayMillis  int64 `json:"delayMillis"`
	ServerError  bool  `json:"serverError"`
	Garbage      bool  `json:"garbage"`
	DistroStuck  bool  `json:"distroStuck"`
	NoRaftLeader bool  `json:"noRaftLeader"`
	DBDown       bool  `json:"dbDown"`
}

func (m *Member) handleControl(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var c Control
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&c); err != nil {
			writeText(w, http.StatusBadRequest, "bad control body: "+err.Error())
			return
		}
		if c.Version != nil {
			if err := m.SetVersion(*c.Version); err != nil {
				writeText(w, http.StatusBadRequest, err.Error())
				return
			}
		}
		if f := c.Faults; f != nil {
			m.SetFaults(Faults{Hang: f.Hang, Delay: time.Duration(f.DelayMillis) * time.Millisecond, ServerError: f.ServerError,
				Garbage: f.Garbage, DistroStuck: f.DistroStuck, NoRaftLeader: f.NoRaftLeader, DBDown: f.DBDown})
		}
		if c.Warmup != nil {
			m.SetWarmup(*c.Warmup)
		}
		if c.AuthEnabled != nil {
			m.SetAuth(*c.AuthEnabled)
		}
	}
	f := m.Faulty()
	m.mu.Lock()
	warmup, auth, version := m.warmup, m.auth.Enabled, m.version
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, Control{
		Faults: &ControlFaults{Hang: f.Hang, DelayMillis: f.Delay.Milliseconds(), ServerError: f.ServerError, Garbage: f.Garbage,
			DistroStuck: f.DistroStuck, NoRaftLeader: f.NoRaftLeader, DBDown: f.DBDown},
		Warmup: &warmup, AuthEnabled: &auth, Version: &version,
	})
}

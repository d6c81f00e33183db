// Package podagent is the evidence half of the member pod's sidecar (the cluster.conf writer's
// container): it dials every peer's ports from inside the pod (package peercheck), follows the
// member's own log files (package memberlog) and serves both, read-only, on one HTTP path,
// which the operator reads in its observe phase like a Nacos API. It holds no secret: the
// dials carry no payload and the log follower keeps only codes and classed fields.
package podagent

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
)

// Path is the evidence endpoint; ?fresh=true dials the peers again before answering.
const Path = "/v1/evidence"

// Report is what the endpoint answers.
type Report struct {
	Pod string    `json:"pod"`
	At  time.Time `json:"at"`
	// PeerChecks and Logs say what is switched on (spec.diagnostics).
	PeerChecks bool              `json:"peerChecks"`
	Peers      []peercheck.Check `json:"peers,omitempty"`
	Logs       bool              `json:"logs"`
	LogEntries []memberlog.Entry `json:"logEntries,omitempty"`
	Phase      memberlog.Phase   `json:"phase"`
	// LogError says why the logs could not be read (a missing volume), without content.
	LogError string `json:"logError,omitempty"`
}

// Agent runs the checks and serves their results.
type Agent struct {
	Self string // the pod's name
	// Members lists the desired members (the operator's cluster.conf), "host:port" each.
	Members  func() ([]string, error)
	Checker  *peercheck.Checker  // nil: peer dialing is off
	Follower *memberlog.Follower // nil: log reading is off
	Period   time.Duration
	Clock    clock.WithTicker

	mu       sync.Mutex
	lastRun  time.Time
	logError string
}

// freshMin: an on-demand round is not repeated within this long.
const freshMin = time.Second

// Run checks every period until ctx ends.
func (a *Agent) Run(ctx context.Context) {
	t := a.Clock.NewTicker(a.Period)
	defer t.Stop()
	for {
		a.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

func (a *Agent) once(ctx context.Context) {
	if a.Follower != nil {
		err := a.Follower.Poll()
		a.mu.Lock()
		a.logError = ""
		if err != nil {
			a.logError = "cannot read the member's logs: " + err.Error()
		}
		a.mu.Unlock()
	}
	if a.Checker != nil && a.Members != nil {
		if members, err := a.Members(); err == nil {
			a.Checker.Round(ctx, peercheck.Peers(members, a.Self))
		}
	}
	a.mu.Lock()
	a.lastRun = a.Clock.Now()
	a.mu.Unlock()
}

// Report returns the current evidence; fresh runs a round first (unless one just ran).
func (a *Agent) Report(ctx context.Context, fresh bool) Report {
	a.mu.Lock()
	stale := a.Clock.Since(a.lastRun) >= freshMin
	a.mu.Unlock()
	if fresh && stale {
		a.once(ctx)
	}
	r := Report{Pod: a.Self, At: a.Clock.Now(), PeerChecks: a.Checker != nil, Logs: a.Follower != nil}
	if a.Checker != nil {
		r.Peers = a.Checker.Checks()
	}
	if a.Follower != nil {
		r.LogEntries, r.Phase = a.Follower.Entries(), a.Follower.Phase()
	}
	a.mu.Lock()
	r.LogError = a.logError
	a.mu.Unlock()
	return r
}

// Handler serves Path (GET only); every other path is 404.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		rep := a.Report(r.Context(), r.URL.Query().Get("fresh") == "true")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	})
	return mux
}

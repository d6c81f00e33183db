package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Member is one simulated Nacos server. Create it with New, then Start; Stop and Start again
// to restart it (its home directory, hence cluster.conf and the Raft configuration, persist).
type Member struct {
	cfg  Config
	ver  version
	port int

	mu       sync.Mutex
	running  bool
	open     bool      // the HTTP port listens (see Config.StartDelay)
	openedAt time.Time // when it opened
	started  time.Time
	members  map[string]*peer // by address, self included
	rrIndex  int
	distroOK bool
	status   string // naming ServerStatus, refreshed every StatusUpdate
	raft     map[string]*raftGroup
	faults   Faults
	missed   *int64 // with MissedLeaderEvent: the nacos_config term whose announcement was missed
	warmup   bool
	version  string
	auth     AuthConfig
	tokens   map[string]time.Time // access token -> expiry
	override string               // switch overriddenServerStatus
	log      []string
	logged   map[string]time.Time // periodic log-file lines, by key (everySecondLocked)
	seen     []string             // conf-directory event names, in processing order

	stop    chan struct{}
	wg      sync.WaitGroup
	servers []*http.Server
	watcher *fsnotify.Watcher
	peers   *http.Client

	// operatorCalls counts the operator's requests, for the cost benchmarks' Nacos calls
	// per minute.
	operatorCalls atomic.Int64
}

// OperatorCalls is how many requests the member has served to the operator (User-Agent
// nacos-operator), since it was created; peers and the kubelet's probes are not counted.
func (m *Member) OperatorCalls() int64 { return m.operatorCalls.Load() }

// Faults are misbehaviours settable while the member runs.
type Faults struct {
	Hang         bool          // every request (API and peer) blocks until the caller gives up; background tasks pause
	Delay        time.Duration // API answers are delayed by this much
	ServerError  bool          // API answers 500
	Garbage      bool          // API answers 200 with a body that is not what the endpoint documents
	DistroStuck  bool          // Distro snapshot loads fail, so Distro never initializes
	NoRaftLeader bool          // this member sees no leader in any Raft group
	DBDown       bool          // external MySQL unreachable: config readiness fails
	// PeerPartition cuts the member off from its peers (member reports and Distro, the
	// cluster gRPC port) while its HTTP API still answers: a network policy or firewall
	// between pods.
	PeerPartition bool
	// RaftPartition cuts the Raft port (7848) off as well. With embedded storage in cluster
	// mode a real member then never opens its HTTP port: it waits for the nacos_config group.
	RaftPartition bool
	// MissedLeaderEvent is the start-up stall measured on real 2.5.1 members (package
	// startup): an embedded-storage member told of its nacos_config leader before it
	// listened keeps its HTTP port closed until that group's leader changes (a new term).
	MissedLeaderEvent bool
	// StartupDeadlock is the other start-up stall measured on real 2.5.1 members (package
	// startup): an embedded-storage cluster member that heard its nacos_config leader
	// deadlocks in the config dump, its HTTP port closed whatever the leaders do, its Raft
	// port open; only a restart (a new member) clears it.
	StartupDeadlock bool
}

// New validates the configuration of a member; it does not start it.
func New(cfg Config) (*Member, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ver, _ := parseVersion(cfg.Version)
	if cfg.Auth.Store == nil {
		cfg.Auth.Store = &UserStore{}
	}
	cfg.Auth.Store.seed(cfg.Auth.Users)
	_, p, _ := net.SplitHostPort(cfg.Address)
	port, _ := strconv.Atoi(p)
	return &Member{cfg: cfg, ver: ver, port: port, warmup: cfg.Warmup, version: cfg.Version, auth: cfg.Auth,
		peers: &http.Client{Timeout: cfg.Periods.PeerTimeout}}, nil
}

// Address is the member's own address, as it appears in member lists.
func (m *Member) Address() string { return m.cfg.Address }

// Home is the member's nacos.home (conf/cluster.conf, data/).
func (m *Member) Home() string { return m.cfg.Home }

// Start reads cluster.conf, starts serving and starts the background tasks.
func (m *Member) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return fmt.Errorf("member %s already running", m.cfg.Address)
	}
	m.raft = m.loadRaft()
	raftListener, listeners, err := m.listenAtStartLocked()
	if err != nil {
		return err
	}
	now := m.cfg.Clock.Now()
	m.running, m.started, m.stop, m.missed = true, now, make(chan struct{}), nil
	m.members, m.rrIndex, m.distroOK, m.status, m.tokens = map[string]*peer{}, 0, false, "STARTING", map[string]time.Time{}
	if raftListener != nil {
		m.serveOne(raftListener, m.raftHandler())
	}
	list, err := readMemberList(m.cfg, m.port)
	if err != nil {
		m.logf("[serverlist] failed to get serverlist from disk!, error: %v", err)
	}
	if m.cfg.Standalone {
		list = nil
	}
	m.applyMembersLocked(list, now)
	m.members[m.cfg.Address].state = stateUp // web server initialized
	m.open = listeners != nil
	if m.open {
		m.openedAt = now
		m.serve(listeners)
	} else {
		m.wg.Add(1)
		go m.openWhenStarted()
	}
	if !m.cfg.Standalone {
		if err := m.watchClusterConf(); err != nil {
			m.logf("[serverlist] cannot watch %s: %v", m.cfg.clusterConfPath(), err)
		}
	}
	m.refreshStatusLocked()
	m.goLoop(m.cfg.Periods.StatusUpdate, 0, m.refreshStatus)
	m.goLoop(m.cfg.Periods.RaftTick, 0, m.raftTick)
	if !m.cfg.Standalone {
		m.goLoop(m.raftPingPeriod(), 0, m.raftPing)
	}
	if !m.cfg.Standalone {
		m.goLoop(m.cfg.Periods.Report, m.cfg.Periods.ReportDelay, m.reportNext)
		m.goLoop(m.cfg.Periods.UnhealthyProbe, m.cfg.Periods.ReportDelay, m.probeUnhealthy)
	}
	m.wg.Add(1)
	go m.loadDistro()
	return nil
}

// Stop kills the member the way SIGTERM does: servers close at once, peers are not told.
func (m *Member) Stop() {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		return
	}
	m.running, m.open, m.openedAt = false, false, time.Time{}
	close(m.stop)
	servers, watcher := m.servers, m.watcher
	m.servers, m.watcher = nil, nil
	m.saveRaftLocked()
	m.mu.Unlock()
	for _, s := range servers {
		_ = s.Close()
	}
	if watcher != nil {
		_ = watcher.Close()
	}
	m.wg.Wait()
}

// Running tells whether the member is started.
func (m *Member) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running
}

func (m *Member) listen() ([]net.Listener, error) {
	main, err := net.Listen("tcp", m.cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("member %s: listen on %s: %w", m.cfg.Address, m.cfg.Bind, err)
	}
	out := []net.Listener{main}
	if m.cfg.ConsoleBind != "" && m.ver.major == 3 {
		console, err := net.Listen("tcp", m.cfg.ConsoleBind)
		if err != nil {
			_ = main.Close()
			return nil, fmt.Errorf("member %s: listen on console %s: %w", m.cfg.Address, m.cfg.ConsoleBind, err)
		}
		out = append(out, console)
	}
	return out, nil
}

func (m *Member) serve(listeners []net.Listener) {
	handlers := []http.Handler{m.mainHandler(), m.consoleHandler()}
	for i, l := range listeners {
		m.serveOne(l, handlers[i])
	}
	m.serveRPCPortsLocked()
}

// serveRPCPortsLocked opens the two gRPC ports (main+1000 for clients, main+1001 for peers)
// with the web server, so that a dial from a pod's sidecar finds them open as on a real
// member; nothing is spoken on them. A port that cannot be opened is logged and skipped.
func (m *Member) serveRPCPortsLocked() {
	host, p, err := net.SplitHostPort(m.cfg.Bind)
	main, perr := strconv.Atoi(p)
	if err != nil || perr != nil || main == 0 {
		return
	}
	for _, offset := range []int{1000, 1001} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(main+offset)))
		if err != nil {
			m.logf("gRPC port %d: %v", main+offset, err)
			continue
		}
		m.serveOne(l, http.NotFoundHandler())
	}
}

// serveOne serves one listener until Stop; the caller holds m.mu.
func (m *Member) serveOne(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	m.servers = append(m.servers, srv)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.mu.Lock()
			m.logf("http server stopped: %v", err)
			m.mu.Unlock()
		}
	}()
}

// goLoop runs fn every period after an initial delay until Stop. Work pauses while the
// member hangs, as a JVM stuck in a pause does nothing.
func (m *Member) goLoop(period, delay time.Duration, fn func()) {
	m.wg.Add(1)
	stop := m.stop
	go func() {
		defer m.wg.Done()
		if delay > 0 {
			select {
			case <-stop:
				return
			case <-m.cfg.Clock.After(delay):
			}
		}
		t := m.cfg.Clock.NewTicker(period)
		defer t.Stop()
		for {
			if !m.Faulty().Hang {
				fn()
			}
			select {
			case <-stop:
				return
			case <-t.C():
			}
		}
	}()
}

// wait blocks for d or until Stop; false means the member stopped.
func (m *Member) wait(stop chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return false
	case <-m.cfg.Clock.After(d):
		return true
	}
}

// SetFaults replaces the member's faults.
func (m *Member) SetFaults(f Faults) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = f
}

// Faulty returns the current faults.
func (m *Member) Faulty() Faults {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.faults
}

// SetWarmup switches nacos.naming.data.warmup at run time.
func (m *Member) SetWarmup(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.warmup = on
}

// SetAuth switches nacos.core.auth.enabled at run time.
func (m *Member) SetAuth(enabled bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.auth.Enabled = enabled
}

// SetVersion changes the version the member reports (as a restart into a new image would).
func (m *Member) SetVersion(v string) error {
	parsed, err := parseVersion(v)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ver, m.version = parsed, v
	return nil
}

// Log returns what the member logged, like nacos-cluster.log and protocol-distro.log.
func (m *Member) Log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

// logf appends a log line; the caller holds m.mu.
func (m *Member) logf(format string, args ...any) {
	line := m.cfg.Clock.Now().Format(time.RFC3339Nano) + " " + fmt.Sprintf(format, args...)
	if len(m.log) >= 1000 {
		m.log = m.log[1:]
	}
	m.log = append(m.log, line)
}

// ctxFor bounds a peer call by the member's lifetime and the peer timeout.
func (m *Member) ctxFor(stop chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.Periods.PeerTimeout)
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

package sim

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Storage is where config data lives; embedded storage adds the nacos_config Raft group and
// makes config readiness depend on its leader.
type Storage string

const (
	// StorageEmbedded is Derby replicated by the nacos_config Raft group.
	StorageEmbedded Storage = "embedded"
	// StorageMySQL is an external database, healthy unless the DBDown fault is set.
	StorageMySQL Storage = "mysql"
)

// Periods are the intervals of the member's background tasks. Zero values take Nacos's
// defaults; tests shrink them.
type Periods struct {
	ReportDelay      time.Duration // first member report after the web server starts (5s)
	Report           time.Duration // member report to the next peer (2s)
	UnhealthyProbe   time.Duration // re-probe of every non-UP member (5s)
	StatusUpdate     time.Duration // naming ServerStatus refresh (5s)
	DistroRetryDelay time.Duration // Distro load retry (30s)
	DistroWaitList   time.Duration // Distro "waiting server list init" loop (1s)
	ElectionTimeout  time.Duration // Raft election timeout (5s)
	RaftTick         time.Duration // how often the Raft model re-evaluates leaders (ElectionTimeout/5)
	PeerTimeout      time.Duration // per peer call (3s)
}

func (p Periods) withDefaults() Periods {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.ReportDelay, 5*time.Second)
	def(&p.Report, 2*time.Second)
	def(&p.UnhealthyProbe, 5*time.Second)
	def(&p.StatusUpdate, 5*time.Second)
	def(&p.DistroRetryDelay, 30*time.Second)
	def(&p.DistroWaitList, time.Second)
	def(&p.ElectionTimeout, 5*time.Second)
	def(&p.RaftTick, p.ElectionTimeout/5)
	def(&p.PeerTimeout, 3*time.Second)
	return p
}

// FastPeriods are periods for tests: a cluster boots in well under a second.
func FastPeriods() Periods {
	return Periods{
		ReportDelay: 20 * time.Millisecond, Report: 20 * time.Millisecond, UnhealthyProbe: 40 * time.Millisecond,
		StatusUpdate: 20 * time.Millisecond, DistroRetryDelay: 150 * time.Millisecond, DistroWaitList: 20 * time.Millisecond,
		ElectionTimeout: 100 * time.Millisecond, RaftTick: 20 * time.Millisecond, PeerTimeout: 300 * time.Millisecond,
	}
}

// AuthConfig mirrors nacos.core.auth.* settings.
type AuthConfig struct {
	Enabled       bool              // nacos.core.auth.enabled
	AdminAPI      *bool             // 3.x nacos.core.auth.admin.enabled; nil = true (the 3.x default)
	IdentityKey   string            // nacos.core.auth.server.identity.key
	IdentityValue string            // nacos.core.auth.server.identity.value
	Users         map[string]string // username -> password
	TokenTTL      time.Duration     // nacos.core.auth.plugin.nacos.token.expire.seconds (18000s)
	// Store, when set, holds the users for every member that shares it, as the real
	// cluster keeps them in its database (MySQL, or Derby replicated through Raft): an admin
	// created on one member logs in on all. Users seeds it. Nil: each member keeps its own.
	Store *UserStore
}

// UserStore is a cluster's user table, shared by its simulated members.
type UserStore struct {
	mu    sync.Mutex
	users map[string]string
}

// user returns the password of a user.
func (s *UserStore) user(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users[name]
	return p, ok
}

// createAdmin adds the admin unless a user exists, and reports whether it did.
func (s *UserStore) createAdmin(name, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) > 0 {
		return false
	}
	s.users = map[string]string{name: password}
	return true
}

func (s *UserStore) seed(users map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil {
		s.users = map[string]string{}
	}
	for k, v := range users {
		if _, ok := s.users[k]; !ok {
			s.users[k] = v
		}
	}
}

// Config describes one simulated member.
type Config struct {
	// Version is the Nacos version, e.g. "2.5.1" or "3.0.3".
	Version string
	// Address is how the member names itself, exactly as cluster.conf must list it
	// (host:port, an IP or an FQDN in hostname mode).
	Address string
	// Bind is the listen address of the main port; defaults to Address.
	Bind string
	// ConsoleBind, for 3.x, is the listen address of the console port (8080); empty: none.
	ConsoleBind string
	// Home is nacos.home: conf/cluster.conf and data/ live under it.
	Home string
	// MemberList is nacos.member.list, used only when conf/cluster.conf does not exist.
	MemberList string
	// Standalone runs the member alone (MODE=standalone).
	Standalone bool
	// Warmup is nacos.naming.data.warmup (the official image sets true).
	Warmup bool
	// StrictRaft is nacos.core.protocol.raft.strictMode: CP is ready only when every Raft
	// group has a leader, so naming waits for leaders too.
	StrictRaft bool
	// Storage is embedded or mysql.
	Storage Storage
	// Auth settings.
	Auth AuthConfig
	// FailAccessCnt is nacos.core.member.fail-access-cnt (3).
	FailAccessCnt int
	// StartDelay keeps the HTTP port closed for this long after Start, as a real member's is
	// while Spring and the Raft groups start (55-65 s for a 2.5.1 cluster member here, see
	// docs/simulator.md). Member reports to peers wait for the port, as the real report task
	// waits for the web server.
	StartDelay time.Duration
	// Periods of background tasks; zero values take Nacos's defaults.
	Periods Periods
	// Clock drives every period and timestamp; defaults to the real clock.
	Clock clock.WithTicker
	// Resolve maps a member address (host:port) to the address to dial; defaults to itself.
	// Tests use it to give hostname-mode members loopback IPs.
	Resolve func(address string) string
}

func (c Config) withDefaults() (Config, error) {
	if c.Version == "" {
		c.Version = "2.5.1"
	}
	if _, err := parseVersion(c.Version); err != nil {
		return c, err
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return c, fmt.Errorf("member address %q must be host:port: %w", c.Address, err)
	}
	if c.Bind == "" {
		c.Bind = c.Address
	}
	if c.Home == "" {
		return c, fmt.Errorf("member %s: Home (nacos.home) is required", c.Address)
	}
	if c.Storage == "" {
		c.Storage = StorageEmbedded
	}
	if c.FailAccessCnt <= 0 {
		c.FailAccessCnt = 3
	}
	if c.Auth.TokenTTL <= 0 {
		c.Auth.TokenTTL = 18000 * time.Second
	}
	c.Periods = c.Periods.withDefaults()
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Resolve == nil {
		c.Resolve = func(a string) string { return a }
	}
	return c, nil
}

func (c Config) clusterConfPath() string { return filepath.Join(c.Home, "conf", "cluster.conf") }
func (c Config) dataDir() string         { return filepath.Join(c.Home, "data") }

// version is a parsed Nacos version; the naming-status rule changed across releases.
type version struct{ major, minor, patch int }

func parseVersion(s string) (version, error) {
	parts := strings.SplitN(strings.SplitN(s, "-", 2)[0], ".", 3)
	if len(parts) != 3 {
		return version{}, fmt.Errorf("version %q is not major.minor.patch", s)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return version{}, fmt.Errorf("version %q: %w", s, err)
		}
		v[i] = n
	}
	if v[0] != 2 && v[0] != 3 {
		return version{}, fmt.Errorf("version %q: the simulator models 2.x and 3.x", s)
	}
	return version{v[0], v[1], v[2]}, nil
}

func (v version) atLeast(major, minor, patch int) bool {
	if v.major != major {
		return v.major > major
	}
	if v.minor != minor {
		return v.minor > minor
	}
	return v.patch >= patch
}

// raftAddress follows MemberUtil.calculateRaftPort: the main port minus 1000. The simulator
// keeps its own copy rather than import the operator's (resource.RaftAddress): it is a model
// of Nacos and must not change when operator code does.
func raftAddress(address string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return address
	}
	return net.JoinHostPort(host, strconv.Itoa(n-1000))
}

package nacos

import "time"

// MemberState is a member's state as one Nacos node sees it (Nacos NodeState).
type MemberState string

// Member states. A member parsed from cluster.conf starts UP even if it was never
// reached; STARTING and ISOLATION are never set by 2.5.1 or 3.0.3 server code.
const (
	MemberUp         MemberState = "UP"
	MemberDown       MemberState = "DOWN"
	MemberSuspicious MemberState = "SUSPICIOUS"
	MemberStarting   MemberState = "STARTING"
	MemberIsolation  MemberState = "ISOLATION"
)

// RaftGroup is one JRaft group as a member last reported it. Nacos only ever adds
// keys to this map, so Leader and ErrMsg may be stale: compare across members.
type RaftGroup struct {
	Leader  string   // "host:7848"; "" while unknown
	Members []string // raftGroupMember, "host:7848" each
	Term    int64
	ErrMsg  string // set once the group hit an error
}

// Member is one entry of a Nacos member list.
type Member struct {
	IP            string
	Port          int
	Address       string // never empty; built from ip:port when Nacos omits it
	State         MemberState
	FailAccessCnt int
	// Version is extendInfo.version: "" until the member reported itself.
	Version string
	// LastRefreshTime is extendInfo.lastRefreshTime; zero when absent.
	LastRefreshTime time.Time
	// RaftPort is extendInfo.raftPort, a string in Nacos JSON.
	RaftPort string
	// Raft is extendInfo.raftMetaData.metaDataMap keyed by group; nil when absent.
	Raft map[string]RaftGroup
}

// NeverContacted reports a member parsed from cluster.conf that never reported
// itself: Nacos lists it UP anyway, with neither a version nor a refresh time.
func (m Member) NeverContacted() bool {
	return m.Version == "" && m.LastRefreshTime.IsZero()
}

// Readiness is a member's readiness. Not ready is an answer, not an error.
type Readiness struct {
	Ready bool
	// Message is Nacos's text when not ready, e.g. "naming not in readiness";
	// never empty then, and empty when ready.
	Message string
}

// NamingStatus is the naming module's ServerStatus. DOWN is an answer, not an error.
type NamingStatus struct {
	Status  string // "UP", "DOWN", "STARTING", "PAUSED", "WRITE_ONLY", "READ_ONLY"
	Message string // Nacos's detail when not UP, e.g. "Distro snapshot load failed, ..."
}

// ServerState is the server state map of a member.
type ServerState struct {
	Version            string // e.g. "2.5.1"
	Major              int    // first number of Version
	StartupMode        string // "cluster" or "standalone"
	FunctionMode       string // "" (null) means config and naming
	DatasourcePlatform string // e.g. "mysql"; "" for embedded storage
	// AuthEnabled is auth_enabled. On 3.x it is true when client or admin auth is on,
	// and admin auth is on by default.
	AuthEnabled bool
	Raw         map[string]string // every non-null entry
}

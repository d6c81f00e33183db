package rollout

import (
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// Member is what the planner knows of one member.
type Member struct {
	Name        string
	Ordinal     int
	Address     string // cluster.conf address
	Exists      bool   // the pod exists
	UID         string
	Terminating bool
	KubeReady   bool
	Pending     bool // the pod is not running (unschedulable, image pull...)
	CrashLoop   bool // a container waits in CrashLoopBackOff
	// Starting: the Nacos container runs but has not passed its startup probe yet (with
	// embedded storage its HTTP port stays closed for minutes). The probe's budget decides.
	Starting  bool
	CreatedAt time.Time // pod creation
	// NotReadySince is when the pod last turned not Ready (its creation if never Ready).
	NotReadySince time.Time
	// ReadySince is when the pod last turned Ready (zero while not Ready).
	ReadySince time.Time
	Revision   string

	Reachable     bool // the Nacos API answered
	NacosReady    bool
	ReadyMessage  string
	NamingUP      bool
	NamingMessage string
	View          []nacos.Member // the member's own member list
}

// LastRestart is the operator's record of the member it restarted last (kept in status so
// a new operator process knows it too).
type LastRestart struct {
	Member string
	UID    string // the deleted pod's UID
	At     time.Time
}

// Input is one pass's facts.
type Input struct {
	Now                   time.Time
	UpdateRevision        string
	TargetVersion         string // the version restarted members must report
	StsGeneration         int64
	StsObservedGeneration int64
	Members               []Member
	Desired               []string // addresses every view must list
	Last                  LastRestart
	Paused                bool
	SkipGates             map[string]bool
	// TransferLeadership moves Raft leadership off a member before restarting it.
	TransferLeadership bool
	// LastTransfer is when this operator last moved Raft leadership (zero: not recently).
	LastTransfer time.Time
	// TransferSettle is how long after a transfer every member must keep answering before
	// the next restart (resource.ReadinessWindow: a member failing readiness since the
	// transfer may still show Ready that long).
	TransferSettle time.Duration

	MemberReadyTimeout time.Duration
	StabilizationDelay time.Duration
	StuckTimeout       time.Duration
	RefreshMaxAge      time.Duration
}

// Action is what the controller should do.
type Action string

const (
	// ActionNone means every member is up to date.
	ActionNone Action = "None"
	// ActionDelete means delete the pod of Decision.Member (UID precondition Decision.UID).
	ActionDelete Action = "Delete"
	// ActionWait means do nothing; Gate, Member and Message say why.
	ActionWait Action = "Wait"
	// ActionTransfer means ask Decision.Member, the Raft leader due next, to hand leadership to
	// Decision.Target before it is restarted.
	ActionTransfer Action = "TransferLeadership"
)

// Decision is the planner's answer.
type Decision struct {
	Action   Action
	Member   string // the member to delete, or the one a wait concerns
	UID      string
	Gate     string // the failing gate (a condition reason) when waiting
	Message  string
	Target   string // raft address leadership moves to (ActionTransfer)
	Forced   bool   // a stuck member replaced without the health gates
	Deadline bool   // the last restarted member is past MemberReadyTimeout
	// Finishing: every member runs the update revision; the wait is for the member
	// restarted last to rejoin, which ends the rollout.
	Finishing bool
	Outdated  []string
}

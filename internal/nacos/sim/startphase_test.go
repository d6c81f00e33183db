package sim

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// refused tells whether nothing listens on addr (a real member's port before its web server).
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		_ = c.Close()
		return false
	}
	return true
}

// Facts from real 2.5.1 members: the HTTP port stays closed for the first minute, and peers
// see the starting member DOWN with no version until its web server (and report task) runs.
func TestStartDelayKeepsThePortClosedAndPeersSeeItDown(t *testing.T) {
	c := startCluster(t, 3, "127.0.21.", Config{Version: "2.5.1", Warmup: true})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "boot", func() error { return namingUp(t, m.cfg.Bind) })
	}
	late := c.Members[2]
	late.Stop()
	late.cfg.StartDelay = 600 * time.Millisecond
	started := time.Now()
	if err := late.Start(); err != nil {
		t.Fatal(err)
	}
	if !refused(late.cfg.Bind) {
		t.Fatal("the port answered at once; want it closed during StartDelay")
	}
	eventually(t, 10*time.Second, "peer lists the starting member DOWN", func() error {
		mem := view(t, c.Members[0], "/nacos/v1/core/cluster/nodes")[late.Address()]
		if mem["state"] != "DOWN" {
			return fmt.Errorf("state %v", mem["state"])
		}
		return nil
	})
	eventually(t, 10*time.Second, "naming UP once the port opened", func() error { return upOnceOpen(t, late.cfg.Bind) })
	if took := time.Since(started); took < late.cfg.StartDelay {
		t.Fatalf("ready after %s, before StartDelay %s", took, late.cfg.StartDelay)
	}
}

// With embedded storage a real member whose Raft port (7848) is cut off never opens its HTTP
// port (it waits for the nacos_config group); once the cut is lifted it starts.
func TestRaftPartitionHoldsTheEmbeddedMembersPort(t *testing.T) {
	c := startCluster(t, 3, "127.0.22.", Config{Version: "2.5.1", Warmup: true, Storage: StorageEmbedded})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "boot", func() error { return namingUp(t, m.cfg.Bind) })
	}
	m := c.Members[1]
	m.Stop()
	m.SetFaults(Faults{PeerPartition: true, RaftPartition: true})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	staysClosed(t, m, "the port opened while the Raft port is cut off")
	m.SetFaults(Faults{})
	eventually(t, 10*time.Second, "naming UP once healed", func() error { return upOnceOpen(t, m.cfg.Bind) })
}

func upOnceOpen(t *testing.T, addr string) error { return namingUp(t, addr) }

// staysClosed fails if the member's port opens within ten Raft ticks: held, not delayed (an
// observation over a window, not a wait).
func staysClosed(t *testing.T, m *Member, why string) {
	t.Helper()
	deadline := time.Now().Add(10 * m.cfg.Periods.RaftTick)
	for time.Now().Before(deadline) {
		if !refused(m.cfg.Bind) {
			t.Fatal(why)
		}
		<-time.After(m.cfg.Periods.RaftTick)
	}
}

// A member that missed its nacos_config leader announcement keeps its port closed while the
// group has that leader; moving the leadership (a new term) frees it, as on real 2.5.1.
func TestMissedLeaderEventHoldsThePortUntilTheLeaderChanges(t *testing.T) {
	c, m := restartedWith(t, "127.0.23.", Faults{MissedLeaderEvent: true})
	staysClosed(t, m, "the port opened although the member missed the leader announcement")
	moveConfigLeader(t, c.Members[0], m)
	eventually(t, 10*time.Second, "naming UP once a new leader was announced", func() error { return upOnceOpen(t, m.cfg.Bind) })
}

// A member deadlocked in start-up (real 2.5.1: the config dump blocked on Spring's bean lock)
// keeps its HTTP port closed whatever the leaders do, while its Raft port takes connections;
// a member behind RaftPartition drops them. Only a new start clears the deadlock.
func TestStartupDeadlockHoldsThePortThroughLeaderChangesWithTheRaftPortOpen(t *testing.T) {
	c, m := restartedWith(t, "127.0.25.", Faults{StartupDeadlock: true})
	client := nacos.New(m.cfg.Bind, nacos.Options{Timeout: time.Second})
	if !client.RaftPortOpen(t.Context()) {
		t.Fatal("the deadlocked member's Raft port dropped the connection; a real deadlocked JVM's JRaft server takes it")
	}
	moveConfigLeader(t, c.Members[0], m)
	staysClosed(t, m, "the port opened after a leader change although the member is deadlocked")
	m.SetFaults(Faults{StartupDeadlock: true, RaftPartition: true})
	if client.RaftPortOpen(t.Context()) {
		t.Fatal("the Raft port took a connection behind RaftPartition")
	}
	m.Stop()
	m.SetFaults(Faults{})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "naming UP after a restart", func() error { return upOnceOpen(t, m.cfg.Bind) })
}

// restartedWith boots a 3-member embedded 2.5.1 cluster on prefix and restarts member 2
// with faults.
func restartedWith(t *testing.T, prefix string, faults Faults) (*Cluster, *Member) {
	t.Helper()
	c := startCluster(t, 3, prefix, Config{Version: "2.5.1", Warmup: true, Storage: StorageEmbedded})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "boot", func() error { return namingUp(t, m.cfg.Bind) })
	}
	m := c.Members[2]
	m.Stop()
	m.SetFaults(faults)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	return c, m
}

// moveConfigLeader asks via (not necessarily the leader) to move nacos_config to target.
func moveConfigLeader(t *testing.T, via, target *Member) {
	t.Helper()
	body := fmt.Sprintf(`{"command":"transferLeader","value":%q,"groupId":"nacos_config"}`, raftAddress(target.cfg.Bind))
	resp, err := http.Post("http://"+via.cfg.Bind+"/nacos/v1/core/ops/raft", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("transferLeader answered %d", resp.StatusCode)
	}
}

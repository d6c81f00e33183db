package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestClusterBootsToNamingUpWithLeader(t *testing.T) {
	c := startCluster(t, 3, "127.0.11.", Config{Version: "2.5.1", Warmup: true})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "naming UP on "+m.Address(), func() error { return namingUp(t, m.cfg.Bind) })
	}
	// Every member sees every other UP with its version, and one agreed leader per group.
	eventually(t, 10*time.Second, "agreed leaders", func() error {
		leaders := map[string]string{}
		for _, m := range c.Members {
			for addr, mem := range view(t, m, "/nacos/v1/core/cluster/nodes") {
				ext := mem["extendInfo"].(map[string]any)
				if mem["state"] != "UP" || ext["version"] != "2.5.1" {
					return fmt.Errorf("%s sees %s as %v version %v", m.Address(), addr, mem["state"], ext["version"])
				}
				if addr != m.Address() {
					continue
				}
				groups := ext["raftMetaData"].(map[string]any)["metaDataMap"].(map[string]any)
				if len(groups) != 5 {
					return fmt.Errorf("%d raft groups, want 5 with embedded storage", len(groups))
				}
				for g, info := range groups {
					l, _ := info.(map[string]any)["leader"].(string)
					if l == "" || (leaders[g] != "" && leaders[g] != l) {
						return fmt.Errorf("group %s: leader %q on %s, %q elsewhere", g, l, m.Address(), leaders[g])
					}
					leaders[g] = l
				}
			}
		}
		return nil
	})
	a := get(t, c.Members[0].cfg.Bind, "/nacos/v1/console/health/readiness")
	if a.status != 200 || a.body != "OK" {
		t.Fatalf("readiness = %d %q, want 200 OK", a.status, a.body)
	}
}

func TestStoppedMemberGoesDownAndRejoinsWithDistroFromPeer(t *testing.T) {
	c := startCluster(t, 3, "127.0.12.", Config{Version: "2.5.1", Warmup: true})
	for _, m := range c.Members {
		eventually(t, 10*time.Second, "boot", func() error { return namingUp(t, m.cfg.Bind) })
	}
	victim := c.Members[2]
	victim.Stop()
	for _, peer := range c.Members[:2] {
		eventually(t, 10*time.Second, "peer sees the stopped member DOWN", func() error {
			mem := view(t, peer, "/nacos/v1/core/cluster/nodes")[victim.Address()]
			if mem["state"] != "DOWN" || mem["failAccessCnt"].(float64) < 1 {
				return fmt.Errorf("%s sees %v failAccessCnt %v", peer.Address(), mem["state"], mem["failAccessCnt"])
			}
			return nil
		})
	}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "restarted member naming UP", func() error { return namingUp(t, victim.cfg.Bind) })
	loadedFrom := ""
	for _, line := range victim.Log() {
		if strings.Contains(line, "load snapshot Nacos:Naming:v2:ClientData from") && strings.HasSuffix(line, "result: true") {
			loadedFrom = line
		}
	}
	if !strings.Contains(loadedFrom, c.Members[0].Address()) && !strings.Contains(loadedFrom, c.Members[1].Address()) {
		t.Fatalf("Distro of the restarted member did not load from a peer; log:\n%s", strings.Join(victim.Log(), "\n"))
	}
	for _, peer := range c.Members[:2] {
		eventually(t, 10*time.Second, "peers see it UP again with a fresh lastRefreshTime", func() error {
			mem := view(t, peer, "/nacos/v1/core/cluster/nodes")[victim.Address()]
			ext := mem["extendInfo"].(map[string]any)
			if mem["state"] != "UP" || ext["lastRefreshTime"] == nil {
				return fmt.Errorf("%s sees %v %v", peer.Address(), mem["state"], ext)
			}
			return nil
		})
	}
}

func TestLoneClusterMemberNeverBecomesReady(t *testing.T) {
	c := startCluster(t, 1, "127.0.13.", Config{Version: "2.5.1", Warmup: true})
	m := c.Members[0]
	eventually(t, 10*time.Second, "five waits for a server list", func() error {
		n := 0
		for _, l := range m.Log() {
			if strings.Contains(l, "[DISTRO-INIT] waiting server list init...") {
				n++
			}
		}
		if n < 5 {
			return fmt.Errorf("%d waits", n)
		}
		return nil
	})
	// Its own Raft groups elect it (a single peer is a majority), so only naming stays down.
	eventually(t, 10*time.Second, "only naming not ready", func() error {
		a := get(t, m.cfg.Bind, "/nacos/v1/console/health/readiness")
		if a.status != 500 || a.body != "naming not in readiness" {
			return fmt.Errorf("readiness = %d %q", a.status, a.body)
		}
		return nil
	})
	if m.DistroInitialized() {
		t.Fatal("a lone cluster member initialized Distro")
	}
	a := get(t, m.cfg.Bind, "/nacos/v1/ns/operator/metrics")
	want := "server is DOWNnow, detailed error message: " + msgDistroNotInitialized
	if a.status != 503 || a.body != want {
		t.Fatalf("metrics = %d %q, want 503 %q", a.status, a.body, want)
	}
}

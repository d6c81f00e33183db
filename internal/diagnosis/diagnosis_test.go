package diagnosis

import (
	"fmt"
	"strings"
	"testing"
	"time"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func addr(i int) string { return fmt.Sprintf("n-%d.h.ns.svc.cluster.local:8848", i) }

// cluster: three members, all healthy and agreeing, started an hour ago.
func cluster() Input {
	in := Input{Now: t0, Window: 2 * time.Minute, PublishNotReady: true, Endpoints: map[string]bool{"n-0": true, "n-1": true, "n-2": true}}
	var peers []string
	for i := 0; i < 3; i++ {
		in.Desired = append(in.Desired, addr(i))
		peers = append(peers, resource.RaftAddress(addr(i)))
	}
	var view []nacos.Member
	for i := 0; i < 3; i++ {
		view = append(view, nacos.Member{Address: addr(i), State: nacos.MemberUp,
			Raft: map[string]nacos.RaftGroup{"naming_persistent_service_v2": {Leader: peers[0], Members: peers}}})
	}
	for i := 0; i < 3; i++ {
		in.Members = append(in.Members, Member{Name: fmt.Sprintf("n-%d", i), Address: addr(i), PodIP: fmt.Sprintf("10.0.0.%d", i+1),
			Exists: true, Reachable: true, Ready: true, NamingUP: true, StartedAt: t0.Add(-time.Hour), View: view, CPURequestMilli: 500})
	}
	return in
}

// withConfigGroup gives every member's self entry a nacos_config group led by n-0.
func withConfigGroup(in *Input) {
	peers := []string{resource.RaftAddress(addr(0)), resource.RaftAddress(addr(1)), resource.RaftAddress(addr(2))}
	for i := range in.Members {
		view(in, i, func(v []nacos.Member) []nacos.Member {
			for j := range v {
				raft := map[string]nacos.RaftGroup{"nacos_config": {Leader: peers[0], Members: peers}}
				for g, rg := range v[j].Raft {
					raft[g] = rg
				}
				v[j].Raft = raft
			}
			return v
		})
	}
}

// sick marks member i as not initialized.
func sick(in *Input, i int) {
	in.Members[i].Ready, in.Members[i].NamingUP = false, false
	in.Members[i].NamingMessage = "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
}

func view(in *Input, i int, mutate func([]nacos.Member) []nacos.Member) {
	in.Members[i].View = mutate(append([]nacos.Member(nil), in.Members[i].View...))
}

func TestDiagnose(t *testing.T) {
	cases := []struct {
		name  string
		setup func(in *Input)
		codes []string // expected codes of n-1, in order
		text  string   // substring of the first finding
	}{
		{"healthy members get no diagnosis", func(in *Input) {}, nil, ""},
		{"recent restart: still initializing", func(in *Input) { sick(in, 1); in.Members[1].StartedAt = t0.Add(-40 * time.Second) },
			[]string{nacosv1alpha1.DiagStillInitializing}, "started at 2026-01-01T11:59:20Z and is loading Distro data"},
		{"past the window without visible cause", func(in *Input) { sick(in, 1) }, []string{nacosv1alpha1.DiagStillInitializing}, "read logs/protocol-distro.log"},
		{"cold start", func(in *Input) { sick(in, 0); sick(in, 1); sick(in, 2) }, []string{nacosv1alpha1.DiagColdStart}, "every member is initializing at once"},
		{"lone member", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member { return v[1:2] })
		}, []string{nacosv1alpha1.DiagLoneMember}, "lists only itself"},
		{"missing peer", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member { return v[:2] })
		}, []string{nacosv1alpha1.DiagMissingPeers}, "n-1 does not list n-2"},
		{"phantom self by IP", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member {
				return append(v, nacos.Member{Address: "10.0.0.2:8848", State: nacos.MemberUp})
			})
		}, []string{nacosv1alpha1.DiagPhantomSelf}, "lists itself as 10.0.0.2:8848"},
		{"extra member", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member {
				return append(v, nacos.Member{Address: addr(7), State: nacos.MemberUp})
			})
		}, []string{nacosv1alpha1.DiagExtraPeers}, addr(7)},
		{"peers unreachable from the member, reachable from the operator", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member {
				v[0].State, v[0].FailAccessCnt, v[2].State, v[2].FailAccessCnt = nacos.MemberDown, 5, nacos.MemberSuspicious, 2
				return v
			})
			in.Policies = []Policy{{Name: "deny-all-but-http", Ports: []int32{8848}}}
		}, []string{nacosv1alpha1.DiagPeersUnreachable, nacosv1alpha1.DiagNetworkPolicyBlocks, nacosv1alpha1.DiagNetworkPolicyBlocks}, "n-1 sees n-0 DOWN, n-2 SUSPICIOUS while"},
		{"a peer started seconds ago and still listed DOWN is catching up, not unreachable", func(in *Input) {
			sick(in, 1)
			in.Members[1].StartedAt = t0.Add(-40 * time.Second)
			in.Members[2].StartedAt = t0.Add(-2 * time.Second)
			view(in, 1, func(v []nacos.Member) []nacos.Member {
				v[2].State, v[2].FailAccessCnt = nacos.MemberDown, 1
				return v
			})
		}, []string{nacosv1alpha1.DiagStillInitializing}, "n-1 started at"},
		{"a policy admitting all ports is fine", func(in *Input) { sick(in, 1); in.Policies = []Policy{{Name: "open"}} }, []string{nacosv1alpha1.DiagStillInitializing}, ""},
		{"headless Service without publishNotReadyAddresses", func(in *Input) { sick(in, 1); in.PublishNotReady = false }, []string{nacosv1alpha1.DiagPeerDNS}, "publishNotReadyAddresses"},
		{"EndpointSlice lacks a member", func(in *Input) { sick(in, 1); delete(in.Endpoints, "n-2") }, []string{nacosv1alpha1.DiagPeerDNS}, "lack n-2"},
		{"no raft leader, in Nacos's words", func(in *Input) {
			in.Members[1].Ready, in.Members[1].NamingUP = false, false
			in.Members[1].NamingMessage = "No leader for raft, please see logs `alipay-jraft.log` or `naming-raft.log` to see details."
		}, []string{nacosv1alpha1.DiagNoRaftLeader}, "n-1: No leader for raft"},
		{"stale raft peer", func(in *Input) {
			sick(in, 1)
			view(in, 1, func(v []nacos.Member) []nacos.Member {
				rg := v[1].Raft["naming_persistent_service_v2"]
				rg.Members = append(append([]string(nil), rg.Members...), "10.9.9.9:7848")
				v[1].Raft = map[string]nacos.RaftGroup{"naming_persistent_service_v2": rg}
				return v
			})
		}, []string{nacosv1alpha1.DiagStaleRaftPeers}, "still lists 10.9.9.9:7848"},
		{"OOMKilled ranks first", func(in *Input) {
			sick(in, 1)
			in.Members[1].LastTermination, in.Members[1].RestartCount = "OOMKilled", 4
		}, []string{nacosv1alpha1.DiagOOMKilled}, "raise pod.resources.limits.memory"},
		{"crash looping", func(in *Input) { sick(in, 1); in.Members[1].CrashLoop, in.Members[1].RestartCount = true, 6 }, []string{nacosv1alpha1.DiagCrashLooping}, "6 restarts"},
		{"heap fills the memory limit: ranked after what is observed", func(in *Input) { sick(in, 1); in.Members[1].Heap, in.Members[1].MemoryLimit = 2<<30, 2<<30 },
			[]string{nacosv1alpha1.DiagStillInitializing, nacosv1alpha1.DiagResourceStarved}, "read logs/protocol-distro.log"},
		{"no CPU request", func(in *Input) {
			sick(in, 1)
			in.Members[1].CPURequestMilli, in.Members[1].StartedAt = 0, t0.Add(-10*time.Second)
		}, []string{nacosv1alpha1.DiagStillInitializing, nacosv1alpha1.DiagResourceStarved}, "started at 2026-01-01T11:59:50Z"},
		// Measured on real 2.5.1 and 3.0.3: with embedded storage the port stays closed until
		// the nacos_config Raft group has a leader, for minutes behind a 7848 drop.
		{"port closed while the startup probe has not passed: starting, not unreachable", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.StartupTimeout = t0.Add(-3*time.Minute), 10*time.Minute
		}, []string{nacosv1alpha1.DiagStarting}, "n-1 is starting (container started at 2026-01-01T11:57:00Z, startup probe not passed yet)"},
		// Measured on real 2.5.1: a member joining an elected nacos_config group can miss the
		// leader announcement and wait forever; peers report the leader and list it.
		{"still starting long after nacos_config elected a leader that lists it: stalled", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt = t0.Add(-2 * time.Minute)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupStalled}, "n-1 has been starting since 2026-01-01T11:58:00Z although Raft group nacos_config elected n-0.h.ns.svc.cluster.local:7848 and lists it"},
		{"stalled and nudged a minute ago without effect: starting, with the Raft port to check", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-time.Minute), 2
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStarting}, "2 new nacos_config leaders, the last announced at 2026-01-01T11:59:00Z, did not free it, so it is not waiting for a missed announcement; its Raft port 7848 does not accept the operator's connections either"},
		{"stalled and nudged once: still stalled, nudged again later", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-time.Minute), 1
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupStalled}, "the leadership the operator moved at 2026-01-01T11:59:00Z (1 of 2) did not free it, and its Raft port 7848 does not accept the operator's connections either; a second move follows 2m0s after the first"},
		{"stalled and nudged 30 s ago: the port should open within seconds", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-30*time.Second), 1
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupStalled}, "moved the group's leadership at 2026-01-01T11:59:30Z (1 of 2) to announce a leader again, and the member should open its port within seconds"},
		// Measured on real 2.5.1 (docs/real-nacos.md): the config dump deadlocks on Spring's
		// bean lock; new leaders start dumps that block too, and 7848 stays open.
		{"nudged a minute ago, still closed, Raft port open: deadlocked, the operator restarts it", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err, in.Members[1].RaftOpen = false, true, "state: connection refused", true
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-time.Minute), 1
			in.Members[1].RaftOpenSince = t0.Add(-5 * time.Minute)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupDeadlocked}, "n-1 has kept port 8848 closed since 2026-01-01T11:55:00Z, and a new nacos_config leader announced at 2026-01-01T11:59:00Z did not free it, while its Raft port 7848 accepts connections: Nacos is deadlocked in start-up (its config dump waits for a lock the starting main thread holds; measured on real 2.5.1), which only a restart clears: the operator deletes its pod (Event StartupRestarted; 0 of 2 restarts so far)"},
		{"nudged a minute ago, Raft port answering only for 30 s (a healed network): not yet deadlocked", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err, in.Members[1].RaftOpen = false, true, "state: connection refused", true
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-time.Minute), 1
			in.Members[1].RaftOpenSince = t0.Add(-30 * time.Second)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupStalled}, "should open its port within seconds"},
		{"deadlocked after the operator's restarts: left to the kubelet", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err, in.Members[1].RaftOpen = false, true, "state: connection refused", true
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-time.Minute), 1
			in.Members[1].RaftOpenSince = t0.Add(-5 * time.Minute)
			in.Members[1].Restarts, in.Members[1].RestartedAt, in.StartupTimeout = 2, t0.Add(-6*time.Minute), 10*time.Minute
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupDeadlocked}, "the operator restarted it 2 times, the last at 2026-01-01T11:54:00Z, and leaves it to the kubelet, which restarts it after pod.startupTimeout (10m0s)"},
		{"the replaced pod still terminating after the operator's restart: starting, not stalled", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].NudgedAt, in.Members[1].Nudges = t0.Add(-5*time.Minute), t0.Add(-2*time.Minute), 1
			in.Members[1].Restarts, in.Members[1].RestartedAt = 1, t0.Add(-time.Second)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStarting}, "; the operator restarted it at 2026-01-01T11:59:59Z to clear a start-up deadlock (1 of 2)"},
		{"the new pod stalled again after the operator's restart: stalled, to be nudged", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].Restarts, in.Members[1].RestartedAt = t0.Add(-3*time.Minute), 1, t0.Add(-3*time.Minute)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStartupStalled}, "the operator moves the group's leadership to announce it again"},
		{"starting again after the operator's restart: the restart is said", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt, in.Members[1].Restarts, in.Members[1].RestartedAt = t0.Add(-time.Minute), 1, t0.Add(-time.Minute)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStarting}, "; the operator restarted it at 2026-01-01T11:59:00Z to clear a start-up deadlock (1 of 2)"},
		{"starting for less than the stall time with a leader: starting", func(in *Input) {
			sick(in, 1)
			in.Members[1].Reachable, in.Members[1].Starting, in.Members[1].Err = false, true, "state: connection refused"
			in.Members[1].StartedAt = t0.Add(-90 * time.Second)
			withConfigGroup(in)
		}, []string{nacosv1alpha1.DiagStarting}, "n-1 is starting (container started at 2026-01-01T11:58:30Z"},
		{"unreachable from the operator", func(in *Input) { sick(in, 1); in.Members[1].Reachable, in.Members[1].Err = false, "readiness: Timeout" },
			[]string{nacosv1alpha1.DiagUnreachable}, "cannot reach n-1's Nacos API (readiness: Timeout)"},
		{"not probed (a terminating pod): no empty 'cannot reach ()'", func(in *Input) { sick(in, 1); in.Members[1].Reachable = false },
			[]string{nacosv1alpha1.DiagStillInitializing}, ""},
		{"a pod with no start time yet: no zero date", func(in *Input) { sick(in, 1); in.Members[1].StartedAt = time.Time{} },
			[]string{nacosv1alpha1.DiagStillInitializing}, "n-1 has not started yet (no start time on its pod): wait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster()
			tc.setup(&in)
			got := Diagnose(in)
			var codes []string
			for _, f := range got["n-1"] {
				codes = append(codes, f.Code)
			}
			if strings.Join(codes, ",") != strings.Join(tc.codes, ",") {
				t.Fatalf("codes %v, want %v (findings %+v)", codes, tc.codes, got["n-1"])
			}
			if tc.text != "" && !strings.Contains(got["n-1"][0].Message, tc.text) {
				t.Fatalf("first finding %q lacks %q", got["n-1"][0].Message, tc.text)
			}
			if _, ok := got["n-0"]; ok && tc.name != "cold start" {
				t.Fatalf("a healthy member got a diagnosis: %+v", got["n-0"])
			}
		})
	}
}

func TestOnlyNormalWaitsAreWaiting(t *testing.T) {
	in := cluster()
	sick(&in, 1)
	in.Members[1].StartedAt = t0.Add(-40 * time.Second)
	within := Diagnose(in)["n-1"][0]
	in.Members[1].StartedAt = t0.Add(-time.Hour)
	past := Diagnose(in)["n-1"][0]
	if within.Code != nacosv1alpha1.DiagStillInitializing || past.Code != nacosv1alpha1.DiagStillInitializing {
		t.Fatalf("codes %s and %s", within.Code, past.Code)
	}
	if !Waiting(within, 0) || Waiting(past, 0) {
		t.Errorf("within the window waiting=%v (%s); past it waiting=%v (%s); want true, false", Waiting(within, 0), within.Message, Waiting(past, 0), past.Message)
	}
	starting := nacosv1alpha1.Finding{Code: nacosv1alpha1.DiagStarting}
	if !Waiting(starting, 0) || Waiting(starting, 2) || Waiting(nacosv1alpha1.Finding{Code: nacosv1alpha1.DiagPeersUnreachable}, 0) {
		t.Error("Starting waits only until a nudge failed; a fault never waits")
	}
}

// With external MySQL, a database that does not answer shows as a readiness check that
// hangs (real 2.4.3, MariaDB stopped) or says "config not in readiness": the cause is the
// database, first, with its address; not an unreachable member and not a cold start.
func TestDatabaseDownIsNamedFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mark  func(m *Member)
		words string
	}{
		{"readiness hangs", func(m *Member) {
			m.Reachable, m.ReadinessHangs = false, true
			m.Err = "readiness: check readiness: GET /nacos/v1/console/health/readiness: Timeout: context deadline exceeded"
		}, "does not answer within the operator's timeout, while its naming status does"},
		{"config not in readiness", func(m *Member) { m.ReadyMessage = "config not in readiness" }, `it says "config not in readiness"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster()
			in.Database = "10.214.255.254:3306"
			for i := range in.Members {
				in.Members[i].Ready = false
				tc.mark(&in.Members[i])
			}
			out := Diagnose(in)
			for _, m := range in.Members {
				f := out[m.Name]
				if len(f) == 0 || f[0].Code != nacosv1alpha1.DiagDatabaseUnreachable {
					t.Fatalf("%s: %+v, want DatabaseUnreachable first", m.Name, f)
				}
				if !strings.Contains(f[0].Message, "MySQL at 10.214.255.254:3306") || !strings.Contains(f[0].Message, tc.words) {
					t.Errorf("%s: %q", m.Name, f[0].Message)
				}
				for _, g := range f {
					if g.Code == nacosv1alpha1.DiagUnreachable || g.Code == nacosv1alpha1.DiagColdStart {
						t.Errorf("%s: false finding %+v", m.Name, g)
					}
				}
			}
			// Embedded storage: the same words are no database finding.
			in.Database = ""
			for name, f := range Diagnose(in) {
				for _, g := range f {
					if g.Code == nacosv1alpha1.DiagDatabaseUnreachable {
						t.Errorf("embedded storage, %s: %+v", name, g)
					}
				}
			}
		})
	}
}

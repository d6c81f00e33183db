package nacos_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// The client against the simulator: the same answers the fixture contract tests decode,
// now produced by a running (simulated) cluster, for both majors.

const (
	identityKey   = "serverIdentity"
	identityValue = "s3cret-identity"
)

func simCluster(t *testing.T, version, prefix string, size int, mutate func(*sim.Config)) *sim.Cluster {
	t.Helper()
	tmpl := sim.Config{Version: version, Warmup: true, Periods: sim.FastPeriods(),
		Auth: sim.AuthConfig{IdentityKey: identityKey, IdentityValue: identityValue, Users: map[string]string{"admin": "pw"}}}
	if mutate != nil {
		mutate(&tmpl)
	}
	c, err := sim.NewCluster(sim.ClusterConfig{Size: size, IPPrefix: prefix, BaseDir: t.TempDir(), Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func poll(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		<-time.After(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

func identityClient(addr string) *nacos.Client {
	return nacos.New(addr, nacos.Options{Timeout: time.Second, Auth: nacos.Auth{IdentityKey: identityKey, IdentityValue: identityValue}})
}

func TestClientAgainstSimulator(t *testing.T) {
	for _, tc := range []struct {
		version, prefix string
		major           int
	}{{"2.5.1", "127.0.31.", 2}, {"3.0.3", "127.0.32.", 3}} {
		t.Run(tc.version, func(t *testing.T) {
			ctx := context.Background()
			c := simCluster(t, tc.version, tc.prefix, 3, nil)
			cl := identityClient(c.Members[0].Address())
			poll(t, "naming UP", func() error {
				ns, err := cl.NamingStatus(ctx)
				if err != nil || ns.Status != "UP" {
					return fmt.Errorf("%+v %w", ns, err)
				}
				return nil
			})
			state, err := cl.ServerState(ctx)
			if err != nil || state.Major != tc.major || state.Version != tc.version || state.StartupMode != "cluster" {
				t.Fatalf("server state %+v %v", state, err)
			}
			if err := cl.Liveness(ctx); err != nil {
				t.Fatalf("liveness: %v", err)
			}
			if r, err := cl.Readiness(ctx); err != nil || !r.Ready || r.Message != "" {
				t.Fatalf("readiness %+v %v", r, err)
			}
			poll(t, "every member UP with version and one agreed leader per group", func() error {
				return agreed(ctx, c, tc.version)
			})
			self, err := cl.Self(ctx)
			if err != nil || self.Address != c.Members[0].Address() || self.Version != tc.version || len(self.Raft) != 5+map[bool]int{true: 1}[tc.version == "3.0.3"] {
				t.Fatalf("self %+v %v", self, err)
			}
		})
	}
}

// agreed checks every member's view: all UP with the version, same leader per group.
func agreed(ctx context.Context, c *sim.Cluster, version string) error {
	leaders := map[string]string{}
	for _, m := range c.Members {
		members, err := identityClient(m.Address()).Members(ctx)
		if err != nil {
			return err
		}
		if len(members) != 3 {
			return fmt.Errorf("%s lists %d members", m.Address(), len(members))
		}
		for _, mem := range members {
			if mem.State != nacos.MemberUp || mem.Version != version || mem.NeverContacted() {
				return fmt.Errorf("%s sees %s %s version %q", m.Address(), mem.Address, mem.State, mem.Version)
			}
			if mem.Address != m.Address() {
				continue
			}
			for g, rg := range mem.Raft {
				if rg.Leader == "" || (leaders[g] != "" && leaders[g] != rg.Leader) || len(rg.Members) != 3 || rg.Term < 1 {
					return fmt.Errorf("group %s on %s: %+v (others %q)", g, m.Address(), rg, leaders[g])
				}
				leaders[g] = rg.Leader
			}
		}
	}
	// Embedded storage: four naming groups and nacos_config; 3.x adds lock_acquire_service_v2.
	if want := 5 + map[bool]int{true: 1}[strings.HasPrefix(version, "3.")]; len(leaders) != want {
		return fmt.Errorf("%d groups, want %d", len(leaders), want)
	}
	return nil
}

func TestClientSeesNotReadyInNacosWords(t *testing.T) {
	for _, tc := range []struct{ version, prefix string }{{"2.5.1", "127.0.33."}, {"3.0.3", "127.0.34."}} {
		t.Run(tc.version, func(t *testing.T) {
			ctx := context.Background()
			c := simCluster(t, tc.version, tc.prefix, 1, func(cfg *sim.Config) { cfg.Storage = sim.StorageMySQL })
			cl := identityClient(c.Members[0].Address())
			r, err := cl.Readiness(ctx)
			if err != nil || r.Ready || r.Message != "naming not in readiness" {
				t.Fatalf("readiness %+v %v", r, err)
			}
			ns, err := cl.NamingStatus(ctx)
			want := "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."
			if err != nil || ns.Status != "DOWN" || ns.Message != want {
				t.Fatalf("naming %+v %v", ns, err)
			}
		})
	}
}

func TestClientSeesStoppedPeerDown(t *testing.T) {
	ctx := context.Background()
	c := simCluster(t, "2.5.1", "127.0.35.", 3, nil)
	cl := identityClient(c.Members[0].Address())
	poll(t, "boot", func() error { return agreed(ctx, c, "2.5.1") })
	stopped := c.Members[2]
	stopped.Stop()
	poll(t, "peer sees it DOWN", func() error {
		members, err := cl.Members(ctx)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.Address == stopped.Address() && m.State == nacos.MemberDown && m.FailAccessCnt >= 1 {
				return nil
			}
		}
		return fmt.Errorf("members %+v", members)
	})
	_, err := identityClient(stopped.Address()).Readiness(ctx)
	if nacos.KindOf(err) != nacos.KindUnreachable {
		t.Fatalf("stopped member: %v (kind %q), want Unreachable", err, nacos.KindOf(err))
	}
}

func TestClientAuthAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ version, prefix string }{{"2.5.1", "127.0.36."}, {"3.0.3", "127.0.37."}} {
		t.Run(tc.version, func(t *testing.T) {
			c := simCluster(t, tc.version, tc.prefix, 1, func(cfg *sim.Config) { cfg.Auth.Enabled = true; cfg.Standalone = true })
			addr := c.Members[0].Address()
			_, err := nacos.New(addr, nacos.Options{}).Members(ctx)
			if nacos.KindOf(err) != nacos.KindAuthRefused {
				t.Fatalf("no credentials: %v", err)
			}
			token := nacos.New(addr, nacos.Options{Auth: nacos.Auth{Username: "admin", Password: "pw"}})
			if members, err := token.Members(ctx); err != nil || len(members) != 1 {
				t.Fatalf("with a token: %v %v", members, err)
			}
			_, err = nacos.New(addr, nacos.Options{Auth: nacos.Auth{Username: "admin", Password: "wrong"}}).Members(ctx)
			if nacos.KindOf(err) != nacos.KindAuthRefused || strings.Contains(err.Error(), "wrong") {
				t.Fatalf("bad password: %v", err)
			}
			if members, err := identityClient(addr).Members(ctx); err != nil || len(members) != 1 {
				t.Fatalf("with the identity: %v %v", members, err)
			}
		})
	}
}

func TestClientClassifiesSimulatedFaults(t *testing.T) {
	ctx := context.Background()
	c := simCluster(t, "2.5.1", "127.0.38.", 1, func(cfg *sim.Config) { cfg.Standalone = true })
	m := c.Members[0]
	cl := nacos.New(m.Address(), nacos.Options{Timeout: 200 * time.Millisecond, Major: 2,
		Auth: nacos.Auth{IdentityKey: identityKey, IdentityValue: identityValue}})
	cases := []struct {
		fault sim.Faults
		kind  nacos.ErrorKind
	}{
		{sim.Faults{Hang: true}, nacos.KindTimeout},
		{sim.Faults{ServerError: true}, nacos.KindServerError},
		{sim.Faults{Garbage: true}, nacos.KindMalformedBody},
		{sim.Faults{Delay: time.Second}, nacos.KindTimeout},
	}
	for _, tc := range cases {
		m.SetFaults(tc.fault)
		_, err := cl.Members(ctx)
		if nacos.KindOf(err) != tc.kind {
			t.Errorf("fault %+v: %v (kind %q), want %s", tc.fault, err, nacos.KindOf(err), tc.kind)
		}
	}
	m.SetFaults(sim.Faults{})
	if _, err := cl.Members(ctx); err != nil {
		t.Fatalf("after clearing faults: %v", err)
	}
}

func TestClientOnThreeXGetsGoneForTwoXPaths(t *testing.T) {
	ctx := context.Background()
	c := simCluster(t, "3.0.3", "127.0.39.", 1, func(cfg *sim.Config) { cfg.Standalone = true })
	// A client told (and trusting) the wrong major hits 2.x paths: APIGone, in Nacos's words.
	wrong := nacos.New(c.Members[0].Address(), nacos.Options{Major: 2, Auth: nacos.Auth{IdentityKey: identityKey, IdentityValue: identityValue}})
	_, err := wrong.Members(ctx)
	if nacos.KindOf(err) != nacos.KindAPIGone || !strings.Contains(err.Error(), "/v3/admin/core/cluster/node/list") {
		t.Fatalf("2.x path on 3.x: %v", err)
	}
	// Detecting the version picks the 3.x paths.
	members, err := identityClient(c.Members[0].Address()).Members(ctx)
	if err != nil || len(members) != 1 {
		t.Fatalf("members after re-detection: %v %v", members, err)
	}
	keys := []string{}
	for g := range members[0].Raft {
		keys = append(keys, g)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "lock_acquire_service_v2,naming_instance_metadata,naming_persistent_service,naming_persistent_service_v2,naming_service_metadata" { // standalone 3.0.3 as recorded
		t.Fatalf("raft groups %v", keys)
	}
}

func TestTransferLeaderAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	c := simCluster(t, "2.5.1", "127.0.40.", 3, nil)
	poll(t, "boot", func() error { return agreed(ctx, c, "2.5.1") })
	self, err := identityClient(c.Members[0].Address()).Self(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leader := self.Raft["naming_persistent_service_v2"].Leader
	var from, to string
	for _, m := range c.Members {
		raft := strings.Replace(m.Address(), ":8848", ":7848", 1)
		if raft == leader {
			from = m.Address()
		} else if to == "" {
			to = raft
		}
	}
	if err := identityClient(from).TransferLeader(ctx, to); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	poll(t, "every member follows the new leader", func() error {
		for _, m := range c.Members {
			s, err := identityClient(m.Address()).Self(ctx)
			if err != nil {
				return err
			}
			for g, rg := range s.Raft {
				if rg.Leader != to {
					return fmt.Errorf("%s: group %s leader %s, want %s", m.Address(), g, rg.Leader, to)
				}
			}
		}
		return nil
	})
}

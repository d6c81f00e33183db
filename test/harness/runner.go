package harness

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

// PodRun is what a Runner needs to run the Nacos process of one pod, as the container
// would see it: its IP, its own name (hostname mode), its home directory and its env.
type PodRun struct {
	Namespace, Name string
	IP              string            // the pod IP (a loopback address)
	Address         string            // <pod>.<subdomain>.<ns>.svc.<domain>:8848, how Nacos names itself
	Home            string            // nacos.home; conf/ is the pod's conf emptyDir
	Image           string            // the nacos container image
	Env             map[string]string // resolved env of the nacos container (Secrets read)
	Resolve         func(address string) string
	// Sidecar are the cluster-conf-writer's arguments (paths mapped to the pod's directories)
	// for a SidecarRunner, which runs it in the pod's network; nil otherwise.
	Sidecar []string
}

// Running is a started member.
type Running interface {
	Stop()
}

// Runner starts the Nacos process of a pod. The simulator runner is the default; a real
// Nacos JVM runner can plug in beside it (see docs/real-nacos.md).
type Runner interface {
	Run(p PodRun) (Running, error)
}

// PodIP is the n-th pod address under a /16 prefix ("10.213." or "127.77."): 250 per third
// octet, never .0; the kubelet, the real runner's bridge and the fidelity drivers share it.
func PodIP(prefix string, n int) string {
	return fmt.Sprintf("%s%d.%d", prefix, n/250, n%250+1)
}

// IPAllocator is implemented by a Runner whose members need pod IPs of its own (the real
// runner's bridge); the kubelet hands out loopback IPs otherwise.
type IPAllocator interface {
	AllocateIP() string
}

// SimRunner runs a simulated member per pod.
type SimRunner struct {
	// Periods of the simulated members (sim.FastPeriods() when zero).
	Periods sim.Periods
	// Faults, when set, gives the faults a member starts with (e.g. Distro stuck after a
	// restart), applied before its Distro starts loading.
	Faults func(p PodRun) sim.Faults
	// Configure, when set, adjusts a member's configuration before it starts (e.g. the
	// start phase of a real member, sim.Config.StartDelay).
	Configure func(p PodRun, c *sim.Config)
}

// Run starts a sim.Member configured the way the image's start script would configure Nacos.
func (r SimRunner) Run(p PodRun) (Running, error) {
	periods := r.Periods
	if periods == (sim.Periods{}) {
		periods = sim.FastPeriods()
	}
	props := readProperties(filepath.Join(p.Home, "conf", "application.properties"))
	cfg := sim.Config{
		Version:    VersionFromImage(p.Image),
		Address:    p.Address,
		Bind:       p.IP + ":8848",
		Home:       p.Home,
		Standalone: p.Env["MODE"] == "standalone",
		Warmup:     props["nacos.naming.data.warmup"] == "true",
		StrictRaft: props["nacos.core.protocol.raft.strictMode"] == "true",
		Storage:    sim.StorageMySQL,
		Periods:    periods,
		Resolve:    p.Resolve,
		Auth: sim.AuthConfig{
			Enabled:       p.Env["NACOS_AUTH_ENABLE"] == "true",
			IdentityKey:   p.Env["NACOS_AUTH_IDENTITY_KEY"],
			IdentityValue: p.Env["NACOS_AUTH_IDENTITY_VALUE"],
		},
	}
	if p.Env["EMBEDDED_STORAGE"] == "embedded" {
		cfg.Storage = sim.StorageEmbedded
	}
	if strings.HasPrefix(cfg.Version, "3.") {
		cfg.ConsoleBind = p.IP + ":8080"
	}
	cfg.Auth.Store = userStore(p)
	if r.Configure != nil {
		r.Configure(p, &cfg)
	}
	m, err := sim.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("configure simulated member %s: %w", p.Name, err)
	}
	if r.Faults != nil {
		m.SetFaults(r.Faults(p))
	}
	if err := m.Start(); err != nil {
		return nil, fmt.Errorf("start simulated member %s: %w", p.Name, err)
	}
	return m, nil
}

// userStores are the user tables of the simulated clusters, by namespace/cluster: members of
// one cluster share users (a real cluster keeps them in its database), and a restarted
// member finds them again.
var userStores sync.Map

func userStore(p PodRun) *sim.UserStore {
	cluster := p.Name
	if i := strings.LastIndex(cluster, "-"); i > 0 {
		cluster = cluster[:i]
	}
	s, _ := userStores.LoadOrStore(p.Namespace+"/"+cluster, &sim.UserStore{})
	return s.(*sim.UserStore)
}

// VersionFromImage reads the Nacos version from an official tag (nacos/nacos-server:v2.5.1).
// A tag that is not a version (say :vbroken) makes the member fail to start, like a bad image.
func VersionFromImage(image string) string {
	if i := strings.LastIndex(image, ":v"); i >= 0 {
		return strings.SplitN(image[i+2:], "-", 2)[0]
	}
	return "2.5.1"
}

func readProperties(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

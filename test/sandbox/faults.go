package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Fault is what `sandbox fault <pod> <fault>` does to one member.
type Fault string

// The faults, each a cause the operator's gates and diagnosis know (docs/sandbox.md).
const (
	// DistroStuck restarts the member with its Distro snapshot load failing until healed:
	// "Distro protocol is not initialized" (real members: port 9849 dropped, then SIGKILL).
	DistroStuck Fault = "distro-stuck"
	// Hang freezes the member: its ports stay open and nothing answers (real: SIGSTOP).
	Hang Fault = "hang"
	// Partition cuts the member off from its peers while its HTTP API answers (real: ports
	// 9848, 9849 and 7848 dropped in its network namespace).
	Partition Fault = "partition"
	// Crash kills the member's process once; the kubelet starts it again.
	Crash Fault = "crash"
	// Heal lifts every fault of the member.
	Heal Fault = "heal"
)

// Faults lists every fault, for usage messages.
func Faults() []Fault { return []Fault{DistroStuck, Hang, Partition, Crash, Heal} }

// ParseFault reads a fault name.
func ParseFault(s string) (Fault, error) {
	for _, f := range Faults() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, len(Faults()))
	for _, f := range Faults() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown fault %q: want one of %s", s, strings.Join(names, ", "))
}

// faultTable holds the faults that survive a member's restart (a stuck Distro, a network
// partition), by namespace/pod, so the simulated member started next has them too.
type faultTable struct {
	mu     sync.Mutex
	sticky map[string]sim.Faults
}

func newFaultTable() *faultTable { return &faultTable{sticky: map[string]sim.Faults{}} }

func (t *faultTable) atStart(p harness.PodRun) sim.Faults {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sticky[pod{p.Namespace, p.Name}.key()]
}

func (t *faultTable) update(p pod, f func(*sim.Faults)) sim.Faults {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.sticky[p.key()]
	f(&cur)
	if cur == (sim.Faults{}) {
		delete(t.sticky, p.key())
	} else {
		t.sticky[p.key()] = cur
	}
	return cur
}

// Active lists the sticky faults, "namespace/pod: fault" each, sorted.
func (t *faultTable) active() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for k, f := range t.sticky {
		var names []string
		if f.DistroStuck {
			names = append(names, string(DistroStuck))
		}
		if f.PeerPartition {
			names = append(names, string(Partition))
		}
		out = append(out, k+": "+strings.Join(names, ", "))
	}
	sort.Strings(out)
	return out
}

type pod struct{ ns, name string }

func (p pod) key() string { return p.ns + "/" + p.name }

// Fault applies a fault to the member of a pod and says what it did.
func (s *Sandbox) Fault(namespace, name string, f Fault) (string, error) {
	if s.Kubelet.Member(namespace, name) == nil {
		return "", fmt.Errorf("pod %s/%s has no running member (kubectl get pods -n %s)", namespace, name, namespace)
	}
	if s.opts.Real {
		return s.realFault(namespace, name, f)
	}
	return s.simFault(pod{namespace, name}, f)
}

func (s *Sandbox) simFault(p pod, f Fault) (string, error) {
	member, ok := s.Kubelet.Member(p.ns, p.name).(*sim.Member)
	if !ok {
		return "", fmt.Errorf("pod %s has no simulated member", p.key())
	}
	switch f {
	case DistroStuck:
		s.faults.update(p, func(c *sim.Faults) { c.DistroStuck = true })
		if err := s.Kubelet.Restart(p.ns, p.name, "restarted by the sandbox's distro-stuck fault"); err != nil {
			return "", fmt.Errorf("restart %s: %w", p.key(), err)
		}
		return p.name + " restarted; its Distro snapshot loads fail until `heal`", nil
	case Hang:
		member.SetFaults(withHang(member.Faulty(), true))
		return p.name + " hangs: every request blocks until the caller gives up", nil
	case Partition:
		cur := s.faults.update(p, func(c *sim.Faults) { c.PeerPartition = true })
		member.SetFaults(withHang(cur, member.Faulty().Hang))
		return p.name + " is cut off from its peers (ports 9848, 9849, 7848); its HTTP API answers", nil
	case Crash:
		if err := s.Kubelet.Restart(p.ns, p.name, "killed by the sandbox's crash fault"); err != nil {
			return "", fmt.Errorf("restart %s: %w", p.key(), err)
		}
		return p.name + " crashed; the kubelet started it again", nil
	case Heal:
		s.faults.update(p, func(c *sim.Faults) { *c = sim.Faults{} })
		member.SetFaults(sim.Faults{})
		return p.name + " healed", nil
	}
	return "", fmt.Errorf("unknown fault %q", f)
}

func withHang(f sim.Faults, hang bool) sim.Faults { f.Hang = hang; return f }

// realFault does to a real JVM what the fault stands for: signals and port drops in the
// pod's network namespace (the ones the real lane measured, docs/real-nacos.md).
func (s *Sandbox) realFault(namespace, name string, f Fault) (string, error) {
	m := s.real.Member(namespace, name)
	if m == nil {
		return "", fmt.Errorf("pod %s/%s has no real member", namespace, name)
	}
	distro := []int{resource.PortPeerGRPC}
	partition := []int{resource.PortClientGRPC, resource.PortPeerGRPC, resource.PortRaft}
	switch f {
	case DistroStuck:
		s.real.DropAtStart(namespace, name, distro...)
		if err := m.DropPorts(distro...); err != nil {
			return "", fmt.Errorf("drop ports of %s: %w", name, err)
		}
		m.Crash()
		return name + " killed behind a drop of port 9849; it restarts after the kubelet's back-off and cannot load Distro", nil
	case Hang:
		m.Pause()
		return name + " frozen (SIGSTOP)", nil
	case Partition:
		s.real.DropAtStart(namespace, name, partition...)
		if err := m.DropPorts(partition...); err != nil {
			return "", fmt.Errorf("drop ports of %s: %w", name, err)
		}
		return name + " cut off from its peers: ports 9848, 9849 and 7848 dropped in its namespace", nil
	case Crash:
		m.Crash()
		return name + " killed (SIGKILL); restarted after the kubelet's back-off", nil
	case Heal:
		s.real.DropAtStart(namespace, name)
		m.Resume()
		if err := m.Heal(); err != nil {
			return "", fmt.Errorf("heal %s: %w", name, err)
		}
		return name + " healed (SIGCONT, drops lifted)", nil
	}
	return "", fmt.Errorf("unknown fault %q", f)
}

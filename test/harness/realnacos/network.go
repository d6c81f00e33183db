// Package realnacos runs real Nacos servers as the members of pods, the way the kubelet, the
// container runtime and the nacos/nacos-server image would: one network namespace per pod on a
// bridge the harness owns (the pod IP), one UTS namespace whose hostname is the pod's, a mount
// namespace laid out like the image (/home/nacos with target/, conf/, data/, logs/), the pod's
// env given to the image's own docker-startup.sh, and a hosts file that answers like the
// headless Service's DNS. It plugs into harness.Runner next to the simulated members.
//
// It needs root and the tools of hack/netns-tools.sh, and the servers of hack/nacos-server.sh.
// Everything it creates carries the name prefix of its Network, and a new Network first removes
// what a crashed earlier run with the same prefix left behind.
package realnacos

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Network is a bridge with one network namespace per pod, and the hosts files that stand in
// for the cluster DNS. Traffic goes only to addresses of namespaces it made.
type Network struct {
	Prefix string // name prefix of every namespace and link, e.g. "nacosrt"
	Subnet byte   // pods get 10.<Subnet>.x.y/16; the host side of the bridge is 10.<Subnet>.255.254

	mu     sync.Mutex
	next   int                        // pod IPs handed out
	nextNS int                        // namespaces made
	pods   map[string]*netPod         // by namespace name
	names  map[string]string          // fqdn -> ip, for every running pod
	hidden map[string]map[string]bool // pod hostname -> peer hostnames its hosts file omits
}

type netPod struct {
	ns, veth, ip, fqdn, hostname string
}

// NewNetwork removes leftovers of an earlier run with the same prefix and creates the bridge.
func NewNetwork(prefix string, subnet byte) (*Network, error) {
	if len(prefix) == 0 || len(prefix) > 8 {
		return nil, fmt.Errorf("network prefix %q: want 1-8 characters (link names are at most 15)", prefix)
	}
	n := &Network{Prefix: prefix, Subnet: subnet, pods: map[string]*netPod{}, names: map[string]string{}}
	n.removeLeftovers()
	br := n.bridge()
	if err := run("ip", "link", "add", br, "type", "bridge"); err != nil {
		return nil, fmt.Errorf("create bridge %s (needs root; see hack/netns-tools.sh): %w", br, err)
	}
	if err := runAll(
		[]string{"ip", "addr", "add", n.HostIP() + "/16", "dev", br},
		[]string{"ip", "link", "set", br, "up"},
	); err != nil {
		n.removeLeftovers()
		return nil, fmt.Errorf("configure bridge %s: %w", br, err)
	}
	return n, nil
}

func (n *Network) bridge() string { return n.Prefix + "-br" }

// HostIP is the host's address on the bridge (the test process talks to pods from it).
func (n *Network) HostIP() string { return fmt.Sprintf("10.%d.255.254", n.Subnet) }

// AllocateIP returns the next free pod IP.
func (n *Network) AllocateIP() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	return harness.PodIP(fmt.Sprintf("10.%d.", n.Subnet), n.next)
}

// AddPod creates the pod's network namespace with ip on the bridge, and lists fqdn in every
// pod's hosts file. It returns the namespace name.
func (n *Network) AddPod(ip, fqdn string) (string, error) {
	n.mu.Lock()
	n.nextNS++
	id := n.nextNS
	n.mu.Unlock()
	hostname, _, _ := strings.Cut(fqdn, ".")
	p := &netPod{ns: fmt.Sprintf("%s-%s-%d", n.Prefix, hostname, id), veth: fmt.Sprintf("%sv%d", n.Prefix, id), ip: ip, fqdn: fqdn, hostname: hostname}
	peer := p.veth + "p"
	err := runAll(
		[]string{"ip", "netns", "add", p.ns},
		[]string{"ip", "link", "add", p.veth, "type", "veth", "peer", "name", peer},
		[]string{"ip", "link", "set", p.veth, "master", n.bridge()},
		[]string{"ip", "link", "set", p.veth, "up"},
		[]string{"ip", "link", "set", peer, "netns", p.ns},
		[]string{"ip", "-n", p.ns, "link", "set", peer, "name", "eth0"},
		[]string{"ip", "-n", p.ns, "addr", "add", ip + "/16", "dev", "eth0"},
		[]string{"ip", "-n", p.ns, "link", "set", "eth0", "up"},
		[]string{"ip", "-n", p.ns, "link", "set", "lo", "up"},
	)
	if err != nil {
		n.removePod(p)
		return "", fmt.Errorf("create network namespace for %s: %w", fqdn, err)
	}
	n.mu.Lock()
	n.pods[p.ns] = p
	n.names[fqdn] = ip
	n.mu.Unlock()
	return p.ns, n.writeHosts()
}

// RemovePod deletes the namespace (its processes must have exited) and its hosts entry.
func (n *Network) RemovePod(ns string) {
	n.mu.Lock()
	p := n.pods[ns]
	delete(n.pods, ns)
	if p != nil && n.names[p.fqdn] == p.ip {
		delete(n.names, p.fqdn)
	}
	n.mu.Unlock()
	if p != nil {
		n.removePod(p)
		_ = n.writeHosts()
	}
}

func (n *Network) removePod(p *netPod) {
	killNamespace(p.ns)
	_ = run("ip", "link", "del", p.veth)
	_ = run("ip", "netns", "del", p.ns)
	_ = os.RemoveAll(filepath.Join("/etc/netns", p.ns))
}

// writeHosts rewrites every pod's hosts file in place (ip netns exec bind-mounts the file, so
// a rename would leave running members with the old one): the pod's own line first, as the
// kubelet writes it, then every other member as the headless Service's DNS answers.
func (n *Network) writeHosts() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var others []string
	for fqdn, ip := range n.names {
		others = append(others, fmt.Sprintf("%s\t%s", ip, fqdn))
	}
	sort.Strings(others)
	var errs []error
	for _, p := range n.pods {
		var b bytes.Buffer
		fmt.Fprintf(&b, "# Written by the nacos-operator test harness (kubelet + cluster DNS stand-in).\n")
		fmt.Fprintf(&b, "127.0.0.1\tlocalhost\n%s\t%s\t%s\n", p.ip, p.fqdn, p.hostname)
		for _, line := range others {
			_, fqdn, _ := strings.Cut(line, "\t")
			peer, _, _ := strings.Cut(fqdn, ".")
			if fqdn != p.fqdn && !n.hidden[p.hostname][peer] {
				b.WriteString(line + "\n")
			}
		}
		dir := filepath.Join("/etc/netns", p.ns)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		// A name the hosts file lacks fails at once: the only nameserver is the namespace's
		// own loopback, where nothing listens (no query leaves the namespace).
		errs = append(errs, os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"), 0o644))
		f, err := os.OpenFile(filepath.Join(dir, "hosts"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = f.Write(b.Bytes())
		errs = append(errs, err, f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write hosts files: %w", err)
	}
	return nil
}

// Hide removes peer (a pod hostname) from pod's hosts file, now and in its later
// namespaces (a cluster DNS that fails for one peer); hidden false puts it back.
func (n *Network) Hide(pod, peer string, hidden bool) error {
	n.mu.Lock()
	if n.hidden == nil {
		n.hidden = map[string]map[string]bool{}
	}
	if n.hidden[pod] == nil {
		n.hidden[pod] = map[string]bool{}
	}
	n.hidden[pod][peer] = hidden
	n.mu.Unlock()
	return n.writeHosts()
}

// DropPorts drops TCP traffic to the given ports in and out of one pod's namespace (the peer
// partition of the "Distro protocol is not initialized" case); Heal lifts it.
func (n *Network) DropPorts(ns string, ports ...int) error {
	for _, port := range ports {
		p := strconv.Itoa(port)
		if err := runAll(
			[]string{"ip", "netns", "exec", ns, "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", p, "-j", "DROP"},
			[]string{"ip", "netns", "exec", ns, "iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "--dport", p, "-j", "DROP"},
		); err != nil {
			return fmt.Errorf("drop port %d in %s (iptables from hack/netns-tools.sh): %w", port, ns, err)
		}
	}
	return nil
}

// Heal removes every drop rule of the namespace.
func (n *Network) Heal(ns string) error {
	return runAll(
		[]string{"ip", "netns", "exec", ns, "iptables", "-w", "-F", "INPUT"},
		[]string{"ip", "netns", "exec", ns, "iptables", "-w", "-F", "OUTPUT"},
	)
}

// Close removes every namespace, link and file the network made.
func (n *Network) Close() {
	n.mu.Lock()
	pods := make([]*netPod, 0, len(n.pods))
	for _, p := range n.pods {
		pods = append(pods, p)
	}
	n.pods, n.names = map[string]*netPod{}, map[string]string{}
	n.mu.Unlock()
	for _, p := range pods {
		n.removePod(p)
	}
	n.removeLeftovers()
}

// removeLeftovers deletes namespaces, links and hosts files carrying this prefix, killing
// whatever still runs inside those namespaces (a crashed earlier run).
func (n *Network) removeLeftovers() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasPrefix(name, n.Prefix+"-") {
			killNamespace(name)
			_ = run("ip", "netns", "del", name)
		}
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(links), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, n.Prefix) {
			_ = run("ip", "link", "del", name)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join("/etc/netns", n.Prefix+"-*"))
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}

// killNamespace SIGKILLs every process left in a namespace and waits briefly for them to go.
func killNamespace(ns string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return
		}
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(50 * time.Millisecond) // process exit is not observable otherwise; bounded
	}
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func runAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := run(c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

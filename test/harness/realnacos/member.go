package realnacos

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Member is one running Nacos JVM: a process group inside its pod's namespaces.
type Member struct {
	Name      string // pod name
	IP        string
	Namespace string // network namespace
	Home      string // the pod's directory: conf/, data/, logs/ as the image mounts them
	Started   time.Time

	net   *Network
	cmd   *exec.Cmd
	out   *os.File
	grace time.Duration
	done  chan struct{}
	err   error
	once  sync.Once
}

// mountScript lays out /home/nacos the way the image and the pod's volumes do, inside the
// member's own mount namespace (ip netns exec makes one, slave to the host's, so nothing
// propagates back), names the UTS namespace after the pod, and execs the image's entrypoint.
// The harness's own variables (_RT_*) are removed before the entrypoint sees the env.
const mountScript = `set -eu
hostname "$_RT_HOSTNAME"
mount -t tmpfs -o mode=755 tmpfs /home
mkdir -p /home/nacos/target /home/nacos/bin /home/nacos/conf /home/nacos/data /home/nacos/logs /home/nacos/plugins
mount --bind "$_RT_SERVER/target" /home/nacos/target
mount --bind "$_RT_SERVER/bin" /home/nacos/bin
mount --bind "$_RT_HOME/conf" /home/nacos/conf
mount --bind "$_RT_HOME/data" /home/nacos/data
mount --bind "$_RT_HOME/logs" /home/nacos/logs
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /root
cd /home/nacos
unset _RT_HOSTNAME _RT_SERVER _RT_HOME
exec bash bin/docker-startup.sh
`

func startMember(n *Network, ns, name, ip, home, server string, env []string, grace time.Duration) (*Member, error) {
	for _, d := range []string{"conf", "data", "logs"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return nil, fmt.Errorf("create %s of %s: %w", d, name, err)
		}
	}
	out, err := os.OpenFile(filepath.Join(home, "container.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create container log of %s: %w", name, err)
	}
	hostname, _, _ := strings.Cut(name, ".")
	cmd := exec.Command("ip", "netns", "exec", ns, "unshare", "--uts", "--", "bash", "-c", mountScript)
	cmd.Env = append(env, "_RT_HOSTNAME="+hostname, "_RT_SERVER="+server, "_RT_HOME="+home)
	cmd.Stdout, cmd.Stderr = out, out
	// One process group per member: signals reach the JVM (every step above execs), and a
	// dying test process takes its members with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start member %s: %w", name, err)
	}
	m := &Member{Name: name, IP: ip, Namespace: ns, Home: home, Started: time.Now(), net: n, cmd: cmd, out: out, grace: grace, done: make(chan struct{})}
	go func() { m.err = cmd.Wait(); _ = out.Close(); close(m.done) }()
	return m, nil
}

func (m *Member) signal(sig syscall.Signal) {
	if m.cmd.Process != nil {
		_ = syscall.Kill(-m.cmd.Process.Pid, sig)
	}
}

// Stop does what the kubelet does to a deleted pod: SIGTERM, SIGKILL after the grace period;
// then the pod's network namespace goes.
func (m *Member) Stop() {
	m.once.Do(func() {
		m.signal(syscall.SIGCONT) // a paused member cannot act on SIGTERM
		m.signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(m.grace):
			m.signal(syscall.SIGKILL)
			<-m.done
		}
		m.net.RemovePod(m.Namespace)
	})
}

// Pause freezes the member (SIGSTOP): its ports stay open and nothing answers.
func (m *Member) Pause() { m.signal(syscall.SIGSTOP) }

// Resume lets a paused member go on (SIGCONT).
func (m *Member) Resume() { m.signal(syscall.SIGCONT) }

// Crash kills the JVM at once, as an OOM kill or a crash would; the pod stays.
func (m *Member) Crash() {
	m.signal(syscall.SIGKILL)
	<-m.done
}

// DropPorts drops TCP traffic to and from the given ports inside the member's namespace.
func (m *Member) DropPorts(ports ...int) error { return m.net.DropPorts(m.Namespace, ports...) }

// Heal lifts every port drop.
func (m *Member) Heal() error { return m.net.Heal(m.Namespace) }

// Exited reports whether the JVM has ended, and how.
func (m *Member) Exited() (bool, error) {
	select {
	case <-m.done:
		return true, m.err
	default:
		return false, nil
	}
}

// Logs returns the end of the member's container output and of its main Nacos logs, for the
// message of a failing test.
func (m *Member) Logs(maxBytes int) string {
	var b strings.Builder
	files := []string{filepath.Join(m.Home, "container.log")}
	for _, f := range []string{"nacos.log", "nacos-cluster.log", "protocol-distro.log", "protocol-raft.log", "alipay-jraft.log"} {
		files = append(files, filepath.Join(m.Home, "logs", f))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if len(data) > maxBytes {
			data = data[len(data)-maxBytes:]
		}
		fmt.Fprintf(&b, "==> %s: %s <==\n%s\n", m.Name, filepath.Base(f), bytes.TrimSpace(data))
	}
	return b.String()
}

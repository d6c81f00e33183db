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

	net      *Network
	newCmd   func() *exec.Cmd
	out      *os.File
	grace    time.Duration
	done     chan struct{} // the supervisor ended (after Stop)
	stopping chan struct{}
	once     sync.Once

	mu       sync.Mutex
	cmd      *exec.Cmd // the current JVM
	sidecar  *exec.Cmd // the pod's cluster-conf-writer, when the runner runs it
	exits    int
	lastExit error
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
	m := &Member{Name: name, IP: ip, Namespace: ns, Home: home, Started: time.Now(), net: n, out: out, grace: grace,
		done: make(chan struct{}), stopping: make(chan struct{})}
	m.newCmd = func() *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", ns, "unshare", "--uts", "--", "bash", "-c", mountScript)
		cmd.Env = append(append([]string(nil), env...), "_RT_HOSTNAME="+hostname, "_RT_SERVER="+server, "_RT_HOME="+home)
		cmd.Stdout, cmd.Stderr = out, out
		// One process group per member: signals reach the JVM (every step above execs), and
		// a dying test process takes its members with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		return cmd
	}
	cmd := m.newCmd()
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start member %s: %w", name, err)
	}
	m.cmd = cmd
	go m.supervise(cmd)
	return m, nil
}

// supervise restarts the JVM when it exits on its own, as the kubelet restarts a container
// (restartPolicy Always) with a doubling back-off from 10 s, capped at 5 minutes.
func (m *Member) supervise(cmd *exec.Cmd) {
	defer close(m.done)
	defer func() { _ = m.out.Close() }()
	backoff := 10 * time.Second
	for {
		err := cmd.Wait()
		select {
		case <-m.stopping:
			return
		default:
		}
		m.mu.Lock()
		m.exits, m.lastExit = m.exits+1, err
		m.mu.Unlock()
		select {
		case <-m.stopping:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Minute)
		cmd = m.newCmd()
		if err := cmd.Start(); err != nil {
			_, _ = fmt.Fprintf(m.out, "realnacos: restart %s: %v\n", m.Name, err)
			return
		}
		m.mu.Lock()
		m.cmd = cmd
		m.mu.Unlock()
	}
}

func (m *Member) signal(sig syscall.Signal) {
	m.mu.Lock()
	cmd := m.cmd
	m.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, sig)
	}
}

// Stop does what the kubelet does to a deleted pod: SIGTERM, SIGKILL after the grace period;
// then the pod's network namespace goes.
func (m *Member) Stop() {
	m.once.Do(func() {
		close(m.stopping)
		m.signal(syscall.SIGCONT) // a paused member cannot act on SIGTERM
		m.signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(m.grace):
			m.signal(syscall.SIGKILL)
			<-m.done
		}
		stopSidecar(m.sidecar)
		m.net.RemovePod(m.Namespace)
	})
}

// Pause freezes the member (SIGSTOP): its ports stay open and nothing answers.
func (m *Member) Pause() { m.signal(syscall.SIGSTOP) }

// Resume lets a paused member go on (SIGCONT).
func (m *Member) Resume() { m.signal(syscall.SIGCONT) }

// Crash kills the JVM at once, as an OOM kill or a crash would; like the kubelet, the
// supervisor starts it again after its back-off.
func (m *Member) Crash() { m.signal(syscall.SIGKILL) }

// DropPorts drops TCP traffic to and from the given ports inside the member's namespace.
func (m *Member) DropPorts(ports ...int) error { return m.net.DropPorts(m.Namespace, ports...) }

// Heal lifts every port drop.
func (m *Member) Heal() error { return m.net.Heal(m.Namespace) }

// Exits tells how often the JVM ended on its own (the container's restart count) and how
// it last ended.
func (m *Member) Exits() (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exits, m.lastExit
}

// dropNoise removes blank lines and the once-a-second "Nacos is starting..." lines, which
// would otherwise fill the end of a stuck member's logs and hide why it is stuck.
func dropNoise(data []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasSuffix(bytes.TrimSpace(line), []byte("Nacos is starting...")) {
			continue
		}
		out = append(append(out, line...), '\n')
	}
	return out
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
		data = dropNoise(data)
		if len(data) > maxBytes {
			data = data[len(data)-maxBytes:]
		}
		fmt.Fprintf(&b, "==> %s: %s <==\n%s\n", m.Name, filepath.Base(f), bytes.TrimSpace(data))
	}
	return b.String()
}

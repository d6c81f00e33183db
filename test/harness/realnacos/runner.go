package realnacos

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Runner runs a real Nacos server for each pod (harness.Runner).
type Runner struct {
	Net *Network
	// Grace is how long a stopped member gets between SIGTERM and SIGKILL (default 20s;
	// Nacos shuts down in a few seconds).
	Grace time.Duration
	// JavaOpt goes in front of the pod's JAVA_OPT. The 2.x image runs Java 8 and its script
	// always adds CMS flags, which Java 17 refuses, so -XX:+IgnoreUnrecognizedVMOptions is
	// always there; logs go to the pod's logs volume.
	JavaOpt string
	// SidecarBinary is the operator binary: with it set, each pod's cluster-conf-writer runs
	// as a process in the pod's network namespace, as its container would
	// (harness.SidecarRunner); without it the kubelet runs the writer in process and no
	// evidence endpoint.
	SidecarBinary string

	mu      sync.Mutex
	members map[string]*Member // by pod name, the newest incarnation
	drops   map[string][]int   // by pod name: ports dropped before the member starts
}

// DropAtStart makes the next start of a pod drop TCP traffic to and from these ports in its
// namespace before the JVM runs (the seed's case: a member restarted behind a firewall).
// No ports: start it clean.
func (r *Runner) DropAtStart(namespace, name string, ports ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drops == nil {
		r.drops = map[string][]int{}
	}
	r.drops[namespace+"/"+name] = ports
}

// baseJavaOpt is always given: Java 17 for the Java 8 image, and logs on the logs volume.
const baseJavaOpt = "-XX:+IgnoreUnrecognizedVMOptions -DJM.LOG.PATH=/home/nacos/logs"

// CacheDir is where hack/nacos-server.sh lays out the servers.
func CacheDir() string {
	if d := os.Getenv("NACOS_OPERATOR_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "nacos-operator")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "nacos-operator")
}

// ServerDir is the laid-out server of a version, or an error saying how to build it.
func ServerDir(version string) (string, error) {
	dir := filepath.Join(CacheDir(), "nacos", version)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return "", fmt.Errorf("no Nacos %s server in %s: run `make nacos-server NACOS_VERSIONS=%s`", version, dir, version)
	}
	return dir, nil
}

// AllocateIP gives the kubelet pod IPs on this runner's bridge (harness.IPAllocator).
func (r *Runner) AllocateIP() string { return r.Net.AllocateIP() }

// Run starts the member of a pod as the container would: namespaces, /home/nacos, the
// image's env defaults overridden by the pod's, and the image's docker-startup.sh.
func (r *Runner) Run(p harness.PodRun) (harness.Running, error) {
	version := harness.VersionFromImage(p.Image)
	server, err := ServerDir(version)
	if err != nil {
		return nil, err
	}
	// The image's conf (logback, schema files) under the operator's files, as the
	// prepare-conf init container copies it (cp -a /home/nacos/conf/. first) into a conf
	// volume that is new for every pod: a pod upgraded in place gets the new image's files
	// (2.5's derby-schema.sql migrates the embedded database at every start).
	if err := copyImageConf(filepath.Join(server, "conf"), filepath.Join(p.Home, "conf")); err != nil {
		return nil, fmt.Errorf("seed conf of %s: %w", p.Name, err)
	}
	env, err := r.env(server, p.Env)
	if err != nil {
		return nil, err
	}
	fqdn, _, _ := strings.Cut(p.Address, ":")
	ns, err := r.Net.AddPod(p.IP, fqdn)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	drops := r.drops[p.Namespace+"/"+p.Name]
	r.mu.Unlock()
	if len(drops) > 0 {
		if err := r.Net.DropPorts(ns, drops...); err != nil {
			r.Net.RemovePod(ns)
			return nil, err
		}
	}
	grace := r.Grace
	if grace == 0 {
		grace = 20 * time.Second
	}
	sidecar, err := r.startSidecar(ns, p)
	if err != nil {
		r.Net.RemovePod(ns)
		return nil, err
	}
	m, err := startMember(r.Net, ns, p.Name, p.IP, p.Home, server, env, grace)
	if err != nil {
		stopSidecar(sidecar)
		r.Net.RemovePod(ns)
		return nil, err
	}
	m.sidecar = sidecar
	r.mu.Lock()
	if r.members == nil {
		r.members = map[string]*Member{}
	}
	r.members[p.Namespace+"/"+p.Name] = m
	r.mu.Unlock()
	return m, nil
}

// RunsSidecar says the pod's sidecar runs here, in its namespace (harness.SidecarRunner).
func (r *Runner) RunsSidecar() bool { return r.SidecarBinary != "" }

// startSidecar runs the operator binary's cluster-conf-writer in the pod's namespace with
// the arguments the kubelet mapped (nil when there is none to run).
func (r *Runner) startSidecar(ns string, p harness.PodRun) (*exec.Cmd, error) {
	if r.SidecarBinary == "" || p.Sidecar == nil {
		return nil, nil
	}
	out, err := os.OpenFile(filepath.Join(p.Home, "sidecar.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create sidecar log of %s: %w", p.Name, err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, r.SidecarBinary, "cluster-conf-writer"}, p.Sidecar...)...)
	cmd.Env = []string{"POD_NAME=" + p.Name, "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start sidecar of %s: %w", p.Name, err)
	}
	go func() { _ = cmd.Wait(); _ = out.Close() }()
	return cmd, nil
}

func stopSidecar(cmd *exec.Cmd) {
	if cmd != nil && cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// HideName makes peer's name unresolvable in pod's namespace (harness.NameHider).
func (r *Runner) HideName(namespace, pod, peer string, hidden bool) error {
	return r.Net.Hide(pod, peer, hidden)
}

// Member returns the newest member started for a pod.
func (r *Runner) Member(namespace, name string) *Member {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.members[namespace+"/"+name]
}

// Logs returns the end of every member's logs (for a failing test).
func (r *Runner) Logs(maxBytes int) string {
	r.mu.Lock()
	keys := make([]string, 0, len(r.members))
	members := map[string]*Member{}
	for k, m := range r.members {
		keys, members[k] = append(keys, k), m
	}
	r.mu.Unlock()
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(members[k].Logs(maxBytes))
	}
	return b.String()
}

func (r *Runner) env(server string, pod map[string]string) ([]string, error) {
	vars, err := ImageEnv(filepath.Join(server, "Dockerfile"))
	if err != nil {
		return nil, err
	}
	for k, v := range pod {
		vars[k] = v
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java is not installed: %w", err)
	}
	if java, err = filepath.EvalSymlinks(java); err != nil {
		return nil, fmt.Errorf("resolve java: %w", err)
	}
	// The image's JAVA and JAVA_HOME name its own JDK; this machine's stands in for it.
	vars["JAVA"], vars["JAVA_HOME"] = java, filepath.Dir(filepath.Dir(java))
	vars["JAVA_OPT"] = strings.TrimSpace(strings.Join([]string{baseJavaOpt, r.JavaOpt, pod["JAVA_OPT"]}, " "))
	vars["PATH"], vars["HOME"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/root"
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

var envPair = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"`)

// ImageEnv reads the ENV defaults of the image's Dockerfile (KEY="value" pairs, continued
// lines); a reference to an unset variable ($CLASSPATH) expands to nothing, as in the build.
func ImageEnv(dockerfile string) (map[string]string, error) {
	f, err := os.Open(dockerfile)
	if err != nil {
		return nil, fmt.Errorf("read the image's env defaults: %w", err)
	}
	defer func() { _ = f.Close() }()
	out := map[string]string{}
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if strings.HasPrefix(line, "ENV ") {
			in = true
		}
		if !in {
			continue
		}
		for _, m := range envPair.FindAllStringSubmatch(line, -1) {
			out[m[1]] = os.Expand(m[2], func(k string) string { return out[k] })
		}
		in = strings.HasSuffix(line, `\`)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ENV defaults in %s", dockerfile)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", dockerfile, err)
	}
	return out, nil
}

// operatorConf are the conf files the operator's ConfigMap and writer provide: an image's
// copy never replaces them.
var operatorConf = map[string]bool{"application.properties": true, "cluster.conf": true}

// copyImageConf copies the regular files of src into dst, replacing the image's files of an
// earlier incarnation but never the operator's.
func copyImageConf(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	for _, e := range entries {
		target := filepath.Join(dst, e.Name())
		if !e.Type().IsRegular() {
			continue
		}
		if _, err := os.Stat(target); err == nil && operatorConf[e.Name()] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err == nil {
			err = os.WriteFile(target, data, 0o644)
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", e.Name(), err)
		}
	}
	return nil
}

var (
	_ harness.Runner      = (*Runner)(nil)
	_ harness.IPAllocator = (*Runner)(nil)
	_ harness.Running     = (*Member)(nil)
)

package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// SidecarRunner is a Runner that runs the pod's sidecar itself, as a process in the pod's
// network (the real runner: the operator binary's cluster-conf-writer in the member's
// namespace). The kubelet then hands it the sidecar's arguments in PodRun.Sidecar, with the
// container's paths mapped to the pod's directories, and runs nothing of its own.
type SidecarRunner interface {
	RunsSidecar() bool
}

// PortBlocker is a running member whose network drops a port (a simulated firewall, which a
// simulated pod's sidecar must see as a real one does: dials time out).
type PortBlocker interface {
	BlocksPort(port int) bool
}

// sidecarPeriod is the simulated sidecar's check period (the real default is 10 s).
const sidecarPeriod = 500 * time.Millisecond

// writerArgs are the writer container's arguments, with the container's paths mapped to
// the pod's directories as its volume mounts bind them.
func writerArgs(pod *corev1.Pod, s *podState, home string) []string {
	var c corev1.Container
	for _, ic := range pod.Spec.InitContainers {
		if ic.Name == resource.ContainerWriter {
			c = ic
		}
	}
	mapped := map[string]string{resource.ConfigPath: s.cmDir, resource.ConfPath: filepath.Join(home, "conf"), resource.LogsPath: filepath.Join(home, "logs")}
	var out []string
	for _, a := range c.Args {
		if a == "cluster-conf-writer" {
			continue
		}
		for from, to := range mapped {
			if name, value, ok := strings.Cut(a, "="); ok && strings.HasPrefix(value, from) {
				a = name + "=" + to + strings.TrimPrefix(value, from)
			}
		}
		out = append(out, a)
	}
	return append(out, "--self="+pod.Name)
}

// flagValue reads --name=value from args ("" and false when absent).
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// startSidecar runs the pod's sidecar: the cluster.conf writer and, when its container
// serves evidence, the agent, dialing through the simulated network and reading the
// simulated member's log files. With a SidecarRunner it only prepares the arguments.
func (k *Kubelet) startSidecar(s *podState, pod *corev1.Pod, home string) ([]string, error) {
	args := writerArgs(pod, s, home)
	if r, ok := k.Runner.(SidecarRunner); ok && r.RunsSidecar() {
		return args, nil
	}
	startWriter(s, home)
	listen, ok := flagValue(args, "evidence-listen")
	if !ok || listen == "" {
		return nil, nil
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("sidecar --evidence-listen=%s: %w", listen, err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(s.ip, port))
	if err != nil {
		return nil, fmt.Errorf("sidecar evidence endpoint: %w", err)
	}
	source := filepath.Join(s.cmDir, resource.ClusterConfKey)
	agent := &podagent.Agent{Self: pod.Name, Period: sidecarPeriod, Clock: clock.RealClock{},
		Members: func() ([]string, error) {
			data, err := os.ReadFile(source)
			if err != nil {
				return nil, fmt.Errorf("read the member list: %w", err)
			}
			return resource.ParseMemberSet(string(data))
		}}
	if v, _ := flagValue(args, "peer-checks"); v != "false" {
		agent.Checker = &peercheck.Checker{Dial: k.simDial(pod.Namespace, pod.Name), Timeout: 300 * time.Millisecond, Clock: clock.RealClock{}}
	}
	if dir, _ := flagValue(args, "logs"); dir != "" {
		agent.Follower = memberlog.NewFollower(dir, clock.RealClock{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	writer := s.stopWrite
	srv := &http.Server{Handler: agent.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go agent.Run(ctx)
	go func() { _ = srv.Serve(l) }()
	s.stopWrite = func() {
		writer()
		cancel()
		_ = srv.Close()
	}
	return nil, nil
}

// simDial dials as the pod's sidecar would: names resolve as the cluster DNS answers (or
// fail where a test hid them), and a port either end's member drops times out.
func (k *Kubelet) simDial(namespace, self string) peercheck.Dialer {
	var d net.Dialer
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
		p, _ := strconv.Atoi(port)
		peer, _, _ := strings.Cut(host, ".")
		k.mu.Lock()
		ipPort, known := k.dns[net.JoinHostPort(host, strconv.Itoa(resource.PortHTTP))]
		hidden := k.hidden[namespace+"/"+self][peer]
		from, to := k.pods[namespace+"/"+self], k.pods[namespace+"/"+peer]
		k.mu.Unlock()
		if !known || hidden {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		for _, s := range []*podState{from, to} {
			if s == nil {
				continue
			}
			if b, ok := s.running().(PortBlocker); ok && b.BlocksPort(p) {
				<-ctx.Done()
				return nil, errors.Join(ctx.Err(), errors.New("dropped"))
			}
		}
		ip, _, _ := net.SplitHostPort(ipPort)
		return d.DialContext(ctx, network, net.JoinHostPort(ip, port))
	}
}

// NameHider is a Runner whose pods resolve names themselves (the real runner's hosts files).
type NameHider interface {
	HideName(namespace, pod, peer string, hidden bool) error
}

// HideName makes peer's name unresolvable in pod (a broken cluster DNS for one peer), for
// its member and its sidecar, from now on and after restarts; hidden false lifts it.
func (k *Kubelet) HideName(namespace, pod, peer string, hidden bool) error {
	k.mu.Lock()
	if k.hidden == nil {
		k.hidden = map[string]map[string]bool{}
	}
	key := namespace + "/" + pod
	if k.hidden[key] == nil {
		k.hidden[key] = map[string]bool{}
	}
	k.hidden[key][peer] = hidden
	k.mu.Unlock()
	if h, ok := k.Runner.(NameHider); ok {
		if err := h.HideName(namespace, pod, peer, hidden); err != nil {
			return fmt.Errorf("hide %s from %s/%s: %w", peer, namespace, pod, err)
		}
	}
	return nil
}

// resolverFor is the cluster DNS as one pod sees it.
func (k *Kubelet) resolverFor(namespace, pod string) func(string) string {
	return func(address string) string {
		host, _, _ := net.SplitHostPort(address)
		peer, _, _ := strings.Cut(host, ".")
		k.mu.Lock()
		hidden := k.hidden[namespace+"/"+pod][peer]
		k.mu.Unlock()
		if hidden {
			return "0.0.0.0:0" // unresolvable: every call fails at once
		}
		return k.Resolve(address)
	}
}

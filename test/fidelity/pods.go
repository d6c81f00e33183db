// Package fidelity holds the simulator to the real Nacos server: the same sequence of client
// calls against a real member and a simulated member of the same version and configuration,
// state by state, compared answer by answer. Live (make test-nacos) it runs both; in make test
// it replays the recorded real answers (internal/nacos/testdata/real-<version>/) against the
// simulator, so a machine without the real lane still guards every fact learned.
package fidelity

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Pods runs the members of one NacosCluster without Kubernetes, from the operator's own
// builders: the ConfigMap's files seeded as the prepare-conf init container does, the nacos
// container's env resolved as the kubelet does (the operator's generated auth Secret), and
// each member started through a harness.Runner (real or simulated). Membership is static.
type Pods struct {
	NC     *nacosv1alpha1.NacosCluster
	Runner harness.Runner
	Root   string
	// IP hands out pod IPs (the real runner's bridge, or loopback addresses for the simulator).
	IP func() string

	mu      sync.Mutex
	cm      *corev1.ConfigMap
	env     map[string]string
	running map[int]harness.Running
	ips     map[int]string
	dns     map[string]string // member address -> dial address (the simulator's resolver)
	// stalls is what StartedDespiteStall did for each ordinal's current process (reset by
	// Start); restarts counts its restarts across processes.
	stalls   map[int]*stall
	restarts map[int]int
	nudges   int // every nudge made, across processes
}

// AuthValues are the fixed token and identity the fidelity tests give members.
var AuthValues = resource.AuthSecretValues{
	Token:         "U2VjcmV0S2V5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OQ==",
	IdentityKey:   "nacos-operator",
	IdentityValue: "fidelity-identity",
}

// NewPods renders the cluster's objects and resolves the member env once.
func NewPods(nc *nacosv1alpha1.NacosCluster, runner harness.Runner, root string, ip func() string) (*Pods, error) {
	replicas := nc.Spec.Replicas
	sts := resource.StatefulSet(nc, resource.Inputs{Replicas: replicas, ConfigHash: "fidelity", WriterImage: "nacos-operator:fidelity"})
	secret := resource.AuthSecret(nc, AuthValues)
	var nacos corev1.Container
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name == resource.ContainerNacos {
			nacos = c
		}
	}
	env, err := harness.ResolveEnv(nacos, func(obj client.Object, name, key string) (string, error) {
		if s, ok := obj.(*corev1.Secret); ok && name == secret.Name {
			*s = *secret
			return string(s.Data[key]), nil
		}
		return "", fmt.Errorf("%s not found", name)
	})
	if err != nil {
		return nil, fmt.Errorf("resolve member env: %w", err)
	}
	return &Pods{NC: nc, Runner: runner, Root: root, IP: ip, cm: resource.ConfigMap(nc, replicas), env: env,
		running: map[int]harness.Running{}, ips: map[int]string{}, dns: map[string]string{},
		stalls: map[int]*stall{}, restarts: map[int]int{}}, nil
}

// Address is the member address of an ordinal (its FQDN and main port, as cluster.conf lists it).
func (p *Pods) Address(ordinal int) string { return resource.MemberAddress(p.NC, ordinal) }

// PodName is the StatefulSet pod name of an ordinal.
func (p *Pods) PodName(ordinal int) string { return fmt.Sprintf("%s-%d", p.NC.Name, ordinal) }

// Dial is the address a client uses to reach a running member (pod IP and main port).
func (p *Pods) Dial(ordinal int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ips[ordinal] + ":8848"
}

// Start starts (or restarts, under a new pod IP, as a recreated pod) the member of an ordinal.
func (p *Pods) Start(ordinal int) (harness.Running, error) {
	p.Stop(ordinal)
	name := p.PodName(ordinal)
	home := filepath.Join(p.Root, name)
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		return nil, fmt.Errorf("create home of %s: %w", name, err)
	}
	for _, key := range []string{resource.PropertiesKey, resource.ClusterConfKey} {
		if err := os.WriteFile(filepath.Join(home, "conf", key), []byte(p.cm.Data[key]), 0o644); err != nil {
			return nil, fmt.Errorf("seed %s of %s: %w", key, name, err)
		}
	}
	ip := p.IP()
	p.mu.Lock()
	p.ips[ordinal] = ip
	p.dns[p.Address(ordinal)] = ip + ":8848"
	p.mu.Unlock()
	m, err := p.Runner.Run(harness.PodRun{Namespace: p.NC.Namespace, Name: name, IP: ip, Address: p.Address(ordinal),
		Home: home, Image: p.NC.Spec.ContainerImage(), Env: p.env, Resolve: p.resolve})
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	p.mu.Lock()
	p.running[ordinal] = m
	p.stalls[ordinal] = &stall{since: time.Now()}
	p.mu.Unlock()
	return m, nil
}

// Member is the running member of an ordinal, or nil.
func (p *Pods) Member(ordinal int) harness.Running {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running[ordinal]
}

// Stop stops the member of an ordinal, if it runs.
func (p *Pods) Stop(ordinal int) {
	p.mu.Lock()
	m := p.running[ordinal]
	delete(p.running, ordinal)
	p.mu.Unlock()
	if m != nil {
		m.Stop()
	}
}

// Close stops every member.
func (p *Pods) Close() {
	for i := 0; i < int(p.NC.Spec.Replicas); i++ {
		p.Stop(i)
	}
}

func (p *Pods) resolve(address string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.dns[address]; ok {
		return a
	}
	return address
}

// Package observe probes every member of a NacosCluster through the Nacos client, in
// parallel, and returns one immutable Observation that status, diagnosis and the rollout
// planner all read. A member that hangs costs one client timeout: the first failed call
// skips the member's remaining calls.
package observe

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Clients gives the Nacos client of a member address.
type Clients interface {
	For(address string, auth nacos.Auth) *nacos.Client
}

// Target is one desired member.
type Target struct {
	Name    string      // pod name
	Address string      // address in cluster.conf (FQDN:8848)
	Pod     *corev1.Pod // nil when the pod does not exist
	// Evidence: ask the pod's sidecar for its evidence (spec.diagnostics on).
	Evidence bool
}

// Member is what was observed of one desired member.
type Member struct {
	Target
	PodIP       string
	KubeReady   bool
	Terminating bool
	Starting    bool // the Nacos container runs and has not passed its startup probe
	Probed      bool // the Nacos API was asked (the pod has an IP)
	// RaftOpen: the Raft port took a connection and did not drop it, asked only of a starting member whose
	// API did not answer (the evidence that tells a deadlocked start from a blocked one).
	RaftOpen bool

	Readiness nacos.Readiness
	Naming    nacos.NamingStatus
	Version   string
	View      []nacos.Member // the member's own member list
	Err       error          // the first failed call, if any
	// ReadinessHangs: readiness timed out while the member answered its naming status. On
	// MySQL, readiness counts config_info, and with the database down that query outlasts
	// the operator's timeout (measured on real 2.4.3 with MariaDB stopped) while the member
	// serves everything else.
	ReadinessHangs bool

	// Evidence is the pod sidecar's report (package podagent); EvidenceErr why it is missing.
	Evidence    *podagent.Report
	EvidenceErr error
}

// Observation is one pass's view of a cluster.
type Observation struct {
	At      time.Time
	Members []Member
}

// Observe probes every target concurrently.
func Observe(ctx context.Context, clients Clients, auth nacos.Auth, now time.Time, targets []Target) Observation {
	out := Observation{At: now, Members: make([]Member, len(targets))}
	var wg sync.WaitGroup
	for i, t := range targets {
		out.Members[i] = fromPod(t)
		if !out.Members[i].Probed {
			continue
		}
		wg.Add(1)
		go func(m *Member) {
			defer wg.Done()
			c := clients.For(net.JoinHostPort(m.PodIP, strconv.Itoa(resource.PortHTTP)), auth)
			probe(ctx, c, m)
			if m.Starting && m.Err != nil {
				m.RaftOpen = c.RaftPortOpen(ctx)
			}
			if m.Target.Evidence {
				// A member that is not healthy gets fresh dials: the evidence is for it.
				healthy := m.Err == nil && m.Readiness.Ready && m.Naming.Status == "UP"
				rep, err := c.Evidence(ctx, resource.PortEvidence, !healthy)
				if err != nil {
					m.EvidenceErr = fmt.Errorf("sidecar evidence: %w", err)
				} else {
					m.Evidence = &rep
				}
			}
		}(&out.Members[i])
	}
	wg.Wait()
	return out
}

func fromPod(t Target) Member {
	m := Member{Target: t}
	if t.Pod == nil {
		return m
	}
	m.PodIP = t.Pod.Status.PodIP
	m.Terminating = t.Pod.DeletionTimestamp != nil
	m.Starting = containerStarting(t.Pod)
	for _, c := range t.Pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			m.KubeReady = true
		}
	}
	m.Probed = m.PodIP != "" && !m.Terminating
	return m
}

// probe asks readiness, naming status, version and member list; it stops at the first error.
func probe(ctx context.Context, c *nacos.Client, m *Member) {
	var err error
	if m.Readiness, err = c.Readiness(ctx); err != nil {
		m.Err = fmt.Errorf("readiness: %w", err)
		if nacos.KindOf(err) == nacos.KindTimeout {
			// Tell a hung readiness query from a member that does not answer at all.
			if st, nerr := c.NamingStatus(ctx); nerr == nil {
				m.Naming, m.ReadinessHangs = st, true
			}
		}
		return
	}
	if m.Naming, err = c.NamingStatus(ctx); err != nil {
		m.Err = fmt.Errorf("naming status: %w", err)
		return
	}
	if m.View, err = c.Members(ctx); err != nil {
		m.Err = fmt.Errorf("member list: %w", err)
		return
	}
	for _, v := range m.View {
		if v.Address == m.Address {
			m.Version = v.Version
		}
	}
}

// ByName returns the observed member with a pod name.
func (o Observation) ByName(name string) (Member, bool) {
	for _, m := range o.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// containerStarting: the Nacos container runs and has not passed its startup probe.
func containerStarting(p *corev1.Pod) bool {
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			return c.State.Running != nil && c.Started != nil && !*c.Started
		}
	}
	return false
}

// Package status turns an Observation into what the NacosCluster reports: members[],
// counts and conditions, each condition with a CamelCase reason and a message that names
// members and quotes Nacos's own words. It is pure: values in, values out.
package status

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Condition is a condition to set (the writer adds generation and transition time).
type Condition struct {
	Type    string
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

// Report is everything status derives from one observation.
type Report struct {
	Members                  []nacosv1alpha1.MemberStatus
	Replicas, ReadyReplicas  int32
	DistroInitializedMembers int32
	Version                  string
	Conditions               []Condition
	Ready                    bool
}

// Compute derives the report. standalone skips Raft and membership checks that need peers.
func Compute(obs observe.Observation, standalone bool, wasReady bool) Report {
	var r Report
	desired := make([]string, 0, len(obs.Members))
	for _, m := range obs.Members {
		desired = append(desired, m.Address)
	}
	for _, m := range obs.Members {
		r.Members = append(r.Members, memberStatus(m, desired, standalone))
		if m.Pod != nil {
			r.Replicas++
		}
		if m.KubeReady {
			r.ReadyReplicas++
		}
		if distroInitialized(m) {
			r.DistroInitializedMembers++
		}
		if m.Version != "" && (r.Version == "" || versionLess(m.Version, r.Version)) {
			r.Version = m.Version
		}
	}
	distro := distroCondition(obs)
	membership := membershipCondition(obs, desired, standalone)
	raft := raftCondition(obs, desired, standalone)
	available := availableCondition(obs)
	ready := readyCondition(obs, distro, membership, raft)
	r.Ready = ready.Status == metav1.ConditionTrue
	r.Conditions = []Condition{ready, available, distro, membership, raft, degradedCondition(ready, wasReady)}
	return r
}

func memberStatus(m observe.Member, desired []string, standalone bool) nacosv1alpha1.MemberStatus {
	s := nacosv1alpha1.MemberStatus{Name: m.Name, Address: m.Address, KubeReady: m.KubeReady, Health: nacosv1alpha1.HealthUnknown, Version: m.Version}
	if m.Pod != nil {
		s.Revision = m.Pod.Labels["controller-revision-hash"]
	}
	switch {
	case m.Pod == nil:
		s.Message = "pod does not exist"
	case !m.Probed:
		s.Message = "pod has no IP yet"
		if m.Terminating {
			s.Message = "pod is terminating"
		}
	case m.ReadinessHangs:
		s.Health, s.Message = nacosv1alpha1.HealthNotReady, readinessHangs(m)
	case m.Err != nil:
		s.Health, s.Message = nacosv1alpha1.HealthUnreachable, m.Err.Error()
	case !m.Readiness.Ready:
		s.Health, s.Message = nacosv1alpha1.HealthNotReady, m.Readiness.Message
	default:
		s.Health = nacosv1alpha1.HealthReady
	}
	if m.ReadinessHangs {
		s.NamingStatus, s.DistroInitialized = m.Naming.Status, distroInitialized(m)
	}
	if m.Err == nil && m.Probed {
		s.NamingStatus = m.Naming.Status
		s.DistroInitialized = distroInitialized(m)
		if m.Naming.Message != "" {
			s.Message = joinNonEmpty(s.Message, m.Naming.Message)
		}
		mismatch, unhealthy := viewFindings(m, desired, standalone)
		for _, f := range append(mismatch, unhealthy...) {
			s.Message = joinNonEmpty(s.Message, f)
		}
	}
	s.RaftLeaderOf = ledGroups(m)
	s.RaftLeader = len(s.RaftLeaderOf) > 0
	return s
}

// ledGroups are the Raft groups a member says it leads, sorted.
func ledGroups(m observe.Member) []string {
	var out []string
	for _, v := range m.View {
		if v.Address != m.Address {
			continue
		}
		for g, rg := range v.Raft {
			if rg.Leader != "" && rg.Leader == resource.RaftAddress(m.Address) {
				out = append(out, g)
			}
		}
	}
	sort.Strings(out)
	return out
}

// noLeaderMessage starts the naming error Nacos gives when Distro is initialized but the CP
// protocol is not ready (ServerStatusManager checks Distro first).
const noLeaderMessage = "No leader for raft"

// distroInitialized: naming UP (warmup on makes that mean Distro loaded); DOWN for want of a
// Raft leader, which Nacos reports only once Distro is initialized; or DOWN with no message.
// The status is refreshed every 5 s but the message is computed on each call and is empty
// once the member is ready, so a message-less DOWN is a member that has just loaded Distro
// (real 3.0.3 answered so on a cold start) or whose status an operator overrode.
func distroInitialized(m observe.Member) bool {
	if (m.Err != nil && !m.ReadinessHangs) || !m.Probed {
		return false
	}
	switch m.Naming.Status {
	case "UP":
		return true
	case "DOWN":
		return m.Naming.Message == "" || strings.HasPrefix(m.Naming.Message, noLeaderMessage)
	}
	return false
}

// problem describes why one member fails a check, for condition messages.
func problem(m observe.Member) string {
	switch {
	case m.Pod == nil:
		return m.Name + ": pod does not exist"
	case m.Terminating:
		return m.Name + ": pod is terminating"
	case !m.Probed:
		return m.Name + ": pod has no IP yet"
	case m.ReadinessHangs:
		return m.Name + ": " + readinessHangs(m)
	case m.Err != nil:
		return fmt.Sprintf("%s: unreachable (%s): %v", m.Name, nacos.KindOf(m.Err), m.Err)
	}
	return ""
}

// readinessHangs says what a member whose readiness check hangs does answer.
func readinessHangs(m observe.Member) string {
	return fmt.Sprintf("not ready: its readiness check did not answer in time (%v) while its naming status answers %s", m.Err, m.Naming.Status)
}

func distroCondition(obs observe.Observation) Condition {
	var bad []string
	for _, m := range obs.Members {
		if p := problem(m); p != "" {
			bad = append(bad, p)
		} else if !distroInitialized(m) {
			msg := m.Naming.Message
			if msg == "" {
				msg = "naming status " + m.Naming.Status
			}
			bad = append(bad, m.Name+": "+msg)
		}
	}
	if len(bad) == 0 {
		return Condition{nacosv1alpha1.ConditionDistroInitialized, metav1.ConditionTrue, nacosv1alpha1.ReasonDistroInitialized,
			fmt.Sprintf("Distro is initialized on all %d members.", len(obs.Members))}
	}
	return Condition{nacosv1alpha1.ConditionDistroInitialized, metav1.ConditionFalse, nacosv1alpha1.ReasonDistroNotInitialized, strings.Join(bad, "; ")}
}

func availableCondition(obs observe.Observation) Condition {
	ready := 0
	for _, m := range obs.Members {
		if m.KubeReady {
			ready++
		}
	}
	msg := fmt.Sprintf("%d/%d members ready.", ready, len(obs.Members))
	if len(obs.Members) > 0 && ready*2 > len(obs.Members) {
		return Condition{nacosv1alpha1.ConditionAvailable, metav1.ConditionTrue, nacosv1alpha1.ReasonQuorumAvailable, msg}
	}
	return Condition{nacosv1alpha1.ConditionAvailable, metav1.ConditionFalse, nacosv1alpha1.ReasonQuorumLost, msg}
}

func readyCondition(obs observe.Observation, checks ...Condition) Condition {
	var notReady []string
	for _, m := range obs.Members {
		switch {
		case problem(m) != "":
			notReady = append(notReady, problem(m))
		case !m.KubeReady || !m.Readiness.Ready:
			reason := m.Readiness.Message
			if reason == "" {
				reason = "not Ready in Kubernetes"
			}
			notReady = append(notReady, m.Name+": "+reason)
		}
	}
	for _, c := range checks {
		if c.Status != metav1.ConditionTrue && len(notReady) == 0 {
			notReady = append(notReady, c.Message)
		}
	}
	if len(notReady) == 0 && len(obs.Members) > 0 {
		return Condition{nacosv1alpha1.ConditionReady, metav1.ConditionTrue, nacosv1alpha1.ReasonAllMembersReady,
			fmt.Sprintf("All %d members are ready, Distro is initialized, membership is consistent.", len(obs.Members))}
	}
	return Condition{nacosv1alpha1.ConditionReady, metav1.ConditionFalse, nacosv1alpha1.ReasonMembersNotReady, strings.Join(notReady, "; ")}
}

func degradedCondition(ready Condition, wasReady bool) Condition {
	if ready.Status != metav1.ConditionTrue && wasReady {
		return Condition{nacosv1alpha1.ConditionDegraded, metav1.ConditionTrue, nacosv1alpha1.ReasonMembersNotReady, ready.Message}
	}
	return Condition{nacosv1alpha1.ConditionDegraded, metav1.ConditionFalse, nacosv1alpha1.ReasonAllMembersReady, "No member was lost."}
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" || a == b {
		return a
	}
	return a + "; " + b
}

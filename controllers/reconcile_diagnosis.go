package controllers

import (
	"context"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/diagnosis"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// network is what diagnosis needs to know about how members find and reach each other.
type network struct {
	publishNotReady bool
	endpoints       map[string]bool // pod names in the headless Service's EndpointSlices; nil: none seen
	policies        []diagnosis.Policy
}

// observeNetwork reads the headless Service, its EndpointSlices and the NetworkPolicies that
// select the member pods. Failures leave a fact unknown rather than fail the reconcile.
func (r *NacosClusterReconciler) observeNetwork(ctx context.Context, nc *nacosv1alpha1.NacosCluster) network {
	n := network{publishNotReady: true}
	svc := &corev1.Service{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: resource.NamesFor(nc).HeadlessService}, svc); err == nil {
		n.publishNotReady = svc.Spec.PublishNotReadyAddresses
	}
	slices := &discoveryv1.EndpointSliceList{}
	if err := r.List(ctx, slices, client.InNamespace(nc.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: resource.NamesFor(nc).HeadlessService}); err == nil {
		// Only slices that list some members say something about the ones they lack.
		found := map[string]bool{}
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				if e.Hostname != nil {
					found[*e.Hostname] = true
				} else if e.TargetRef != nil {
					found[e.TargetRef.Name] = true
				}
			}
		}
		if len(found) > 0 {
			n.endpoints = found
		}
	}
	policies := &networkingv1.NetworkPolicyList{}
	if err := r.List(ctx, policies, client.InNamespace(nc.Namespace)); err == nil {
		sort.Slice(policies.Items, func(i, j int) bool { return policies.Items[i].Name < policies.Items[j].Name }) // stable messages
		for _, p := range policies.Items {
			if pol, ok := ingressPolicy(p, resource.SelectorLabels(nc)); ok {
				n.policies = append(n.policies, pol)
			}
		}
	}
	return n
}

// ingressPolicy reduces a NetworkPolicy that selects the member pods and restricts ingress
// to the ports it admits (nil: all).
func ingressPolicy(p networkingv1.NetworkPolicy, podLabels map[string]string) (diagnosis.Policy, bool) {
	sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
	if err != nil || !sel.Matches(labels.Set(podLabels)) {
		return diagnosis.Policy{}, false
	}
	restrictsIngress := len(p.Spec.PolicyTypes) == 0
	for _, t := range p.Spec.PolicyTypes {
		restrictsIngress = restrictsIngress || t == networkingv1.PolicyTypeIngress
	}
	if !restrictsIngress {
		return diagnosis.Policy{}, false
	}
	pol := diagnosis.Policy{Name: p.Name, Ports: []int32{}}
	for _, rule := range p.Spec.Ingress {
		if len(rule.Ports) == 0 {
			return diagnosis.Policy{Name: p.Name}, true // a rule with no ports admits every port
		}
		for _, port := range rule.Ports {
			if port.Port != nil {
				pol.Ports = append(pol.Ports, port.Port.IntVal)
			}
		}
	}
	return pol, true
}

// diagnose runs the checklist over the reported members and attaches the findings.
func (r *NacosClusterReconciler) diagnose(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, obs observe.Observation, net network) {
	in := r.diagnosisInput(nc, obs, net)
	found := diagnosis.Diagnose(in)
	pods := map[string]*corev1.Pod{}
	for _, m := range obs.Members {
		if m.Pod != nil {
			pods[m.Name] = m.Pod
		}
	}
	summary := r.attachFindings(nc, s, in, found, pods)
	if c := findCondition(s, nacosv1alpha1.ConditionDistroInitialized); c != nil && c.Status == metav1.ConditionFalse && len(summary) > 0 {
		r.setCondition(nc, s, c.Type, c.Status, c.Reason, c.Message+" Likely cause: "+strings.Join(summary, "; "))
	}
}

// diagnosisInput gathers what the checklist reads: the observation plus the
// operator's own memory of nudges and restarts per pod.
func (r *NacosClusterReconciler) diagnosisInput(nc *nacosv1alpha1.NacosCluster, obs observe.Observation, net network) diagnosis.Input {
	in := diagnosis.Input{Now: r.Clock.Now(), Standalone: nc.Spec.Mode == nacosv1alpha1.ModeStandalone, Window: r.distroWindow(), StartupTimeout: resource.StartupTimeout(nc), StallAfter: r.StartupStallAfter,
		PublishNotReady: net.publishNotReady, Endpoints: net.endpoints, Policies: net.policies}
	in.Database = databaseAddress(nc)
	for _, m := range obs.Members {
		in.Desired = append(in.Desired, m.Address)
		dm := diagnosisMember(m)
		if m.Pod != nil {
			rec := r.startupRecord(nc, m.Name)
			rec = rec.For(string(m.Pod.UID))
			dm.Nudges, dm.NudgedAt, dm.Restarts, dm.RestartedAt, dm.RaftOpenSince = rec.Nudges, rec.LastNudge, rec.Restarts, rec.LastRestart, rec.RaftOpenSince
		}
		in.Members = append(in.Members, dm)
	}
	return in
}

// attachFindings writes findings and evidence into the members' status, emits
// an Event for each finding that is new and not a plain wait, and returns each
// member's first finding once, for the condition's summary: unhealthy members' first, for
// theirs are what keeps Distro from initializing.
func (r *NacosClusterReconciler) attachFindings(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, in diagnosis.Input,
	found map[string][]nacosv1alpha1.Finding, pods map[string]*corev1.Pod) []string {
	byName := map[string]diagnosis.Member{}
	for _, m := range in.Members {
		byName[m.Name] = m
	}
	previous := map[string]bool{}
	for _, m := range nc.Status.Members {
		for _, f := range m.Diagnosis {
			previous[m.Name+"/"+f.Code] = true
		}
	}
	var sick, healthy []string
	for i := range s.Members {
		name := s.Members[i].Name
		m, known := byName[name]
		s.Members[i].Diagnosis = found[name]
		if known {
			s.Members[i].Evidence = diagnosis.Evidence(in, m)
		}
		for j, f := range s.Members[i].Diagnosis {
			if j == 0 && diagnosis.Healthy(m) {
				healthy = appendOnce(healthy, f.Message)
			} else if j == 0 {
				// A cluster-wide finding (ColdStart) is every member's first: said once.
				sick = appendOnce(sick, f.Message)
			}
			if !previous[name+"/"+f.Code] && !diagnosis.Waiting(f, m.Nudges) {
				r.findingEvent(nc, pods[name], f)
			}
		}
	}
	return append(sick, healthy...)
}

// findingEvent records a finding as a Warning Event with the member's pod as the related
// object: the events API folds Events of one object, reason and related object into one
// series that keeps the first note, so two members' findings of one code would show as one.
func (r *NacosClusterReconciler) findingEvent(nc *nacosv1alpha1.NacosCluster, pod *corev1.Pod, f nacosv1alpha1.Finding) {
	var related runtime.Object
	if pod != nil {
		related = pod
	}
	r.Recorder.Eventf(nc, related, corev1.EventTypeWarning, f.Code, "Diagnose", "%s", f.Message)
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// databaseAddress is the external MySQL server, "" with embedded storage.
func databaseAddress(nc *nacosv1alpha1.NacosCluster) string {
	if db := nc.Spec.Storage.MySQL; nc.Spec.Storage.Type == nacosv1alpha1.StorageMySQL && db != nil {
		return net.JoinHostPort(db.Host, strconv.Itoa(int(db.Port)))
	}
	return ""
}

func diagnosisMember(m observe.Member) diagnosis.Member {
	d := diagnosis.Member{Name: m.Name, Address: m.Address, PodIP: m.PodIP, Exists: m.Pod != nil, Reachable: m.Probed && m.Err == nil,
		Ready: m.Readiness.Ready && m.KubeReady, NamingUP: m.Naming.Status == "UP", NamingMessage: m.Naming.Message, ReadyMessage: m.Readiness.Message, ReadinessHangs: m.ReadinessHangs, View: m.View}
	if m.Err != nil {
		d.Err = m.Err.Error()
	}
	d.Evidence = m.Evidence
	if m.EvidenceErr != nil {
		d.EvidenceErr = m.EvidenceErr.Error()
	}
	if m.Pod == nil {
		return d
	}
	if m.Pod.Status.StartTime != nil {
		d.StartedAt = m.Pod.Status.StartTime.Time
	}
	for _, c := range m.Pod.Spec.Containers {
		if c.Name == resource.ContainerNacos {
			d.CPURequestMilli, d.MemoryLimit, d.Heap = c.Resources.Requests.Cpu().MilliValue(), c.Resources.Limits.Memory().Value(), heapOf(c)
		}
	}
	for _, c := range m.Pod.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			containerFacts(&d, c)
		}
	}
	d.Starting, d.RaftOpen = m.Starting, m.RaftOpen
	return d
}

// heapOf reads -Xmx from the JVM_XMX env the builder sets ("1024m").
func heapOf(c corev1.Container) int64 {
	for _, e := range c.Env {
		if e.Name != "JVM_XMX" {
			continue
		}
		if q, err := apiresource.ParseQuantity(strings.TrimSuffix(e.Value, "m") + "Mi"); err == nil {
			return q.Value()
		}
	}
	return 0
}

// containerFacts copies restarts, crash looping, last termination and start time.
func containerFacts(d *diagnosis.Member, c corev1.ContainerStatus) {
	d.RestartCount = c.RestartCount
	if c.State.Running != nil {
		d.StartedAt = c.State.Running.StartedAt.Time
	}
	if c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" {
		d.CrashLoop = true
	}
	if t := c.LastTerminationState.Terminated; t != nil {
		d.LastTermination = t.Reason
	}
}

func findCondition(s *nacosv1alpha1.NacosClusterStatus, t string) *metav1.Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// distroWindow is how long Distro initialization may take before diagnosis calls it a fault.
func (r *NacosClusterReconciler) distroWindow() time.Duration {
	if r.DistroInitWindow > 0 {
		return r.DistroInitWindow
	}
	return 2 * time.Minute
}

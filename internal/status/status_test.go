package status

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/observe"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

const distroMsg = "Distro snapshot load failed, please see logs `protocol-distro.log` or `naming-distro.log` to see details."

func addr(i int) string { return fmt.Sprintf("n-%d.h.ns.svc.cluster.local:8848", i) }

// healthy builds an observation of n healthy members with agreed leaders.
func healthy(n int) observe.Observation {
	var peers []string
	for i := 0; i < n; i++ {
		peers = append(peers, resource.RaftAddress(addr(i)))
	}
	var view []nacos.Member
	for i := 0; i < n; i++ {
		view = append(view, nacos.Member{Address: addr(i), State: nacos.MemberUp, Version: "2.5.1",
			Raft: map[string]nacos.RaftGroup{"naming_persistent_service_v2": {Leader: peers[0], Members: peers, Term: 1}}})
	}
	obs := observe.Observation{}
	for i := 0; i < n; i++ {
		pod := &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.1", Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
		obs.Members = append(obs.Members, observe.Member{
			Target: observe.Target{Name: fmt.Sprintf("n-%d", i), Address: addr(i), Pod: pod}, PodIP: "10.0.0.1", KubeReady: true, Probed: true,
			Readiness: nacos.Readiness{Ready: true}, Naming: nacos.NamingStatus{Status: "UP"}, Version: "2.5.1", View: view,
		})
	}
	return obs
}

func cond(r Report, t string) Condition {
	for _, c := range r.Conditions {
		if c.Type == t {
			return c
		}
	}
	return Condition{}
}

func TestCompute(t *testing.T) {
	cases := []struct {
		name   string
		obs    func() observe.Observation
		want   map[string]string // condition type -> "Status/Reason/message substring"
		ready  bool
		distro int32
	}{
		{name: "healthy", obs: func() observe.Observation { return healthy(3) }, ready: true, distro: 3, want: map[string]string{
			nacosv1alpha1.ConditionReady:                "True/AllMembersReady/All 3 members are ready",
			nacosv1alpha1.ConditionRaftLeaderElected:    "True/LeaderElected/All 1 Raft groups",
			nacosv1alpha1.ConditionMembershipConsistent: "True/MembershipConsistent/same 3 members",
		}},
		{name: "distro stuck on one member", obs: func() observe.Observation {
			o := healthy(3)
			o.Members[1].Naming = nacos.NamingStatus{Status: "DOWN", Message: distroMsg}
			o.Members[1].Readiness = nacos.Readiness{Message: "naming not in readiness"}
			o.Members[1].KubeReady = false
			return o
		}, distro: 2, want: map[string]string{
			nacosv1alpha1.ConditionDistroInitialized: "False/DistroNotInitialized/n-1: " + distroMsg,
			nacosv1alpha1.ConditionReady:             "False/MembersNotReady/n-1: naming not in readiness",
			nacosv1alpha1.ConditionAvailable:         "True/QuorumAvailable/2/3 members ready.",
		}},
		{name: "unreachable member", obs: func() observe.Observation {
			o := healthy(3)
			o.Members[2].Err = &nacos.Error{Kind: nacos.KindTimeout, Op: "readiness"}
			return o
		}, distro: 2, want: map[string]string{
			nacosv1alpha1.ConditionDistroInitialized: "False/DistroNotInitialized/n-2: unreachable (Timeout)",
		}},
		{name: "peer down in a view", obs: func() observe.Observation {
			o := healthy(3)
			view := append([]nacos.Member(nil), o.Members[0].View...)
			view[2].State, view[2].FailAccessCnt = nacos.MemberDown, 4
			o.Members[0].View = view
			return o
		}, distro: 3, want: map[string]string{
			nacosv1alpha1.ConditionMembershipConsistent: "False/PeersUnhealthy/n-0 sees n-2 DOWN",
		}},
		{name: "phantom and missing members", obs: func() observe.Observation {
			o := healthy(3)
			o.Members[1].View = append([]nacos.Member{{Address: "10.1.1.1:8848", State: nacos.MemberUp}}, o.Members[1].View[:2]...)
			return o
		}, distro: 3, want: map[string]string{
			nacosv1alpha1.ConditionMembershipConsistent: "False/MembershipMismatch/n-1 lists 10.1.1.1:8848, which is not a desired member; n-1 does not list n-2",
		}},
		{name: "members disagree on the leader", obs: func() observe.Observation {
			o := healthy(3)
			view := append([]nacos.Member(nil), o.Members[2].View...)
			rg := view[2].Raft["naming_persistent_service_v2"]
			view[2].Raft = map[string]nacos.RaftGroup{"naming_persistent_service_v2": {Leader: "", Members: rg.Members}}
			o.Members[2].View = view
			return o
		}, distro: 3, want: map[string]string{
			nacosv1alpha1.ConditionRaftLeaderElected: "False/NoRaftLeader/group naming_persistent_service_v2",
		}},
		{name: "no pods", obs: func() observe.Observation {
			o := healthy(3)
			for i := range o.Members {
				o.Members[i] = observe.Member{Target: observe.Target{Name: o.Members[i].Name, Address: o.Members[i].Address}}
			}
			return o
		}, want: map[string]string{
			nacosv1alpha1.ConditionReady:     "False/MembersNotReady/n-0: pod does not exist",
			nacosv1alpha1.ConditionAvailable: "False/QuorumLost/0/3",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(tc.obs(), false, false)
			if r.Ready != tc.ready || r.DistroInitializedMembers != tc.distro {
				t.Errorf("ready %v distro %d, want %v %d", r.Ready, r.DistroInitializedMembers, tc.ready, tc.distro)
			}
			for typ, want := range tc.want {
				parts := strings.SplitN(want, "/", 3)
				c := cond(r, typ)
				if string(c.Status) != parts[0] || c.Reason != parts[1] || !strings.Contains(c.Message, parts[2]) {
					t.Errorf("%s = %s/%s/%q, want %s", typ, c.Status, c.Reason, c.Message, want)
				}
			}
		})
	}
}

func TestDegradedOnlyAfterReady(t *testing.T) {
	o := healthy(3)
	o.Members[0].Err = errors.New("boom")
	if c := cond(Compute(o, false, true), nacosv1alpha1.ConditionDegraded); c.Status != metav1.ConditionTrue {
		t.Errorf("after being ready: %+v", c)
	}
	if c := cond(Compute(o, false, false), nacosv1alpha1.ConditionDegraded); c.Status != metav1.ConditionFalse {
		t.Errorf("never ready: %+v", c)
	}
}

func TestMemberStatusNamesLeadershipAndVersion(t *testing.T) {
	r := Compute(healthy(3), false, false)
	if !r.Members[0].RaftLeader || r.Members[1].RaftLeader || r.Members[0].RaftLeaderOf[0] != "naming_persistent_service_v2" {
		t.Fatalf("members %+v", r.Members)
	}
	if r.Version != "2.5.1" || r.Members[2].Health != nacosv1alpha1.HealthReady {
		t.Fatalf("version %q member %+v", r.Version, r.Members[2])
	}
}

func TestNoLeaderNamingMessageIsARaftProblemNotDistro(t *testing.T) {
	o := healthy(3)
	msg := "No leader for raft, please see logs `alipay-jraft.log` or `naming-raft.log` to see details."
	o.Members[0].Naming = nacos.NamingStatus{Status: "DOWN", Message: msg}
	r := Compute(o, false, false)
	if c := cond(r, nacosv1alpha1.ConditionRaftLeaderElected); c.Status != metav1.ConditionFalse || c.Message != "n-0: "+msg {
		t.Errorf("RaftLeaderElected %+v", c)
	}
	if c := cond(r, nacosv1alpha1.ConditionDistroInitialized); c.Status != metav1.ConditionTrue || r.DistroInitializedMembers != 3 {
		t.Errorf("DistroInitialized %+v (%d): Nacos checks Distro first, so a Raft message means Distro is loaded", c, r.DistroInitializedMembers)
	}
}

// The naming status lags Distro by up to its 5 s refresh; the message does not. Recorded on
// real 3.0.3 (internal/nacos/testdata/real-3.0.3/cluster-loading).
func TestMessagelessNamingDownMeansDistroJustLoaded(t *testing.T) {
	o := healthy(3)
	o.Members[1].Naming = nacos.NamingStatus{Status: "DOWN"}
	o.Members[1].Readiness = nacos.Readiness{Message: "naming not in readiness"}
	r := Compute(o, false, false)
	if c := cond(r, nacosv1alpha1.ConditionDistroInitialized); c.Status != metav1.ConditionTrue || r.DistroInitializedMembers != 3 {
		t.Errorf("DistroInitialized %+v (%d members)", c, r.DistroInitializedMembers)
	}
	if r.Ready || r.Members[1].Health != nacosv1alpha1.HealthNotReady || r.Members[1].Message != "naming not in readiness" {
		t.Errorf("ready %v member %+v: still not ready until its status refreshes", r.Ready, r.Members[1])
	}
	o.Members[1].Naming.Status = "STARTING"
	if r := Compute(o, false, false); r.DistroInitializedMembers != 2 {
		t.Errorf("a message-less STARTING counted as initialized: %d", r.DistroInitializedMembers)
	}
}

func TestMemberMessageCarriesItsViewFindings(t *testing.T) {
	o := healthy(3)
	view := append([]nacos.Member(nil), o.Members[0].View...)
	view[1].State, view[1].FailAccessCnt = nacos.MemberSuspicious, 2
	o.Members[0].View = view
	r := Compute(o, false, false)
	if got := r.Members[0].Message; got != "n-0 sees n-1 SUSPICIOUS" {
		t.Fatalf("member message %q", got)
	}
}

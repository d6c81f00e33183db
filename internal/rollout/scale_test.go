package rollout

import (
	"strings"
	"testing"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

func TestScale(t *testing.T) {
	cases := []struct {
		name      string
		in        ScaleInput
		sts, conf int32
		reason    string
		gate      string
	}{
		{"new cluster", ScaleInput{Desired: 3}, 3, 3, "", ""},
		{"steady", ScaleInput{Desired: 3, Current: 3, InConf: 3}, 3, 3, "", ""},
		{"up at once", ScaleInput{Desired: 5, Current: 3, InConf: 3}, 5, 5, nacosv1alpha1.ReasonScalingUp, ""},
		{"down waits for health", ScaleInput{Desired: 3, Current: 5, InConf: 5, HealthGate: "DistroNotInitialized", HealthMessage: "n-1: Distro snapshot load failed"},
			5, 5, nacosv1alpha1.ReasonScalingDown, "DistroNotInitialized"},
		{"down: cluster.conf first", ScaleInput{Desired: 3, Current: 5, InConf: 5}, 5, 4, nacosv1alpha1.ReasonScalingDown, GateMemberLeaving},
		{"down: wait until nobody lists it", ScaleInput{Desired: 3, Current: 5, InConf: 4, LeavingListed: "n-0 still lists n-4"}, 5, 4, nacosv1alpha1.ReasonScalingDown, GateMemberLeaving},
		{"down: then shrink", ScaleInput{Desired: 3, Current: 5, InConf: 4}, 4, 4, nacosv1alpha1.ReasonScalingDown, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Scale(tc.in)
			if d.StatefulSet != tc.sts || d.Conf != tc.conf || d.Reason != tc.reason || d.Gate != tc.gate {
				t.Fatalf("%+v; want sts %d conf %d reason %q gate %q", d, tc.sts, tc.conf, tc.reason, tc.gate)
			}
			if d.Gate != "" && d.Message == "" {
				t.Error("a wait without a message")
			}
		})
	}
}

func TestLeavingListed(t *testing.T) {
	f := healthyCluster(3, 0)
	if got := LeavingListed(f.in.Members[:2], addrOf(2)); got == "" {
		t.Fatal("member lists still name n-2")
	}
	var stripped []Member
	for _, m := range f.in.Members[:2] {
		var view []nacos.Member
		for _, v := range m.View[:2] {
			rg := v.Raft["naming_service_metadata"]
			rg.Members = rg.Members[:2]
			v.Raft = map[string]nacos.RaftGroup{"naming_service_metadata": rg}
			view = append(view, v)
		}
		m.View = view
		stripped = append(stripped, m)
	}
	if got := LeavingListed(stripped, addrOf(2)); got != "" {
		t.Fatalf("%q after removal", got)
	}
	unreachable := append([]Member(nil), stripped...)
	unreachable[1].Reachable = false
	if got := LeavingListed(unreachable, addrOf(2)); !strings.Contains(got, "n-1 cannot be asked") {
		t.Fatalf("an unreachable member counted as not listing: %q", got)
	}
	stripped[0].View[0].Raft["naming_service_metadata"] = nacos.RaftGroup{Members: []string{resource.RaftAddress(addrOf(2))}}
	if got := LeavingListed(stripped, addrOf(2)); got != "n-0 still has the leaving member in Raft group naming_service_metadata" {
		t.Fatalf("%q", got)
	}
}

package rollout

import (
	"fmt"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fixture builds planner inputs fluently: a healthy cluster, then what is different.
type fixture struct{ in Input }

func addrOf(i int) string { return fmt.Sprintf("n-%d.h.ns.svc.cluster.local:8848", i) }

// healthyCluster: n members, all ready, agreed leader on member `leader`, all on revision "old",
// update revision "new".
func healthyCluster(n, leader int) *fixture {
	f := &fixture{in: Input{Now: t0, UpdateRevision: "new", TargetVersion: "2.5.1", StsGeneration: 2, StsObservedGeneration: 2,
		MemberReadyTimeout: 10 * time.Minute, StuckTimeout: 5 * time.Minute, RefreshMaxAge: 30 * time.Second}}
	var peers []string
	for i := 0; i < n; i++ {
		f.in.Desired = append(f.in.Desired, addrOf(i))
		peers = append(peers, resource.RaftAddress(addrOf(i)))
	}
	for i := 0; i < n; i++ {
		f.in.Members = append(f.in.Members, Member{Name: fmt.Sprintf("n-%d", i), Ordinal: i, Address: addrOf(i), Exists: true,
			UID: fmt.Sprintf("uid-%d", i), KubeReady: true, CreatedAt: t0.Add(-time.Hour), Revision: "old",
			Reachable: true, NacosReady: true, NamingUP: true})
	}
	for i := range f.in.Members {
		f.in.Members[i].View = f.view(leader, peers)
	}
	return f
}

func (f *fixture) view(leader int, peers []string) []nacos.Member {
	var out []nacos.Member
	for i := range f.in.Desired {
		out = append(out, nacos.Member{Address: addrOf(i), State: nacos.MemberUp, Version: "2.5.1", LastRefreshTime: t0.Add(-2 * time.Second),
			Raft: map[string]nacos.RaftGroup{
				"naming_persistent_service_v2": {Leader: peers[leader], Members: peers, Term: 3},
				"naming_service_metadata":      {Leader: peers[leader], Members: peers, Term: 3},
			}})
	}
	return out
}

func (f *fixture) member(i int, mutate func(*Member)) *fixture {
	mutate(&f.in.Members[i])
	return f
}

// seenBy changes how member `viewer` sees member `target`.
func (f *fixture) seenBy(viewer, target int, mutate func(*nacos.Member)) *fixture {
	view := append([]nacos.Member(nil), f.in.Members[viewer].View...)
	mutate(&view[target])
	f.in.Members[viewer].View = view
	return f
}

func (f *fixture) updated(idx ...int) *fixture {
	for _, i := range idx {
		f.in.Members[i].Revision = "new"
	}
	return f
}

func (f *fixture) lastRestart(i int, at time.Time) *fixture {
	f.in.Last = LastRestart{Member: f.in.Members[i].Name, UID: "gone-uid", At: at}
	return f
}

func (f *fixture) with(mutate func(*Input)) *fixture {
	mutate(&f.in)
	return f
}

package fidelity

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// The conditions both the live scenario and the simulator driver wait on, asked the way the
// operator's client asks.

func (p *Pods) major() int { return Major(p.NC.Spec.Version) }

// Ready holds once the member's readiness answers ready.
func (p *Pods) Ready(ordinal int) func(context.Context) bool {
	return func(ctx context.Context) bool { return viewOf(ctx, p.Dial(ordinal), p.major()).Readiness == "ready" }
}

// Answers holds once the member's HTTP port answers at all.
func (p *Pods) Answers(ordinal int) func(context.Context) bool {
	return func(ctx context.Context) bool {
		return send(ctx, "GET", "http://"+p.Dial(ordinal)+Calls(p.major())[0].Path, nil, nil).Error == ""
	}
}

// Lists holds once the member at from lists the member at ordinal in the given state.
func (p *Pods) Lists(from, ordinal int, state string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		want := p.Address(ordinal) + " " + state
		for _, m := range viewOf(ctx, p.Dial(from), p.major()).Members {
			if strings.HasPrefix(m, want) {
				return true
			}
		}
		return false
	}
}

// Settled holds once the member lists every peer UP with a version and the same raft groups,
// each with a leader: a restarted member is ready some seconds before its list has caught up
// with its peers' reports, and a record taken then is a moment, not a state.
func (p *Pods) Settled(ordinal int) func(context.Context) bool {
	return func(ctx context.Context) bool {
		members, err := p.Client(ordinal).Members(ctx)
		if err != nil || len(members) != int(p.NC.Spec.Replicas) {
			return false
		}
		groups := raftGroups(members[0])
		for _, m := range members {
			if m.State != nacos.MemberUp || m.Version == "" || raftGroups(m) != groups {
				return false
			}
			for _, g := range m.Raft {
				if g.Leader == "" {
					return false
				}
			}
		}
		return groups != ""
	}
}

func raftGroups(m nacos.Member) string {
	names := make([]string, 0, len(m.Raft))
	for n := range m.Raft {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// Client is the operator's Nacos client for a member, with the lane's identity.
func (p *Pods) Client(ordinal int) *nacos.Client {
	return nacos.New(p.Dial(ordinal), nacos.Options{Major: p.major(), Timeout: 2 * time.Second,
		Auth: nacos.Auth{IdentityKey: AuthValues.IdentityKey, IdentityValue: AuthValues.IdentityValue}})
}

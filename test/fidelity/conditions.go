package fidelity

import (
	"context"
	"strings"
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

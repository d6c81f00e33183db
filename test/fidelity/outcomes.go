package fidelity

// outcomes lists the states whose real answer races something the live scenario cannot hold
// still, each with the simulator path of every outcome the race can have, the state's own
// path first. A real record must match one of them with no unknown difference, so a raced
// state still fails on an answer the simulator cannot give.
var outcomes = map[string][]string{
	// Member 0's first answer once its port opens races its member reports (the report task
	// starts 5 s after the web server), its first Distro load (which needs a peer's gRPC
	// port) and the naming status refresh after it (every 5 s). Recorded: 2.5.1 before all
	// three; 3.0.3 loaded but not refreshed (naming DOWN with no message); a CI run of 2.5.1
	// answered something else again.
	"cluster-loading": {"cluster-loading", "cluster-loading:reported", "cluster-loading:loaded-unrefreshed", "cluster-loading:loaded"},
}

// Outcomes names the simulator paths a state's real record may match (Outcomes of a state
// that does not race is the state alone).
func Outcomes(state string) []string {
	if o, ok := outcomes[state]; ok {
		return o
	}
	return []string{state}
}

// Judged is a comparison with one outcome, split into the differences known.go explains
// and the ones it does not.
type Judged struct {
	Outcome string
	Known   []string // "difference (why)"
	Unknown []Difference
}

// Judge sorts the differences between a real record and the simulator's answer in one of
// the state's outcomes (known patterns are matched against the outcome's name).
func Judge(version, outcome string, diffs []Difference) Judged {
	j := Judged{Outcome: outcome}
	for _, d := range diffs {
		if why, ok := Tolerated(known, version, outcome, d); ok {
			j.Known = append(j.Known, d.String()+" ("+why+")")
			continue
		}
		j.Unknown = append(j.Unknown, d)
	}
	return j
}

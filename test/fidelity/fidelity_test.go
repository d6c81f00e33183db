package fidelity

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// compareWithSimulator puts simulated members in the state of a real record, runs the same
// calls and fails on every difference that is not a documented one (known). A raced state
// passes when one of its outcomes (Outcomes) matches; otherwise every outcome's differences
// are reported.
func compareWithSimulator(t *testing.T, version string, real Saved) {
	t.Helper()
	st, ok := StateNamed(real.State)
	if !ok {
		t.Fatalf("recorded state %q is not in States()", real.State)
	}
	var tried []Judged
	for _, outcome := range Outcomes(real.State) {
		simulated, err := SimRecord(t.Context(), version, t.TempDir(), st, outcome)
		if err != nil {
			t.Fatal(err)
		}
		j := Judge(version, outcome, Compare(real, simulated))
		if len(j.Unknown) == 0 {
			for _, k := range j.Known {
				t.Logf("known difference: %s", k)
			}
			if outcome != real.State {
				t.Logf("%s %s matches the simulator's outcome %s", version, real.State, outcome)
			}
			return
		}
		tried = append(tried, j)
	}
	for _, j := range tried {
		for _, d := range j.Unknown {
			t.Errorf("%s %s (as %s): %s", version, real.State, j.Outcome, d)
		}
	}
	mismatches.add(fmt.Sprintf("%s %s: real view %+v matched none of %v", version, real.State, real.View, Outcomes(real.State)))
}

// mismatches collects one line per failed comparison so the live lane can repeat them last:
// CI shows only the end of a long log.
var mismatches mismatchLog

type mismatchLog struct {
	sync.Mutex
	lines []string
}

func (m *mismatchLog) add(line string) {
	m.Lock()
	defer m.Unlock()
	m.lines = append(m.lines, line)
}

func (m *mismatchLog) all() []string {
	m.Lock()
	defer m.Unlock()
	return append([]string(nil), m.lines...)
}

// recorded loads every recorded state of a version; a missing directory fails the test (the
// records are committed; make test-nacos with NACOS_RECORD=1 renews them).
func recorded(t *testing.T, version string) []Saved {
	t.Helper()
	var out []Saved
	for _, st := range States() {
		s, err := LoadSaved(FixtureDir(version), st.Name)
		if err != nil {
			t.Fatalf("recorded real answers of %s %s: %v", version, st.Name, err)
		}
		out = append(out, s)
	}
	return out
}

// TestSimulatorMatchesRecordedReal is the differential test without a real server: the
// simulator in each state against what the real server answered in it.
func TestSimulatorMatchesRecordedReal(t *testing.T) {
	for _, v := range Versions {
		for _, s := range recorded(t, v) {
			t.Run(v+"/"+s.State, func(t *testing.T) { compareWithSimulator(t, v, s) })
		}
	}
}

// TestClientReadsRecordedReal replays the real answers of each state to the operator's
// client: it must make of them exactly what it made of them when they were recorded.
func TestClientReadsRecordedReal(t *testing.T) {
	for _, v := range Versions {
		for _, s := range recorded(t, v) {
			t.Run(v+"/"+s.State, func(t *testing.T) {
				st, _ := StateNamed(s.State)
				got, err := ClientView(t.Context(), Major(v), s.Answers, s.Login, st.Cred)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, s.View) {
					t.Errorf("client view of the replayed %s %s:\n got  %+v\n want %+v", v, s.State, got, s.View)
				}
			})
		}
	}
}

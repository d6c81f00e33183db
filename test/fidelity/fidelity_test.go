package fidelity

import (
	"reflect"
	"testing"
)

// compareWithSimulator puts simulated members in the state of a real record, runs the same
// calls and fails on every difference that is not a documented one (known).
func compareWithSimulator(t *testing.T, version string, real Saved) {
	t.Helper()
	st, ok := StateNamed(real.State)
	if !ok {
		t.Fatalf("recorded state %q is not in States()", real.State)
	}
	simulated, err := SimRecord(t.Context(), version, t.TempDir(), st)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Compare(real, simulated) {
		if why, ok := Tolerated(known, version, real.State, d); ok {
			t.Logf("known difference: %s (%s)", d, why)
			continue
		}
		t.Errorf("%s %s: %s", version, real.State, d)
	}
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

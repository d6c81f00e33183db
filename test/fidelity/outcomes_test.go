package fidelity

import (
	"reflect"
	"testing"
)

// TestRacedOutcomesAreDistinctAndStillFail guards the raced comparison: each outcome of a
// raced state is a different simulator answer (otherwise the alternative explains nothing),
// and a real record that matches none of them, here a recorded one with config readiness
// failing too, fails against every one.
func TestRacedOutcomesAreDistinctAndStillFail(t *testing.T) {
	for _, v := range Versions {
		for state, names := range outcomes {
			st, ok := StateNamed(state)
			if !ok {
				t.Fatalf("outcomes names %q, which is not in States()", state)
			}
			views := map[string]View{}
			for _, o := range names {
				s, err := SimRecord(t.Context(), v, t.TempDir(), st, o)
				if err != nil {
					t.Fatalf("%s %s: %v", v, o, err)
				}
				for other, view := range views {
					if reflect.DeepEqual(view, s.View) {
						t.Errorf("%s: outcomes %s and %s give the same view %+v", v, other, o, view)
					}
				}
				views[o] = s.View
			}
			real, err := LoadSaved(FixtureDir(v), state)
			if err != nil {
				t.Fatal(err)
			}
			real.View.Readiness = "not ready: config and naming not in readiness"
			for _, o := range names {
				s, err := SimRecord(t.Context(), v, t.TempDir(), st, o)
				if err != nil {
					t.Fatal(err)
				}
				if j := Judge(v, o, Compare(real, s)); len(j.Unknown) == 0 {
					t.Errorf("%s: a record no outcome gives passed as %s (known: %v)", v, o, j.Known)
				}
			}
		}
	}
}

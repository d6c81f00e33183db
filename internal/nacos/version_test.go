package nacos

import (
	"slices"
	"testing"
)

func TestDetectionRunsOnceAndPicksEndpoints(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{})
			for range 3 {
				if _, err := c.Members(t.Context()); err != nil {
					t.Fatalf("Members: %v", err)
				}
			}
			want := append(slices.Clone(tc.statePaths), tc.nodes, tc.nodes, tc.nodes)
			if got := requestPaths(srv.requests("")); !slices.Equal(got, want) {
				t.Errorf("requests = %v, want %v", got, want)
			}
		})
	}
}

func TestTrustedMajorSkipsDetection(t *testing.T) {
	for _, tc := range majorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeNacos(t, tc.routes())
			c := srv.client(Options{Major: tc.major})
			if _, err := c.Readiness(t.Context()); err != nil {
				t.Fatalf("Readiness: %v", err)
			}
			st, err := c.ServerState(t.Context())
			if err != nil || st.Major != tc.major {
				t.Fatalf("ServerState = %+v, %v", st, err)
			}
			// ServerState reads only the state endpoint of the trusted major.
			want := []string{tc.ready, tc.statePaths[len(tc.statePaths)-1]}
			if got := requestPaths(srv.requests("")); !slices.Equal(got, want) {
				t.Errorf("requests = %v, want %v", got, want)
			}
		})
	}
}

func TestUpgradeInPlaceIsRedetected(t *testing.T) {
	srv := newFakeNacos(t, scenario2())
	c := srv.client(Options{})
	if major, err := c.Major(t.Context()); err != nil || major != 2 {
		t.Fatalf("Major = %d, %v", major, err)
	}
	srv.reset(scenario3()) // the pod restarts on 3.0.3 behind the same address
	members, err := c.Members(t.Context())
	if err != nil || len(members) != 3 || members[0].Version != "3.0.3" {
		t.Fatalf("Members after upgrade = %+v, %v", members, err)
	}
	if major, err := c.Major(t.Context()); err != nil || major != 3 {
		t.Fatalf("Major after upgrade = %d, %v", major, err)
	}
	want := []string{pathState3, pathState2, pathNodes2, pathState3, pathNodes3}
	if got := requestPaths(srv.requests("")); !slices.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}

	srv.reset(scenario2()) // and back: the 3.x readiness path is gone on 2.x
	r, err := c.Readiness(t.Context())
	if err != nil || !r.Ready {
		t.Fatalf("Readiness after downgrade = %+v, %v", r, err)
	}
	if major, _ := c.Major(t.Context()); major != 2 {
		t.Errorf("Major after downgrade = %d", major)
	}
}

func TestDetectionFailures(t *testing.T) {
	t.Run("no state endpoint at all", func(t *testing.T) {
		srv := newFakeNacos(t, map[string]string{})
		_, err := srv.client(Options{}).Members(t.Context())
		if e := kindError(t, err, KindAPIGone); e.Op != opDetect || e.Path != pathState2 {
			t.Errorf("error = %+v", e)
		}
	})
	t.Run("3.x state endpoint fails", func(t *testing.T) {
		srv := newFakeNacos(t, map[string]string{pathState3: "common/server-error.http"})
		_, err := srv.client(Options{}).ServerState(t.Context())
		if e := kindError(t, err, KindServerError); e.Op != opState || e.Path != pathState3 {
			t.Errorf("error = %+v", e)
		}
		if got := requestPaths(srv.requests("")); !slices.Equal(got, []string{pathState3}) {
			t.Errorf("a 5xx must not fall back to 2.x; requests = %v", got)
		}
	})
	t.Run("state without a version", func(t *testing.T) {
		srv := newFakeNacos(t, map[string]string{pathState2: "2.5.1/metrics-up.http"})
		_, err := srv.client(Options{}).Major(t.Context())
		mustKind(t, err, KindMalformedBody)
	})
}

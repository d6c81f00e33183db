package nacos

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for every parser, seeded with every fixture. Besides "no panic",
// each checks the invariants callers rely on.

func addFixtureSeeds(f *testing.F, add func(fx fixture)) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*", "*.http"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range names {
		rel, _ := filepath.Rel("testdata", name)
		add(loadFixture(f, filepath.ToSlash(rel)))
	}
}

func seedStatusBody(f *testing.F) {
	addFixtureSeeds(f, func(fx fixture) { f.Add(fx.status, fx.body) })
}

func seedMajorBody(f *testing.F) {
	addFixtureSeeds(f, func(fx fixture) {
		f.Add(2, fx.body)
		f.Add(3, fx.body)
	})
}

// checkError asserts that err is a well-formed *Error with a kind.
func checkError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind == "" {
		t.Fatalf("error without a kind: %#v", err)
	}
	checkMessage(t, e.Message)
	if e.Error() == "" {
		t.Fatal("empty error text")
	}
}

func checkMessage(t *testing.T, msg string) {
	t.Helper()
	if len(msg) > maxMessageLen || !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r\t") {
		t.Fatalf("message not cleaned: %q", msg)
	}
}

func FuzzParseReadiness(f *testing.F) {
	seedStatusBody(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, err := parseReadiness(status, body)
		switch {
		case err != nil:
			checkError(t, err)
			if r != (Readiness{}) {
				t.Fatalf("error with a result: %+v", r)
			}
		case r.Ready:
			if r.Message != "" {
				t.Fatalf("ready with a message: %q", r.Message)
			}
		default:
			checkMessage(t, r.Message)
			if r.Message == "" {
				t.Fatal("not ready without a reason")
			}
		}
		if err == nil && status != 200 && status != 500 {
			t.Fatalf("status %d accepted", status)
		}
	})
}

func FuzzParseLiveness(f *testing.F) {
	seedStatusBody(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := parseLiveness(status, body)
		if err != nil {
			checkError(t, err)
		} else if status != 200 {
			t.Fatalf("status %d is alive", status)
		}
	})
}

func FuzzParseNamingStatus(f *testing.F) {
	seedStatusBody(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		ns, err := parseNamingStatus(status, body)
		if err != nil {
			checkError(t, err)
			return
		}
		if !isStatusWord(ns.Status) {
			t.Fatalf("status %q is not a status word", ns.Status)
		}
		checkMessage(t, ns.Message)
	})
}

func FuzzParseMembers(f *testing.F) {
	seedMajorBody(f)
	f.Fuzz(func(t *testing.T, major int, body []byte) {
		members, err := parseMembers(major, body)
		if err != nil {
			checkError(t, err)
			if k := KindOf(err); k != KindMalformedBody && k != KindUnexpectedStatus {
				t.Fatalf("kind %s from a body parser", k)
			}
			return
		}
		for _, m := range members {
			checkMember(t, m)
		}
	})
}

func FuzzParseMember(f *testing.F) {
	seedMajorBody(f)
	f.Fuzz(func(t *testing.T, major int, body []byte) {
		m, err := parseMember(major, body)
		if err != nil {
			checkError(t, err)
			return
		}
		checkMember(t, m)
	})
}

func checkMember(t *testing.T, m Member) {
	t.Helper()
	if m.Address == "" {
		t.Fatalf("member without an address: %+v", m)
	}
	if m.NeverContacted() != (m.Version == "" && m.LastRefreshTime.IsZero()) {
		t.Fatalf("NeverContacted inconsistent: %+v", m)
	}
}

func FuzzParseServerState(f *testing.F) {
	seedMajorBody(f)
	f.Fuzz(func(t *testing.T, major int, body []byte) {
		st, err := parseServerState(major, body)
		if err != nil {
			checkError(t, err)
			return
		}
		if st.Major < 1 || !strings.HasPrefix(st.Version, strconv.Itoa(st.Major)) || st.Raw["version"] != st.Version {
			t.Fatalf("inconsistent state: %+v", st)
		}
	})
}

func FuzzParseLogin(f *testing.F) {
	seedStatusBody(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		token, ttl, err := parseLogin(status, body)
		if err == nil {
			if token == "" || ttl < 0 || ttl > maxTokenTTL {
				t.Fatalf("token %q, ttl %v", token, ttl)
			}
			return
		}
		checkError(t, err)
		// A 200 answer holds the token: its errors must never quote it.
		var parsed struct {
			AccessToken string `json:"accessToken"`
		}
		if status == 200 && json.Unmarshal(body, &parsed) == nil && len(parsed.AccessToken) >= 8 &&
			strings.Contains(err.Error(), parsed.AccessToken) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}

func FuzzParseErrorMessage(f *testing.F) {
	addFixtureSeeds(f, func(fx fixture) { f.Add(fx.body) })
	f.Fuzz(func(t *testing.T, body []byte) {
		checkMessage(t, parseErrorMessage(body))
	})
}

func FuzzRedact(f *testing.F) {
	f.Add(`Get "http://h:8848/nacos/v1/core/cluster/nodes?accessToken=eyJ&x=1": EOF`, "eyJ")
	f.Add("user nacos password P@ss not found", "P@ss")
	f.Fuzz(func(t *testing.T, text, secret string) {
		out := redact(text, []string{secret})
		// The marker "[redacted]" can only recreate a secret made of its own text
		// or crossing its brackets.
		if secret != "" && !strings.ContainsAny(secret, "[]") && !strings.Contains("[redacted]", secret) &&
			strings.Contains(out, secret) {
			t.Fatalf("redact(%q, %q) = %q keeps the secret", text, secret, out)
		}
		if i := strings.Index(out, "://"); i >= 0 {
			rest := out[i:]
			if end := strings.IndexFunc(rest, endOfURL); end >= 0 {
				rest = rest[:end]
			}
			if strings.Contains(rest, "?") {
				t.Fatalf("query kept in %q", out)
			}
		}
	})
}

package upgrade

import (
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	three := func(v ...string) []string { return v }
	cases := []struct {
		name string
		in   Input
		// want
		version, from, to string
		kind              Kind
		hold              string
		message           []string // substrings of the message
	}{
		{name: "new cluster", in: Input{Desired: "2.5.1"}, version: "2.5.1"},
		{name: "steady", in: Input{Desired: "2.5.1", Rendered: "2.5.1", Running: three("2.5.1", "2.5.1", "2.5.1")}, version: "2.5.1"},
		{name: "patch", in: Input{Desired: "2.5.2", Rendered: "2.5.1", Running: three("2.5.1", "2.5.1", "2.5.1")},
			version: "2.5.2", from: "2.5.1", to: "2.5.2", kind: KindPatch},
		{name: "minor on embedded storage: Derby migrates itself, nothing asked",
			in:      Input{Desired: "2.5.1", Rendered: "2.4.3", Running: three("2.4.3", "2.4.3", "2.4.3")},
			version: "2.5.1", from: "2.4.3", to: "2.5.1", kind: KindMinor},
		{name: "minor on MySQL across the gray schema waits for the user",
			in:      Input{Desired: "2.5.1", Rendered: "2.4.3", Running: three("2.4.3", "2.4.3", "2.4.3"), MySQL: true},
			version: "2.4.3", from: "2.4.3", to: "2.5.1", kind: KindMinor, hold: HoldSchemaNotConfirmed,
			message: []string{"2.4.3 -> 2.5.1 waits for the MySQL schema", "config_info_gray", "publish_type, gray_name and ext_info", "nacos.io/schema-confirmed=2.5.1", "never starts"}},
		{name: "a confirmation for another version does not count",
			in:      Input{Desired: "2.5.1", Rendered: "2.4.3", Running: three("2.4.3"), MySQL: true, SchemaConfirmed: "2.5.0"},
			version: "2.4.3", from: "2.4.3", to: "2.5.1", kind: KindMinor, hold: HoldSchemaNotConfirmed},
		{name: "confirmed schema starts the upgrade",
			in:      Input{Desired: "2.5.1", Rendered: "2.4.3", Running: three("2.4.3", "2.4.3", "2.4.3"), MySQL: true, SchemaConfirmed: "2.5.1"},
			version: "2.5.1", from: "2.4.3", to: "2.5.1", kind: KindMinor},
		{name: "major on MySQL from 2.5: same schema, nothing asked",
			in:      Input{Desired: "3.0.3", Rendered: "2.5.1", Running: three("2.5.1", "2.5.1", "2.5.1"), MySQL: true},
			version: "3.0.3", from: "2.5.1", to: "3.0.3", kind: KindMajor},
		{name: "major on MySQL from 2.4 asks for the schema",
			in:      Input{Desired: "3.0.3", Rendered: "2.4.3", Running: three("2.4.3"), MySQL: true},
			version: "2.4.3", from: "2.4.3", to: "3.0.3", kind: KindMajor, hold: HoldSchemaNotConfirmed, message: []string{"Nacos 3.0 reads table config_info_gray", "the 2.4 schema lacks"}},
		{name: "downgrade across the schema on MySQL: 2.4 ignores the extra table, nothing asked",
			in:      Input{Desired: "2.4.3", Rendered: "2.5.1", Running: three("2.5.1"), MySQL: true},
			version: "2.4.3", from: "2.5.1", to: "2.4.3", kind: KindMinor},
		{name: "major downgrade is refused",
			in:      Input{Desired: "2.5.1", Rendered: "3.0.3", Running: three("3.0.3", "3.0.3", "3.0.3")},
			version: "3.0.3", from: "3.0.3", to: "2.5.1", hold: HoldUpgradeRefused,
			message: []string{"Version 2.5.1 is refused, members stay on 3.0.3 and nothing is restarted", "crosses a major version"}},
		{name: "unknown line is refused",
			in:      Input{Desired: "3.7.0", Rendered: "3.0.3", Running: three("3.0.3")},
			version: "3.0.3", from: "3.0.3", to: "3.7.0", hold: HoldUpgradeRefused, message: []string{"Nacos 3.7.0 is not a version this operator knows", KnownLines}},
		{name: "skipping the rest of a running upgrade is refused",
			in:      Input{Desired: "3.0.3", Rendered: "2.5.1", Running: three("2.5.1", "2.4.3", "2.4.3")},
			version: "2.5.1", from: "2.5.1", to: "3.0.3", hold: HoldUpgradeRefused,
			message: []string{"the upgrade to 2.5.1 has not finished: members still run 2.4.3"}},
		{name: "going back to the version members still run is a rollback, allowed",
			in:      Input{Desired: "2.4.3", Rendered: "2.5.1", Running: three("2.5.1", "2.4.3", "2.4.3"), MySQL: true},
			version: "2.4.3", from: "2.5.1", to: "2.4.3", kind: KindMinor},
		{name: "in progress: template rendered, members mixed, lowest first",
			in:      Input{Desired: "3.0.3", Rendered: "3.0.3", Running: three("3.0.3", "2.5.1", "2.5.1")},
			version: "3.0.3", from: "2.5.1", to: "3.0.3", kind: KindMajor},
		{name: "in progress from two versions reports the lowest",
			in:      Input{Desired: "2.5.1", Rendered: "2.5.1", Running: three("2.5.1", "2.4.10", "2.4.3")},
			version: "2.5.1", from: "2.4.3", to: "2.5.1", kind: KindMinor},
		{name: "an upgrade is not over while a member's version is unknown",
			in:      Input{Desired: "3.0.3", Rendered: "3.0.3", Running: three("3.0.3", "3.0.3"), Unknown: 1, InProgressFrom: "2.5.1"},
			version: "3.0.3", from: "2.5.1", to: "3.0.3", kind: KindMajor},
		{name: "a member down outside any upgrade is no upgrade",
			in:      Input{Desired: "3.0.3", Rendered: "3.0.3", Running: three("3.0.3", "3.0.3"), Unknown: 1},
			version: "3.0.3"},
		{name: "a template the operator did not write is not held",
			in:      Input{Desired: "2.5.1", Rendered: "latest", Running: three("2.4.3")},
			version: "2.5.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Plan(c.in)
			if d.Version != c.version || d.From != c.from || d.To != c.to || d.Kind != c.kind || d.Hold != c.hold {
				t.Fatalf("got version %q from %q to %q kind %q hold %q (%s)\nwant version %q from %q to %q kind %q hold %q",
					d.Version, d.From, d.To, d.Kind, d.Hold, d.Message, c.version, c.from, c.to, c.kind, c.hold)
			}
			if d.Held() != (c.hold != "") || (c.hold != "") != (d.Message != "") {
				t.Fatalf("held %v with message %q", d.Held(), d.Message)
			}
			for _, m := range c.message {
				if !strings.Contains(d.Message, m) {
					t.Errorf("message %q lacks %q", d.Message, m)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Version{"2.5.1": {2, 5, 1, "2.5.1"}, "3.0.3-BETA": {3, 0, 3, "3.0.3-BETA"}, "2.4.10": {2, 4, 10, "2.4.10"}} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2.5", "v2.5.1", "2.x.1", "latest"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "not a Nacos release number") {
			t.Errorf("Parse(%q) = %v, want a clear refusal", bad, err)
		}
	}
	a, _ := Parse("2.4.10")
	b, _ := Parse("2.4.9")
	if a.Compare(b) <= 0 {
		t.Error("2.4.10 must sort after 2.4.9")
	}
}

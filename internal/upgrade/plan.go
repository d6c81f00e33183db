package upgrade

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is how far an upgrade goes.
type Kind string

// The kinds: none (same version), patch (same release line, either way), minor (another
// line of the same major), major (2.x to 3.x).
const (
	KindNone  Kind = ""
	KindPatch Kind = "Patch"
	KindMinor Kind = "Minor"
	KindMajor Kind = "Major"
)

// Hold reasons: why the operator keeps rendering the running version. They are the
// Progressing condition's reasons (api/v1alpha1 ReasonSchemaNotConfirmed, ReasonUpgradeRefused).
const (
	HoldSchemaNotConfirmed = "SchemaNotConfirmed"
	HoldUpgradeRefused     = "UpgradeRefused"
)

// Input is what the decision reads.
type Input struct {
	// Desired is spec.version.
	Desired string
	// Rendered is the version of the StatefulSet's pod template ("" before the first one).
	Rendered string
	// Running are the versions the members report (repeats allowed, unknowns left out).
	Running []string
	// MySQL is true for external MySQL storage (the schema is the user's; embedded Derby
	// is migrated by Nacos itself at every start).
	MySQL bool
	// SchemaConfirmed is the nacos.io/schema-confirmed annotation: the version whose MySQL
	// schema the user has applied.
	SchemaConfirmed string
	// Unknown counts members whose version is not known (not answering, e.g. restarting).
	Unknown int
	// InProgressFrom is the From of the upgrade to Desired that status records ("" if none):
	// while a member's version is unknown, that upgrade is not over.
	InProgressFrom string
}

// Decision is the version to render and what the upgrade is doing.
type Decision struct {
	// Version to render: Desired, or Rendered while the upgrade is held.
	Version string
	// From and To describe the upgrade in progress or held ("" when none).
	From, To string
	Kind     Kind
	// Hold is a Hold* reason when the upgrade does not start; Message says why and what to do.
	Hold    string
	Message string
}

// Held reports whether the decision keeps the running version.
func (d Decision) Held() bool { return d.Hold != "" }

// Plan decides which version to render. A change of spec.version starts only when it is an
// upgrade Nacos supports from what the members run, and, on MySQL across a schema
// generation, only once the user confirms the target's schema is applied.
func Plan(in Input) Decision {
	if in.Rendered == "" || in.Rendered == in.Desired {
		return inProgress(in)
	}
	from, err := Parse(in.Rendered)
	if err != nil { // a template the operator did not write: nothing to hold it to
		return Decision{Version: in.Desired}
	}
	to, err := Parse(in.Desired)
	if err != nil {
		return refuse(in, fmt.Sprintf("version %q is not a Nacos release number", in.Desired))
	}
	kind := kindOf(from, to)
	d := Decision{Version: in.Desired, From: in.Rendered, To: in.Desired, Kind: kind}
	switch {
	case !Known(to):
		return refuse(in, fmt.Sprintf("Nacos %s is not a version this operator knows (it knows %s); its APIs, probes and start script are unverified", in.Desired, KnownLines))
	case to.Major < from.Major:
		return refuse(in, fmt.Sprintf("a downgrade from %s to %s crosses a major version: once every member runs %d.x, Nacos checks the server identity on every call between members and rewrites namespaces, which %d.x cannot undo", in.Rendered, in.Desired, from.Major, to.Major))
	case to.Major > from.Major+1:
		return refuse(in, fmt.Sprintf("%s to %s skips a major version; upgrade one major at a time", in.Rendered, in.Desired))
	}
	if mixed := others(in.Running, in.Rendered); len(mixed) > 0 && !slices.Contains(in.Running, in.Desired) {
		return refuse(in, fmt.Sprintf("the upgrade to %s has not finished: members still run %s; set version back to %s (or to a version the members run) until every member runs it, then upgrade again",
			in.Rendered, strings.Join(mixed, ", "), in.Rendered))
	}
	if in.MySQL && lines[from.Line()] != lines[to.Line()] && to.Compare(from) > 0 && in.SchemaConfirmed != in.Desired {
		d.Version, d.Hold = in.Rendered, HoldSchemaNotConfirmed
		d.Message = fmt.Sprintf("The upgrade %s -> %s waits for the MySQL schema: Nacos %s reads table config_info_gray and columns publish_type, gray_name and ext_info of his_config_info, which the %s schema lacks, and a member on the old schema never starts (\"bad SQL grammar [SELECT COUNT(*) FROM config_info_gray]\"). Back up the database, add them as %s's conf/mysql-schema.sql defines them (Nacos upgrade manual, \"confirm the table structure\"; keep config_info_beta and config_info_tag), then annotate the NacosCluster %s=%s.",
			in.Rendered, in.Desired, to.Line(), from.Line(), in.Desired, "nacos.io/schema-confirmed", in.Desired)
	}
	return d
}

// inProgress describes an upgrade whose template is rendered and whose members are not all
// on it yet.
func inProgress(in Input) Decision {
	d := Decision{Version: in.Desired}
	old := others(in.Running, in.Desired)
	if len(old) == 0 && in.Unknown > 0 && in.InProgressFrom != "" {
		old = []string{in.InProgressFrom} // the member not answering may still run it
	}
	if len(old) == 0 {
		return d
	}
	to, err := Parse(in.Desired)
	lowest, err2 := Parse(old[0])
	if err != nil || err2 != nil {
		return d
	}
	d.From, d.To, d.Kind = old[0], in.Desired, kindOf(lowest, to)
	return d
}

func refuse(in Input, why string) Decision {
	return Decision{Version: in.Rendered, From: in.Rendered, To: in.Desired, Hold: HoldUpgradeRefused,
		Message: fmt.Sprintf("Version %s is refused, members stay on %s and nothing is restarted: %s.", in.Desired, in.Rendered, why)}
}

func kindOf(from, to Version) Kind {
	switch {
	case from.Major != to.Major:
		return KindMajor
	case from.Minor != to.Minor:
		return KindMinor
	case from.Compare(to) != 0 || from.Raw != to.Raw:
		return KindPatch
	}
	return KindNone
}

// others lists the versions in running other than v, lowest first, each once.
func others(running []string, v string) []string {
	var out []string
	for _, r := range running {
		if r != "" && r != v && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		va, ea := Parse(a)
		vb, eb := Parse(b)
		if ea != nil || eb != nil {
			return strings.Compare(a, b)
		}
		return va.Compare(vb)
	})
	return out
}

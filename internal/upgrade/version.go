// Package upgrade decides, purely, which Nacos version the operator may render for a
// cluster: the spec's, or the one its members run while an upgrade waits for the user or is
// refused. It knows the release lines the operator supports, which of them share a MySQL
// schema, and which moves between them are upgrades Nacos supports (docs/design/upgrades.md).
package upgrade

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed Nacos release number; anything after the patch (e.g. "-BETA") is kept
// in Raw only.
type Version struct {
	Major, Minor, Patch int
	Raw                 string
}

// Parse reads "2.5.1" or "3.0.3-BETA".
func Parse(s string) (Version, error) {
	core := s
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.SplitN(core, ".", 4)
	if len(parts) < 3 {
		return Version{}, fmt.Errorf("version %q is not a Nacos release number such as 2.5.1", s)
	}
	var n [3]int
	for i := range 3 {
		v, err := strconv.Atoi(parts[i])
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("version %q is not a Nacos release number such as 2.5.1", s)
		}
		n[i] = v
	}
	return Version{Major: n[0], Minor: n[1], Patch: n[2], Raw: s}, nil
}

// Line is the release line, "2.5".
func (v Version) Line() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Compare orders versions by major, minor and patch.
func (v Version) Compare(o Version) int {
	for _, d := range []int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		if d != 0 {
			return d
		}
	}
	return 0
}

// schema names a MySQL schema generation: the release lines that read and write the same
// tables. Read from each release's distribution/conf/mysql-schema.sql.
type schema string

const (
	// schemaBeforeGray: 2.3 and 2.4 (config_info_beta, config_info_tag; no gray table).
	schemaBeforeGray schema = "2.4"
	// schemaGray: 2.5 and 3.0 (byte-identical files): config_info_gray, and
	// his_config_info.publish_type, gray_name and ext_info.
	schemaGray schema = "2.5"
)

// lines are the release lines the operator knows: their APIs, probes and start scripts are
// modelled and, for 2.4, 2.5 and 3.0, run for real (make test-nacos).
var lines = map[string]schema{
	"2.3": schemaBeforeGray,
	"2.4": schemaBeforeGray,
	"2.5": schemaGray,
	"3.0": schemaGray,
}

// Known reports whether the operator knows v's release line.
func Known(v Version) bool {
	_, ok := lines[v.Line()]
	return ok
}

// KnownLines lists the known release lines, for messages.
const KnownLines = "2.3, 2.4, 2.5 and 3.0"

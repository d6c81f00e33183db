package fidelity

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
)

// Difference is one way a simulated answer departs from the real one.
type Difference struct {
	Where string // "<call>: <json path>" or "view.<field>"
	Real  string
	Sim   string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: real %s, simulator %s", d.Where, d.Real, d.Sim)
}

// valueKeys are the JSON keys whose values, not only their types, must match: what the
// client parses, and the words Nacos uses to explain itself.
var valueKeys = map[string]bool{
	"code": true, "message": true, "status": true, "error": true, "state": true, "startup_mode": true,
	"version": true, "auth_enabled": true, "datasource_platform": true, "function_mode": true,
	"raftPort": true, "readyToUpgrade": true, "data": true,
}

// Compare lists the differences between a real record and a simulated one of the same state:
// per call the status code, the media type, and the body (text exactly; JSON by key sets,
// value types and the values of valueKeys); then the client's view, field by field.
func Compare(real, sim Saved) []Difference {
	var out []Difference
	names := make([]string, 0, len(real.Answers))
	for n := range real.Answers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, compareAnswer(n, real.Answers[n], sim.Answers[n])...)
	}
	if real.Login != nil {
		s := Answer{Error: "not recorded"}
		if sim.Login != nil {
			s = *sim.Login
		}
		out = append(out, compareAnswer("login", *real.Login, s)...)
	}
	rv, sv := reflect.ValueOf(real.View), reflect.ValueOf(sim.View)
	for i := 0; i < rv.NumField(); i++ {
		a, b := fmt.Sprint(rv.Field(i).Interface()), fmt.Sprint(sv.Field(i).Interface())
		if a != b {
			out = append(out, Difference{Where: "view." + rv.Type().Field(i).Name, Real: a, Sim: b})
		}
	}
	return out
}

func compareAnswer(name string, r, s Answer) []Difference {
	switch {
	case r.Error != "" || s.Error != "":
		if r.Error != s.Error {
			return []Difference{{Where: name, Real: describe(r), Sim: describe(s)}}
		}
		return nil
	case r.Status != s.Status:
		return []Difference{{Where: name + ": status", Real: fmt.Sprint(r.Status), Sim: fmt.Sprint(s.Status)}}
	}
	var out []Difference
	if mediaType(r.ContentType) != mediaType(s.ContentType) {
		out = append(out, Difference{Where: name + ": content type", Real: r.ContentType, Sim: s.ContentType})
	}
	var rj, sj any
	rerr, serr := json.Unmarshal([]byte(r.Body), &rj), json.Unmarshal([]byte(s.Body), &sj)
	if rerr != nil || serr != nil {
		if r.Body != s.Body {
			out = append(out, Difference{Where: name + ": body", Real: quote(r.Body), Sim: quote(s.Body)})
		}
		return out
	}
	return append(out, compareJSON(name+": $", "", rj, sj)...)
}

func describe(a Answer) string {
	if a.Error != "" {
		return "no answer (" + a.Error + ")"
	}
	return fmt.Sprintf("HTTP %d", a.Status)
}

func mediaType(ct string) string {
	m, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(m))
}

func quote(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// compareJSON compares shapes; key is the name of the value in its parent object.
func compareJSON(where, key string, r, s any) []Difference {
	if kind(r) != kind(s) {
		return []Difference{{Where: where, Real: kind(r) + " " + short(r), Sim: kind(s) + " " + short(s)}}
	}
	switch rv := r.(type) {
	case map[string]any:
		return compareObjects(where, rv, s.(map[string]any))
	case []any:
		return compareArrays(where, rv, s.([]any))
	}
	if valueKeys[key] && fmt.Sprint(r) != fmt.Sprint(s) {
		return []Difference{{Where: where, Real: short(r), Sim: short(s)}}
	}
	return nil
}

func compareObjects(where string, rv, sv map[string]any) []Difference {
	var out []Difference
	for _, k := range unionKeys(rv, sv) {
		a, inReal := rv[k]
		b, inSim := sv[k]
		switch {
		case !inReal:
			out = append(out, Difference{Where: where + "." + k, Real: "absent", Sim: kind(b)})
		case !inSim:
			out = append(out, Difference{Where: where + "." + k, Real: kind(a), Sim: "absent"})
		default:
			out = append(out, compareJSON(where+"."+k, k, a, b)...)
		}
	}
	return out
}

// compareArrays pairs member lists by address (they come in different orders), other arrays
// by index.
func compareArrays(where string, rv, sv []any) []Difference {
	if len(rv) != len(sv) {
		return []Difference{{Where: where, Real: fmt.Sprintf("%d items", len(rv)), Sim: fmt.Sprintf("%d items", len(sv))}}
	}
	rk, sk := byAddress(rv), byAddress(sv)
	var out []Difference
	for i := range rv {
		a, b, at := rv[i], sv[i], fmt.Sprintf("%s[%d]", where, i)
		if rk != nil && sk != nil {
			addr := addressOf(rv[i])
			a, b, at = rk[addr], sk[addr], fmt.Sprintf("%s[%s]", where, addr)
			if b == nil {
				out = append(out, Difference{Where: at, Real: "present", Sim: "absent"})
				continue
			}
		}
		out = append(out, compareJSON(at, "", a, b)...)
	}
	return out
}

func addressOf(v any) string {
	m, _ := v.(map[string]any)
	a, _ := m["address"].(string)
	return a
}

// byAddress indexes a list of members by address; nil unless every item has one.
func byAddress(items []any) map[string]any {
	out := map[string]any{}
	for _, it := range items {
		a := addressOf(it)
		if a == "" {
			return nil
		}
		out[a] = it
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return quote(string(b))
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Known is a difference the simulator keeps on purpose, with the reason it cannot matter to
// the operator (docs/simulator.md lists the same).
type Known struct {
	Version, State, Where string // path.Match patterns
	Real                  string // a path.Match pattern over Difference.Real; empty: any
	Why                   string
}

// Tolerated tells whether d is a known difference of that version and state, and why.
func Tolerated(known []Known, version, state string, d Difference) (string, bool) {
	for _, k := range known {
		okV, _ := path.Match(k.Version, version)
		okS, _ := path.Match(k.State, state)
		if !okV || !okS {
			continue
		}
		if k.Real != "" {
			if ok, _ := path.Match(k.Real, d.Real); !ok {
				continue
			}
		}
		if ok, _ := path.Match(k.Where, d.Where); ok {
			return k.Why, true
		}
	}
	return "", false
}

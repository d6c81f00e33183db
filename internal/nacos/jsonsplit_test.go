package nacos

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameAsUnmarshal checks, at every depth of a valid JSON value, that the one-pass split
// gives what json.Unmarshal gives.
func sameAsUnmarshal(t testing.TB, raw []byte) {
	t.Helper()
	switch jsonType(raw) {
	case "object":
		var want map[string]json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("unmarshal %s: %v", raw, err)
		}
		got, err := decodeTrusted(raw, "value")
		if err != nil {
			t.Fatalf("split %s: %v", raw, err)
		}
		if len(got) != len(want) {
			t.Fatalf("split %s: keys %v, want %v", raw, keys(got), keysRaw(want))
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("split %s: key %q = %s, want %s", raw, k, got[k], v)
			}
			sameAsUnmarshal(t, v)
		}
	case "array":
		var want []json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("unmarshal %s: %v", raw, err)
		}
		got, err := splitArray(raw)
		if err != nil || len(got) != len(want) {
			t.Fatalf("split %s: %d items (%v), want %d", raw, len(got), err, len(want))
		}
		for i := range want {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("split %s: item %d = %s, want %s", raw, i, got[i], want[i])
			}
			sameAsUnmarshal(t, want[i])
		}
	case "string":
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("unmarshal %s: %v", raw, err)
		}
		if got, err := unquote(bytes.TrimSpace(raw)); err != nil || got != want {
			t.Fatalf("unquote %s = %q (%v), want %q", raw, got, err, want)
		}
	}
}

func keys(f fields) []string {
	out := []string{}
	for k := range f {
		out = append(out, k)
	}
	return out
}

func keysRaw(m map[string]json.RawMessage) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSplitMatchesUnmarshalOnEveryRecordedBody(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*/*.http")
	if err != nil || len(files) < 50 {
		t.Fatalf("%d recorded bodies (%v); want the fixtures", len(files), err)
	}
	checked := 0
	for _, f := range files {
		body := loadFixture(t, strings.TrimPrefix(filepath.ToSlash(f), "testdata/")).body
		if json.Valid(body) {
			sameAsUnmarshal(t, body)
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d JSON bodies checked", checked)
	}
	for _, tricky := range []string{
		`{"a\"b":"x\\\"y","c":[1,{"d":"}]"}],"e":{},"f":[],"g":null,"h":-1.5e3,"a\"b":"last wins"}`,
		` [ "\u00e9" , "tab\t" , {"k" : [ [ ] ] } ] `, `{"ü":"é","x":"line\nbreak"}`,
	} {
		sameAsUnmarshal(t, []byte(tricky))
	}
}

func FuzzSplitMatchesUnmarshal(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"2",{"c":null}]},"d":"e\"f"}`))
	f.Add([]byte(`[{"x":true},false,"\u0041"]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		sameAsUnmarshal(t, raw)
	})
}

func TestSplitDuplicateKeysKeepTheLast(t *testing.T) {
	got, err := decodeTrusted([]byte(`{"k":"1","k":"2"}`), "v")
	var want map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"k":"1","k":"2"}`), &want)
	if err != nil || !reflect.DeepEqual(string(got["k"]), string(want["k"])) {
		t.Fatalf("duplicate key: %s (%v), want %s", got["k"], err, want["k"])
	}
}

package nacos

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParseMembers parses a member list recorded from a real 3-member 2.5.1 cluster:
// the operator's largest answer, parsed for every member on every probe (profiled as the
// biggest share of an idle operator's CPU with 100 clusters, docs/benchmarks.md).
func BenchmarkParseMembers(b *testing.B) {
	raw, err := os.ReadFile("testdata/real-2.5.1/cluster-healthy/nodes-v1.http")
	if err != nil {
		b.Fatal(err)
	}
	body := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		body = raw[i+4:]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		body = raw[i+2:]
	}
	if ms, err := parseMembers(2, body); err != nil || len(ms) != 3 {
		b.Fatalf("fixture parses to %d members: %v", len(ms), err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMembers(2, body); err != nil {
			b.Fatal(err)
		}
	}
}

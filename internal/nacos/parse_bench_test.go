package nacos

import "testing"

// BenchmarkParseMembers parses a member list recorded from a real 3-member 2.5.1 cluster:
// the operator's largest answer, parsed for every member on every probe (profiled as the
// biggest share of an idle operator's CPU with 100 clusters, docs/benchmarks.md).
func BenchmarkParseMembers(b *testing.B) {
	body := loadFixture(b, "real-2.5.1/cluster-healthy/nodes-v1.http").body
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

package controllers

import (
	"slices"
	"testing"
)

// Forgetting one cluster's start-up records leaves another's whose name extends it.
func TestForgetStartupsKeepsAnotherClustersRecords(t *testing.T) {
	r := &NacosClusterReconciler{}
	for _, k := range []string{"ns/nacos-0", "ns/nacos-1", "ns/nacos-prod-0", "other/nacos-0"} {
		r.startups.Store(k, struct{}{})
	}
	r.forgetStartups("ns", "nacos", map[string]bool{"ns/nacos-0": true})
	var left []string
	r.startups.Range(func(k, _ any) bool { left = append(left, k.(string)); return true })
	slices.Sort(left)
	if want := []string{"ns/nacos-0", "ns/nacos-prod-0", "other/nacos-0"}; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}

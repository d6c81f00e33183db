package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestSamplesApply applies config/samples as a user would and reads them back with kubectl.
func TestSamplesApply(t *testing.T) {
	ns := namespace(t)
	out := kubectl(t, "apply", "-n", ns, "-k", filepath.Join(harness.RepoRoot(), "config", "samples"))
	for _, want := range []string{"nacoscluster.nacos.io/nacos created", "nacoscluster.nacos.io/nacos-dev created", "nacoscluster.nacos.io/nacos-prod created"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply of the samples did not report %q:\n%s", want, out)
		}
	}
	got := kubectl(t, "get", "-n", ns, "nc", "-o", "custom-columns=NAME:.metadata.name,MODE:.spec.mode,REPLICAS:.spec.replicas,STORAGE:.spec.storage.type,AUTH:.spec.auth.enabled", "--no-headers")
	want := []string{"nacos cluster 3 embedded false", "nacos-dev standalone 1 embedded false", "nacos-prod cluster 3 mysql true"}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != len(want) {
		t.Fatalf("kubectl get nc:\n%s", got)
	}
	for i, line := range lines {
		if strings.Join(strings.Fields(line), " ") != want[i] {
			t.Errorf("row %d = %q, want %q", i, line, want[i])
		}
	}
}

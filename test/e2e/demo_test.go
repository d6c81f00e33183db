package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestDemo runs `sandbox demo` (make demo) as a user does and reads the page it writes
// (docs/demo.md's source): the story must run to the end, since the demo checks what it
// shows (one member at a time, nothing restarted while blocked or by a scale), and the page
// must show the blocked gate as kubectl describe prints it, with no placeholder text.
func TestDemo(t *testing.T) {
	t.Parallel() // after the sequential tests (the API server restart and the kill runs); -parallel 4 (parallel.go)
	bin := buildSandbox(t)
	page := filepath.Join(t.TempDir(), "demo.md")
	cmd := exec.Command(bin, "demo", "--dir", filepath.Join(t.TempDir(), "box"), "--operator", binary, "--markdown", page)
	cmd.Dir = harness.RepoRoot()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox demo: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	md := string(raw)
	for _, want := range []string{
		"## 1. Create", "_Ready after", "## 2. Change the image", "_every member on the new image and Ready after",
		"## 3. A member whose Distro never loads", "_the rollout halted on a named gate after", "_Nothing restarted for 5 s while blocked._",
		"$ kubectl describe nacos nacos", "Distro snapshot load failed", "_the rollout finished after",
		"## 4. Scale 3 -> 5 -> 3", "Every member lists the same 5 members", "Every member lists the same 3 members",
		"same pods (same UIDs) as before the scale",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the demo page lacks %q", want)
		}
	}
	for _, re := range []string{`Blocked By:\s+DistroNotInitialized`, `Reason:\s+DistroNotInitialized\s+Status:\s+True\s+Type:\s+Progressing`,
		`Normal\s+RestartingMember`, `Normal\s+TransferringRaftLeadership`} {
		if !regexp.MustCompile(re).MatchString(md) {
			t.Errorf("kubectl describe in the demo does not show %s", re)
		}
	}
	for _, bad := range []string{"0001-01-01", "Nacos API ()", "1/2     Running", "Terminating"} {
		if strings.Contains(md, bad) {
			t.Errorf("the demo page shows %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("the page:\n%s", md)
	}
}

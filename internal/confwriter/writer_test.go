package confwriter

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// projectConfigMap lays out a ConfigMap volume the way the kubelet does: files in a
// timestamped directory, a ..data symlink to it, and per-key symlinks through ..data. An
// update writes a new directory and swaps ..data atomically.
func projectConfigMap(t *testing.T, dir, version string, members []string) {
	t.Helper()
	ts := filepath.Join(dir, "..v"+version)
	must(t, os.MkdirAll(ts, 0o755))
	must(t, os.WriteFile(filepath.Join(ts, "cluster.conf"), []byte(resource.RenderClusterConf(members)), 0o644))
	must(t, os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	if _, err := os.Lstat(filepath.Join(dir, "cluster.conf")); os.IsNotExist(err) {
		must(t, os.Symlink("..data/cluster.conf", filepath.Join(dir, "cluster.conf")))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSyncComparesSetsAndWritesByRename(t *testing.T) {
	dir := t.TempDir()
	source, target := filepath.Join(dir, "cm", "cluster.conf"), filepath.Join(dir, "conf", "cluster.conf")
	must(t, os.MkdirAll(filepath.Dir(source), 0o755))
	must(t, os.MkdirAll(filepath.Dir(target), 0o755))
	projectConfigMap(t, filepath.Dir(source), "1", []string{"b:8848", "a:8848"})

	wrote, err := Sync(source, target)
	if err != nil || !wrote {
		t.Fatalf("first sync: wrote=%v err=%v", wrote, err)
	}
	// Nacos rewrites the file in its own format: the same set must not be rewritten.
	must(t, os.WriteFile(target, []byte(sim.RenderClusterConf([]string{"a:8848", "b:8848"}, time.Now())), 0o644))
	if wrote, err := Sync(source, target); err != nil || wrote {
		t.Fatalf("same set in Nacos's format: wrote=%v err=%v", wrote, err)
	}
	projectConfigMap(t, filepath.Dir(source), "2", []string{"a:8848", "b:8848", "c:8848"})
	if wrote, err := Sync(source, target); err != nil || !wrote {
		t.Fatalf("new set: wrote=%v err=%v", wrote, err)
	}
	got, _ := os.ReadFile(target)
	if set, _ := resource.ParseMemberSet(string(got)); !slices.Equal(set, []string{"a:8848", "b:8848", "c:8848"}) {
		t.Fatalf("target lists %v", set)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".members-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left behind: %v", leftovers)
	}
}

func TestSyncRefusesEmptyOrBrokenSources(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "cluster.conf")
	must(t, os.WriteFile(target, []byte("a:8848\n"), 0o644))
	for name, content := range map[string]string{"empty": "# nothing\n", "broken": "a 8848\n"} {
		source := filepath.Join(dir, name)
		must(t, os.WriteFile(source, []byte(content), 0o644))
		if wrote, err := Sync(source, target); err == nil || wrote {
			t.Errorf("%s source: wrote=%v err=%v, want a refusal", name, wrote, err)
		}
	}
	if _, err := Sync(filepath.Join(dir, "missing"), target); err == nil || !strings.Contains(err.Error(), "read desired members") {
		t.Errorf("missing source: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "a:8848\n" {
		t.Fatalf("target changed to %q", got)
	}
}

// TestWriterDeliversConfigMapUpdatesToARunningMember is the whole path on real files: a
// ConfigMap-style update that Nacos alone would never see reaches a running (simulated)
// member through the writer, without restarting it.
func TestWriterDeliversConfigMapUpdatesToARunningMember(t *testing.T) {
	dir := t.TempDir()
	cm, home := filepath.Join(dir, "cm"), filepath.Join(dir, "home")
	must(t, os.MkdirAll(cm, 0o755))
	three := []string{"127.0.41.1:8848", "127.0.41.2:8848", "127.0.41.3:8848"}
	projectConfigMap(t, cm, "1", three)
	source, target := filepath.Join(cm, "cluster.conf"), filepath.Join(home, "conf", "cluster.conf")
	must(t, os.MkdirAll(filepath.Dir(target), 0o755))
	if _, err := Sync(source, target); err != nil {
		t.Fatal(err)
	}
	m, err := sim.New(sim.Config{Version: "2.5.1", Address: three[0], Home: home, Periods: sim.FastPeriods(), Storage: sim.StorageMySQL})
	must(t, err)
	must(t, m.Start())
	t.Cleanup(m.Stop)

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var writes int
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, source, target, 20*time.Millisecond, clock.RealClock{}, func(wrote bool, err error) {
			mu.Lock()
			defer mu.Unlock()
			if wrote {
				writes++
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })

	five := append(append([]string(nil), three...), "127.0.41.4:8848", "127.0.41.5:8848")
	projectConfigMap(t, cm, "2", five)
	deadline := time.Now().Add(10 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = memberAddresses(t, m); slices.Equal(got, five) {
			break
		}
		<-time.After(20 * time.Millisecond)
	}
	if !slices.Equal(got, five) {
		t.Fatalf("member sees %v, want %v", got, five)
	}
	// The member has rewritten the file in its own format (#timestamp header); the writer
	// must see the same set and leave it alone.
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if data, _ := os.ReadFile(target); strings.HasPrefix(string(data), "#20") {
			break
		}
		<-time.After(20 * time.Millisecond)
	}
	if wrote, err := Sync(source, target); wrote || err != nil {
		t.Fatalf("after Nacos's own rewrite the writer wrote again (%v, %v): it would fight Nacos", wrote, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if writes > 1 {
		t.Fatalf("%d writes for one change", writes)
	}
}

func memberAddresses(t *testing.T, m *sim.Member) []string {
	t.Helper()
	members, err := nacos.New(m.Address(), nacos.Options{}).Members(context.Background())
	if err != nil {
		return nil
	}
	var out []string
	for _, mem := range members {
		out = append(out, mem.Address)
	}
	sort.Strings(out)
	return out
}

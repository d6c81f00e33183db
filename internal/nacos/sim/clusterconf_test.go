package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestParseClusterConf(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
		err        string
	}{
		{"plain", "a.svc:8848\nb.svc:8848\n", []string{"a.svc:8848", "b.svc:8848"}, ""},
		{"default port and comments", "#header\n\n10.0.0.1 # first\n  10.0.0.2:8850  \n", []string{"10.0.0.1:8848", "10.0.0.2:8850"}, ""},
		{"comma separated, trailing comma dropped", "a:1,b:2,\n", []string{"a:1", "b:2"}, ""},
		{"entries are not trimmed", "a:1, b:2", []string{"a:1", " b:2"}, ""},
		{"ipv6", "[::1]:8848\n[fe80::1]\n", []string{"[::1]:8848", "[fe80::1]:8848"}, ""},
		{"windows line ends", "a:1\r\nb:2\r\n", []string{"a:1", "b:2"}, ""},
		{"whitespace-only line fails the read", "a:1\n   \nb:2", nil, "empty cluster.conf entry"},
		{"legacy raft_port suffix fails the read", "a:8848?raft_port=8807", nil, "bad port"},
		{"non-numeric port", "a:http", nil, "bad port"},
		{"empty middle entry", "a:1,,b:2", nil, "empty cluster.conf entry"},
		{"empty file", "", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseClusterConf(tc.text, 8848)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzParseClusterConf(f *testing.F) {
	for _, s := range []string{"a:1\nb:2", "#x\n[::1]:8848", "a:1,b:2,", " \n", "a:8848?raft_port=1", "[fe80::1", "a:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseClusterConf(text, 8848)
		if err != nil {
			return
		}
		for _, a := range got {
			if !strings.Contains(a, ":") {
				t.Fatalf("address %q has no port", a)
			}
		}
		// What a member writes back parses to the same set.
		again, err := ParseClusterConf(RenderClusterConf(got, time.Unix(0, 0)), 8848)
		if err != nil {
			return // entries with a leading space or '#' do not survive; Nacos has the same flaw
		}
		sort.Strings(got)
		if !slices.Equal(again, got) && !anyOdd(got) {
			t.Fatalf("round trip %q -> %q", got, again)
		}
	})
}

func anyOdd(addrs []string) bool {
	for _, a := range addrs {
		if strings.ContainsAny(a, "# ,\t\r\v\f") || strings.TrimSpace(a) != a {
			return true
		}
	}
	return false
}

// members returns the addresses a member lists for itself.
func members(t *testing.T, m *Member) []string {
	var out []string
	for a := range view(t, m, "/nacos/v1/core/cluster/nodes") {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func TestClusterConfReloadByRenameButNotBySymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	must(t, os.MkdirAll(filepath.Join(conf, "..v1"), 0o755))
	three := []string{"127.0.14.1:8848", "127.0.14.2:8848", "127.0.14.3:8848"}
	must(t, os.WriteFile(filepath.Join(conf, "..v1", "cluster.conf"), []byte(strings.Join(three, "\n")), 0o644))
	must(t, os.Symlink("..v1", filepath.Join(conf, "..data")))
	must(t, os.Symlink("..data/cluster.conf", filepath.Join(conf, "cluster.conf")))
	m, err := New(Config{Version: "2.5.1", Address: three[0], Home: dir, Periods: FastPeriods(),
		// External storage: the peers listed never run, and an embedded-storage member would keep
		// its HTTP port closed without a nacos_config leader.
		Storage: StorageMySQL})
	must(t, err)
	must(t, m.Start())
	t.Cleanup(m.Stop)
	if got := members(t, m); !slices.Equal(got, three) {
		t.Fatalf("initial members %v, want %v", got, three)
	}

	// A ConfigMap update: new content in a new directory, ..data swapped atomically.
	four := append(append([]string(nil), three...), "127.0.14.4:8848")
	must(t, os.MkdirAll(filepath.Join(conf, "..v2"), 0o755))
	must(t, os.WriteFile(filepath.Join(conf, "..v2", "cluster.conf"), []byte(strings.Join(four, "\n")), 0o644))
	must(t, os.Symlink("..v2", filepath.Join(conf, "..data_tmp")))
	must(t, os.Rename(filepath.Join(conf, "..data_tmp"), filepath.Join(conf, "..data")))
	must(t, os.WriteFile(filepath.Join(conf, "barrier"), nil, 0o644))
	eventually(t, 5*time.Second, "barrier event processed", func() error {
		if !slices.Contains(m.SeenFileEvents(), "barrier") {
			return fmt.Errorf("events so far %v", m.SeenFileEvents())
		}
		return nil
	})
	if got := members(t, m); !slices.Equal(got, three) {
		t.Fatalf("a ..data symlink swap changed membership to %v", got)
	}

	// The operator's way: write a temp file, rename it over cluster.conf.
	must(t, os.Remove(filepath.Join(conf, "cluster.conf")))
	must(t, WriteClusterConf(dir, four))
	eventually(t, 5*time.Second, "rename reloads", func() error {
		if got := members(t, m); !slices.Equal(got, four) {
			return fmt.Errorf("members %v", got)
		}
		return nil
	})
	// Nacos rewrote the file itself: a #timestamp header and the sorted addresses.
	data, err := os.ReadFile(filepath.Join(conf, "cluster.conf"))
	must(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if !strings.HasPrefix(lines[0], "#20") || !slices.Equal(lines[1:], four) {
		t.Fatalf("written back:\n%s", data)
	}
}

func TestBadOrEmptyClusterConfKeepsMembershipAndSelfIsAppended(t *testing.T) {
	dir := t.TempDir()
	self := "nacos-0.nacos-hs.ns.svc.cluster.local:8848"
	listed := []string{"nacos-0.nacos-hs:8848", "nacos-1.nacos-hs.ns.svc.cluster.local:8848", "nacos-2.nacos-hs.ns.svc.cluster.local:8848"}
	must(t, WriteClusterConf(dir, listed))
	m, err := New(Config{Version: "2.5.1", Address: self, Bind: "127.0.15.1:8848", Home: dir, Periods: FastPeriods(), Storage: StorageMySQL})
	must(t, err)
	must(t, m.Start())
	t.Cleanup(m.Stop)
	// The short name does not match self exactly: self is appended, a phantom 4th member.
	want := append(append([]string(nil), listed...), self)
	sort.Strings(want)
	if got := members(t, m); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v (phantom self appended)", got, want)
	}
	for _, bad := range []string{"nacos-0.x:8848\n   \n", "", "nacos-1.x:8848?raft_port=7848"} {
		n := len(m.SeenFileEvents())
		must(t, os.WriteFile(filepath.Join(dir, "conf", "cluster.conf"), []byte(bad), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "conf", "barrier"), []byte(bad), 0o644))
		eventually(t, 5*time.Second, "events processed", func() error {
			if len(m.SeenFileEvents()) <= n || !slices.Contains(m.SeenFileEvents()[n:], "barrier") {
				return fmt.Errorf("events %v", m.SeenFileEvents()[n:])
			}
			return nil
		})
		if got := members(t, m); !slices.Equal(got, want) {
			t.Fatalf("after writing %q membership became %v", bad, got)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

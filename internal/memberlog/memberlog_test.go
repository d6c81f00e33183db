package memberlog

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// copyExcerpts copies the recorded real logs (2.4.3 on MariaDB, restarts and an upgrade)
// into a directory dated as if the newest line was just written.
func copyExcerpts(t *testing.T, from string) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(from, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		texts[f.Name()] = string(data)
		dst := filepath.Join(dir, f.Name())
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if newest, ok := newestStamp(data); ok {
			if err := os.Chtimes(dst, newest, newest); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, texts
}

func newestStamp(data []byte) (time.Time, bool) {
	var newest time.Time
	for _, l := range strings.Split(string(data), "\n") {
		if t, ok := parseStamp([]byte(l)); ok && t.After(newest) {
			newest = t
		}
	}
	return newest, !newest.IsZero()
}

func TestRealExcerpts(t *testing.T) {
	dir, texts := copyExcerpts(t, "testdata/real-2.4.3-mysql")
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC))
	fl := NewFollower(dir, clk)
	defer fl.Close()
	if err := fl.Poll(); err != nil {
		t.Fatal(err)
	}
	count := func(code, peer string) (n int) {
		for _, e := range fl.Entries() {
			if e.Code == code && (peer == "" || e.Peer == peer) {
				n += e.Count
			}
		}
		return n
	}
	peer0 := "nacos-0.nacos-headless.realdb-7vgzj.svc.cluster.local"
	cases := []struct {
		code, peer, file, literal string
	}{
		{CodeDistroLoadFailed, peer0 + ":8848", "protocol-distro.log", "load snapshot Nacos:Naming:v2:ClientData from " + peer0 + ":8848 failed"},
		{CodePeerCheckFailed, peer0, "nacos.log", "please check server " + peer0 + " ,port 9849"},
		{CodeReportUnhealthy, peer0 + ":8848", "nacos-cluster.log", "unhealthy node : " + peer0 + ":8848"},
		{CodeRaftJoinFailed, "", "protocol-raft.log", "Failed to join the cluster, retry..."},
		{CodeRaftNoLeader, "", "protocol-raft.log", "Fail to refresh leader for group"},
		{CodeRaftPeerNotFound, "", "alipay-jraft.log", "Peer id not found:"},
		{CodeDatasource, "", "nacos.log", "(Communications link failure"},
	}
	for _, c := range cases {
		want := strings.Count(texts[c.file], c.literal)
		if want == 0 {
			t.Fatalf("fixture %s has no %q", c.file, c.literal)
		}
		if got := count(c.code, c.peer); got != want {
			t.Errorf("%s %s: %d entries counted, the file has %d lines with %q", c.code, c.peer, got, want, c.literal)
		}
	}
	for _, e := range fl.Entries() {
		if e.Code == CodeDistroLoadFailed && e.File != "protocol-distro.log" {
			t.Errorf("entry from the wrong file: %+v", e)
		}
		if e.First.After(e.Last) || e.Last.IsZero() {
			t.Errorf("entry %+v: first after last", e)
		}
	}
	p := fl.Phase()
	if p.Starting || p.Since.IsZero() {
		t.Errorf("phase %+v: want a past start (lines from 14:54), not starting at 15:00", p)
	}
	if got := p.Since.Format("15:04:05"); got != "14:54:27" {
		t.Errorf("current start run began %s, want 14:54:27 (the first line of the fixture's last start)", got)
	}
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func distroLine(at time.Time, peer string) string {
	return at.Format("2006-01-02 15:04:05,000") + " ERROR [DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from " + peer + ":8848 failed."
}

func TestRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	clk := clocktesting.NewFakePassiveClock(now)
	path := filepath.Join(dir, "protocol-distro.log")
	appendLines(t, path, distroLine(now.Add(-3*time.Second), "a"))
	fl := NewFollower(dir, clk)
	defer fl.Close()
	poll := func() {
		t.Helper()
		if err := fl.Poll(); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	// logback rotates: a last line goes to the old file, which is renamed; a new file starts.
	appendLines(t, path, distroLine(now.Add(-2*time.Second), "a"))
	if err := os.Rename(path, path+".2026-12-04.0"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, distroLine(now.Add(-time.Second), "a"), distroLine(now.Add(-time.Second), "b"))
	poll()
	got := map[string]int{}
	for _, e := range fl.Entries() {
		got[e.Peer] = e.Count
	}
	if got["a:8848"] != 3 || got["b:8848"] != 1 {
		t.Fatalf("after rotation: %v, want a:8848 3 (two before, one after) and b:8848 1", got)
	}
	// Truncated in place (copytruncate): read again from the start.
	if err := os.WriteFile(path, []byte(distroLine(now, "c")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	poll()
	for _, e := range fl.Entries() {
		got[e.Peer] = e.Count
	}
	if got["c:8848"] != 1 || got["a:8848"] != 3 {
		t.Fatalf("after truncation: %v, want c:8848 1 and a:8848 still 3", got)
	}
	// A line written in two halves counts once, when complete.
	half := distroLine(now, "d")
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	_, _ = f.WriteString(half[:20])
	_ = f.Close()
	poll()
	appendLines(t, path, half[20:])
	poll()
	for _, e := range fl.Entries() {
		got[e.Peer] = e.Count
	}
	if got["d:8848"] != 1 {
		t.Fatalf("a line written in two halves: %v, want d:8848 1", got)
	}
}

func TestBoundedReading(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	path := filepath.Join(dir, "protocol-distro.log")
	var b strings.Builder
	// 3 MiB of old lines naming peer "old", then one naming "new": only the last MiB is read.
	for b.Len() < 3<<20 {
		b.WriteString(distroLine(now.Add(-time.Hour), "old") + "\n")
	}
	b.WriteString(strings.Repeat("x", 2*maxLine) + "\n") // a line too long to keep
	b.WriteString(distroLine(now, "new") + "\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fl := NewFollower(dir, clocktesting.NewFakePassiveClock(now))
	defer fl.Close()
	if err := fl.Poll(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range fl.Entries() {
		got[e.Peer] = e.Count
	}
	perLine := len(distroLine(now, "old")) + 1
	if got["new:8848"] != 1 || got["old:8848"] == 0 || got["old:8848"] > tailWindow/perLine {
		t.Fatalf("read %v: want new once and at most %d old lines (the last MiB)", got, tailWindow/perLine)
	}
	// Many distinct peers: the tally keeps the newest maxEntries.
	var lines []string
	for i := range 3 * maxEntries {
		lines = append(lines, distroLine(now.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("p%d", i)))
	}
	appendLines(t, path, lines...)
	if err := fl.Poll(); err != nil {
		t.Fatal(err)
	}
	entries := fl.Entries()
	if len(entries) != maxEntries || entries[0].Peer != fmt.Sprintf("p%d:8848", 3*maxEntries-1) {
		t.Fatalf("%d entries, newest %q: want %d, newest p%d:8848", len(entries), entries[0].Peer, maxEntries, 3*maxEntries-1)
	}
}

// The official image runs Nacos with TZ=Asia/Shanghai: its stamps are 8 hours ahead of UTC.
func TestZoneFromModificationTime(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)
	shanghai := now.Add(8 * time.Hour) // what the log prints
	path := filepath.Join(dir, "nacos.log")
	appendLines(t, path, shanghai.Add(-2*time.Second).Format("2006-01-02 15:04:05,000")+" INFO Nacos is starting...",
		shanghai.Format("2006-01-02 15:04:05,000")+" INFO Nacos is starting...")
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	fl := NewFollower(dir, clocktesting.NewFakePassiveClock(now.Add(time.Second)))
	defer fl.Close()
	if err := fl.Poll(); err != nil {
		t.Fatal(err)
	}
	p := fl.Phase()
	if !p.Starting || !p.Last.Equal(now) || !p.Since.Equal(now.Add(-2*time.Second)) {
		t.Fatalf("phase %+v: want starting, last %s, since %s (stamps read as UTC+8)", p, now, now.Add(-2*time.Second))
	}
}

var secretish = regexp.MustCompile(`(?i)password|s3cr3t|jdbc:|user '`)

// Lines that carry secrets or unknown shapes reduce to codes and classed fields only.
func TestNoSecretLeaves(t *testing.T) {
	lines := []struct{ file, line string }{
		{"nacos.log", "2026-12-04 14:55:32,248 ERROR HikariPool-1 - Exception during pool initialization: Access denied for user 'nacos'@'10.214.0.3' (using password: YES) jdbc:mysql://db:3306/nacos?user=nacos&password=s3cr3t"},
		{"nacos.log", "2026-12-04 14:55:32,248 WARN HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@42b9217a (Communications link failure password=s3cr3t"},
		{"protocol-distro.log", "2026-12-04 14:55:32,248 ERROR [DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from s3cr3t'password@host:8848 failed."},
		{"nacos.log", "2026-12-04 14:55:32,248 ERROR Server check fail, please check server password=s3cr3t ,port 9849 is available"},
	}
	for _, l := range lines {
		m, ok := MatchLine(l.file, l.line)
		if !ok {
			continue
		}
		all := m.Message
		for _, v := range m.Fields {
			all += " " + v
		}
		if secretish.MatchString(all) {
			t.Errorf("%q reduced to %q, fields %v: a secret or an unknown shape leaked", l.line, m.Message, m.Fields)
		}
	}
	if m, ok := MatchLine("nacos.log", lines[0].line); !ok || m.Message != "datasource: Access denied" {
		t.Errorf("access denied reduced to %+v, %v; want the cause alone", m, ok)
	}
}

// FuzzMatchLine: whatever a line holds, a match carries only fields of their classes and a
// message built from them.
func FuzzMatchLine(f *testing.F) {
	f.Add("protocol-distro.log", "2026-12-04 14:54:42,502 ERROR [DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from nacos-0.svc:8848 failed.")
	f.Add("nacos.log", "2026-12-04 14:54:42,502 ERROR Server check fail, please check server nacos-1.x ,port 9849 is available , error ={}")
	f.Add("alipay-jraft.log", "WARN Fail to issue RPC, error=Status[ENOENT<1012>: Peer id not found: a.b:7848, group: naming_service_metadata]")
	f.Add("nacos.log", "java.lang.OutOfMemoryError: Java heap space")
	classes := map[string]*regexp.Regexp{
		FieldPeer: regexp.MustCompile(`^` + host + `(:` + port + `)?$`), FieldPort: regexp.MustCompile(`^` + port + `$`),
		FieldGroup: regexp.MustCompile(`^` + group + `$`), FieldResource: regexp.MustCompile(`^[A-Za-z0-9:._-]{1,64}$`),
		FieldCause: regexp.MustCompile(`^[A-Za-z ]{1,40}$`),
	}
	f.Fuzz(func(t *testing.T, file, line string) {
		m, ok := MatchLine(file, line)
		if !ok {
			return
		}
		for k, v := range m.Fields {
			re, known := classes[k]
			if !known || !re.MatchString(v) {
				t.Fatalf("field %s=%q is not of its class", k, v)
			}
		}
		if len(m.Message) > 400 {
			t.Fatalf("message of %d bytes", len(m.Message))
		}
		_, _ = parseStamp([]byte(line))
	})
}

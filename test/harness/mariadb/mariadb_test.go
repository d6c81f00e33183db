package mariadb

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

// The real lane's database: a schema loads, an account works over TCP, and data survives a
// stop and a start (the outage scenario relies on it). Runs where hack/mariadb.sh has run
// (make test-nacos-operator installs it); elsewhere it says why it skips.
func TestServerKeepsDataAcrossAStop(t *testing.T) {
	for _, b := range Binaries {
		if _, err := exec.LookPath(b); err != nil && os.Getenv("NACOS_REAL") == "" {
			t.Skipf("%s not installed (make mariadb); the real lane installs it", b)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := t.TempDir()
	schema := filepath.Join(dir, "schema.sql")
	if err := os.WriteFile(schema, []byte("CREATE TABLE users (username varchar(50) NOT NULL PRIMARY KEY, password varchar(500) NOT NULL);\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Start(filepath.Join(dir, "db"), "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.CreateDatabase("nacos", "nacos", "p'w", schema); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SQL("nacos", "INSERT INTO users VALUES ('nacos', 'x');"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SQL("nacos", "SELECT 1"); err == nil {
		t.Fatal("a stopped server answered")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	out, err := s.SQL("nacos", "SELECT username FROM users; SELECT COUNT(*) FROM mysql.user WHERE user = 'nacos' AND host = '%';")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(out); len(got) != 2 || got[0] != "nacos" || got[1] != "1" {
		t.Fatalf("after a restart: %q, want the row and the account", out)
	}
}

// A database made with 2.4.3's schema is brought to 2.5.1's: the gray table is created and
// the history table gains its three columns; a second run changes nothing.
func TestUpgradeSchemaFrom243To251(t *testing.T) {
	for _, b := range Binaries {
		if _, err := exec.LookPath(b); err != nil && os.Getenv("NACOS_REAL") == "" {
			t.Skipf("%s not installed (make mariadb); the real lane installs it", b)
		}
	}
	old, target := schemaOf(t, "2.4.3"), schemaOf(t, "2.5.1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s, err := Start(filepath.Join(t.TempDir(), "db"), "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.CreateDatabase("nacos", "nacos", "pw", old); err != nil {
		t.Fatal(err)
	}
	changes, err := s.UpgradeSchema("nacos", target)
	if err != nil {
		t.Fatal(err)
	}
	want := "create table config_info_gray; add column his_config_info.publish_type; add column his_config_info.gray_name; add column his_config_info.ext_info"
	if got := strings.Join(changes, "; "); got != want {
		t.Fatalf("changes:\n got %s\nwant %s", got, want)
	}
	if again, err := s.UpgradeSchema("nacos", target); err != nil || len(again) != 0 {
		t.Fatalf("second run changed %v (%v)", again, err)
	}
}

// schemaOf is a built server's schema file; the test skips where that server is not built.
func schemaOf(t *testing.T, version string) string {
	t.Helper()
	dir, err := realnacos.ServerDir(version)
	if err != nil {
		t.Skipf("Nacos %s not built: %v", version, err)
	}
	return filepath.Join(dir, "conf", "mysql-schema.sql")
}

// Package mariadb runs a real MySQL-compatible server (MariaDB from Debian's packages, see
// hack/mariadb.sh) for the real-Nacos lane: its own data directory, on an address the test
// owns, stopped and started again on command with its data kept, as a database that goes
// away and comes back. Nacos's JDBC driver speaks to it as to MySQL.
package mariadb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is one mariadbd with its own data directory.
type Server struct {
	// Host and Port are where members reach it.
	Host string
	Port int

	dir string
	cmd *exec.Cmd
	out *os.File
}

// Binaries are the programs Start needs; hack/mariadb.sh installs them.
var Binaries = []string{"mariadbd", "mariadb-install-db", "mariadb"}

// Start initialises a data directory under dir and starts the server on host:port.
func Start(dir, host string, port int) (*Server, error) {
	for _, b := range Binaries {
		if _, err := exec.LookPath(b); err != nil {
			return nil, fmt.Errorf("mariadb: %s is not installed (run hack/mariadb.sh or make mariadb): %w", b, err)
		}
	}
	s := &Server{Host: host, Port: port, dir: dir}
	if err := os.MkdirAll(s.path("data"), 0o700); err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	// root over the unix socket only (the OS user is root); members use their own account.
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+s.path("data"), "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb: initialise %s: %w\n%s", s.path("data"), err, out)
	}
	return s, s.Resume()
}

func (s *Server) path(p string) string { return filepath.Join(s.dir, p) }

func (s *Server) socket() string { return s.path("mysqld.sock") }

// Resume starts the server on its existing data directory and waits until it answers.
func (s *Server) Resume() error {
	if s.cmd != nil {
		return errors.New("mariadb: already running")
	}
	out, err := os.OpenFile(s.path("mariadbd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("mariadb: %w", err)
	}
	cmd := exec.Command("mariadbd", "--no-defaults", "--datadir="+s.path("data"), "--user=root",
		"--socket="+s.socket(), "--pid-file="+s.path("mariadbd.pid"),
		"--bind-address="+s.Host, "--port="+strconv.Itoa(s.Port), "--skip-name-resolve",
		"--character-set-server=utf8mb4", "--innodb-buffer-pool-size=64M", "--max-connections=300",
		"--log-error="+s.path("mariadbd.err"))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("mariadb: start: %w", err)
	}
	s.cmd, s.out = cmd, out
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), time.Second)
		if err == nil {
			_ = conn.Close()
			if _, err := s.SQL("", "SELECT 1"); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mariadb: not answering on %s:%d after a minute; see %s", s.Host, s.Port, s.path("mariadbd.err"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop shuts the server down cleanly (its data stays) and waits for it to exit.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd := s.cmd
	s.cmd = nil
	defer func() { _ = s.out.Close() }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // mariadbd may exit non-zero on SIGTERM; stopped is stopped
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("mariadb: did not stop within 60 s of SIGTERM; killed")
	}
}

// Close stops the server and removes its data directory.
func (s *Server) Close() error {
	return errors.Join(s.Stop(), os.RemoveAll(s.dir))
}

// SQL runs statements as root over the unix socket and returns the tab-separated output.
func (s *Server) SQL(database, statements string) (string, error) {
	args := []string{"--no-defaults", "--socket=" + s.socket(), "-uroot", "--batch", "--skip-column-names"}
	if database != "" {
		args = append(args, database)
	}
	cmd := exec.Command("mariadb", args...)
	cmd.Stdin = strings.NewReader(statements)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("mariadb: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// CreateDatabase makes a database with Nacos's schema (the distribution's
// conf/mysql-schema.sql of the version under test) and an account that may use it from
// any address. The password is the caller's; it is never printed.
func (s *Server) CreateDatabase(name, user, password, schemaFile string) error {
	schema, err := os.ReadFile(schemaFile)
	if err != nil {
		return fmt.Errorf("mariadb: read schema: %w", err)
	}
	create := fmt.Sprintf("CREATE DATABASE `%s` CHARACTER SET utf8mb4;\n"+
		"CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON `%s`.* TO '%s'@'%%';\n",
		name, user, strings.ReplaceAll(password, "'", "''"), name, user)
	if _, err := s.SQL("", create); err != nil {
		return fmt.Errorf("mariadb: create database %s: %w", name, err)
	}
	if _, err := s.SQL(name, string(schema)); err != nil {
		return fmt.Errorf("mariadb: load %s into %s: %w", schemaFile, name, err)
	}
	return nil
}

// UpgradeSchema brings a database made with an older Nacos schema up to schemaFile (the
// target version's conf/mysql-schema.sql), as a user following Nacos's upgrade notes does:
// each table the file creates that the database lacks is created, and each column it lacks
// is added with the file's definition. It returns what it changed, e.g.
// "create table config_info_gray" or "add column his_config_info.publish_type".
func (s *Server) UpgradeSchema(database, schemaFile string) ([]string, error) {
	schema, err := os.ReadFile(schemaFile)
	if err != nil {
		return nil, fmt.Errorf("mariadb: read schema: %w", err)
	}
	tables, err := parseTables(string(schema))
	if err != nil {
		return nil, fmt.Errorf("mariadb: %s: %w", schemaFile, err)
	}
	have, err := s.columns(database)
	if err != nil {
		return nil, err
	}
	var changes []string
	for _, t := range tables {
		if have[t.name] == nil {
			if _, err := s.SQL(database, t.create+";"); err != nil {
				return changes, fmt.Errorf("mariadb: create table %s: %w", t.name, err)
			}
			changes = append(changes, "create table "+t.name)
			continue
		}
		for _, c := range t.columns {
			if have[t.name][c.name] {
				continue
			}
			if _, err := s.SQL(database, fmt.Sprintf("ALTER TABLE `%s` ADD COLUMN %s;", t.name, c.definition)); err != nil {
				return changes, fmt.Errorf("mariadb: add column %s.%s: %w", t.name, c.name, err)
			}
			changes = append(changes, "add column "+t.name+"."+c.name)
		}
	}
	return changes, nil
}

// columns lists the columns of every table of the database.
func (s *Server) columns(database string) (map[string]map[string]bool, error) {
	out, err := s.SQL("", fmt.Sprintf("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '%s';", database))
	if err != nil {
		return nil, err
	}
	have := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 2 {
			if have[f[0]] == nil {
				have[f[0]] = map[string]bool{}
			}
			have[f[0]][f[1]] = true
		}
	}
	return have, nil
}

type table struct {
	name, create string
	columns      []column
}

type column struct{ name, definition string }

// parseTables reads the CREATE TABLE statements of a schema file: each column is a line
// that starts with its backquoted name; keys and constraints are left to CREATE TABLE.
func parseTables(schema string) ([]table, error) {
	var tables []table
	for _, stmt := range strings.Split(schema, ";") {
		i := strings.Index(strings.ToUpper(stmt), "CREATE TABLE")
		if i < 0 {
			continue
		}
		stmt = strings.TrimSpace(stmt[i:])
		open := strings.Index(stmt, "(")
		if open < 0 {
			return nil, fmt.Errorf("a CREATE TABLE without columns: %.60q", stmt)
		}
		t := table{name: strings.Trim(strings.TrimSpace(stmt[len("CREATE TABLE"):open]), "` "), create: stmt}
		for _, line := range strings.Split(stmt[open+1:], "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "`") {
				continue
			}
			end := strings.Index(line[1:], "`")
			if end < 0 {
				return nil, fmt.Errorf("table %s: unreadable column line %q", t.name, line)
			}
			t.columns = append(t.columns, column{name: line[1 : end+1], definition: strings.TrimSuffix(line, ",")})
		}
		if len(t.columns) == 0 {
			return nil, fmt.Errorf("table %s: no columns found", t.name)
		}
		tables = append(tables, t)
	}
	if len(tables) == 0 {
		return nil, errors.New("no CREATE TABLE statements")
	}
	return tables, nil
}

// Logs is the end of the server's error log, for a failing test.
func (s *Server) Logs(maxBytes int) string {
	b, err := os.ReadFile(s.path("mariadbd.err"))
	if err != nil {
		return "mariadb: no error log: " + err.Error()
	}
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	return "== mariadbd.err (end)\n" + string(b)
}

package fidelity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// Versions the fidelity test covers (hack/nacos-server.sh builds them).
var Versions = []string{"2.5.1", "3.0.3"}

// AdminPassword is the admin password the auth states set through the init-admin API.
const AdminPassword = "Fidelity-Admin-1"

// State is one situation both kinds of member are put in before the call sequence runs.
type State struct {
	Name    string
	Doc     string
	Cluster string      // "solo" (standalone, auth on) or "nacos" (3 members, embedded storage)
	Member  int         // the ordinal probed
	Cred    Credentials // a username makes the probe log in (and record the login answer)
}

// States lists the states in the order the live scenario reaches them.
func States() []State {
	id := Credentials{Identity: true}
	return []State{
		{Name: "standalone", Doc: "a standalone member with auth on, asked with the identity header", Cluster: "solo", Cred: id},
		{Name: "auth-none", Doc: "the same member asked without credentials", Cluster: "solo"},
		{Name: "auth-login", Doc: "after the admin password is set, asked with a login token", Cluster: "solo", Cred: Credentials{Username: "nacos", Password: AdminPassword}},
		{Name: "auth-wrong-password", Doc: "a login with a wrong password", Cluster: "solo", Cred: Credentials{Username: "nacos", Password: "wrong-password"}},
		{Name: "cluster-starting", Doc: "a member of a new 3-member cluster just started: its HTTP port is closed", Cluster: "nacos", Cred: id},
		{Name: "cluster-loading", Doc: "the first answer of that member once its HTTP port opens", Cluster: "nacos", Cred: id},
		{Name: "cluster-healthy", Doc: "every member ready", Cluster: "nacos", Cred: id},
		{Name: "peer-stopped", Doc: "member 2 stopped, as member 0 sees it once it lists it DOWN", Cluster: "nacos", Cred: id},
		{Name: "peer-restarted", Doc: "member 2 started again and ready", Cluster: "nacos", Member: 2, Cred: id},
		{Name: "distro-blocked", Doc: "member 2 restarted with TCP 9849 dropped in its namespace, 30 s after its API answered", Cluster: "nacos", Member: 2, Cred: id},
		{Name: "distro-blocked-peer", Doc: "member 0 at the same time", Cluster: "nacos", Cred: id},
		{Name: "distro-healed", Doc: "the drop lifted and member 2 ready", Cluster: "nacos", Member: 2, Cred: id},
		{Name: "raft-blocked", Doc: "member 2 restarted with TCP 9849 and 7848 dropped, after 90 s", Cluster: "nacos", Member: 2, Cred: id},
		{Name: "raft-healed", Doc: "the drops lifted and member 2 ready", Cluster: "nacos", Member: 2, Cred: id},
	}
}

// StateNamed returns the state of that name.
func StateNamed(name string) (State, bool) {
	for _, s := range States() {
		if s.Name == name {
			return s, true
		}
	}
	return State{}, false
}

// ClusterSpec is the NacosCluster of a state's cluster, as a user would write it; small heaps
// so that several real members fit on 2 cores.
func ClusterSpec(cluster, version string) *nacosv1alpha1.NacosCluster {
	heap := resource.MustParse("256Mi")
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: cluster, Namespace: "fidelity"},
		Spec: nacosv1alpha1.NacosClusterSpec{Version: version, Replicas: 3}}
	if cluster == "solo" {
		nc.Spec.Mode, nc.Spec.Replicas = nacosv1alpha1.ModeStandalone, 1
		nc.Spec.Auth.Enabled = true
	}
	nc.Spec.Config.JVM.Heap = &heap
	return nc
}

// Major is the first number of a version.
func Major(version string) int {
	n, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	return n
}

// FixtureDir is where a version's recorded real answers live.
func FixtureDir(version string) string {
	return filepath.Join(harness.RepoRoot(), "internal", "nacos", "testdata", "real-"+version)
}

// Saved is a state's record as kept on disk.
type Saved struct {
	State   string            `json:"state"`
	Doc     string            `json:"doc"`
	Version string            `json:"version"`
	View    View              `json:"view"`
	Login   *Answer           `json:"login,omitempty"`
	Notes   map[string]string `json:"notes,omitempty"` // measured times and the like
	Answers map[string]Answer `json:"-"`
}

// Save writes a record: view.json, and one .http file per answer (the fixture format of
// internal/nacos/testdata: status, content type, empty line, body).
func (s Saved) Save(dir string) error {
	dir = filepath.Join(dir, s.State)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record %s: %w", s.State, err)
	}
	files := map[string][]byte{"view.json": append(b, '\n')}
	for name, a := range s.Answers {
		files[name+".http"] = []byte(httpFile(a))
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace record %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create record %s: %w", dir, err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write record: %w", err)
		}
	}
	return nil
}

func httpFile(a Answer) string {
	if a.Error != "" {
		return "0\n" + a.Error + "\n\n"
	}
	return fmt.Sprintf("%d\n%s\n\n%s", a.Status, a.ContentType, a.Body)
}

// LoadSaved reads a record written by Save.
func LoadSaved(dir, state string) (Saved, error) {
	var s Saved
	dir = filepath.Join(dir, state)
	b, err := os.ReadFile(filepath.Join(dir, "view.json"))
	if err != nil {
		return s, fmt.Errorf("read record: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s/view.json: %w", dir, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.http"))
	sort.Strings(files)
	s.Answers = map[string]Answer{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return s, fmt.Errorf("read record: %w", err)
		}
		a, err := parseHTTPFile(string(b))
		if err != nil {
			return s, fmt.Errorf("%s: %w", f, err)
		}
		s.Answers[strings.TrimSuffix(filepath.Base(f), ".http")] = a
	}
	return s, nil
}

func parseHTTPFile(text string) (Answer, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 3 || lines[2] != "" {
		return Answer{}, fmt.Errorf("want a status line, a content-type line and an empty line")
	}
	code, err := strconv.Atoi(lines[0])
	if err != nil {
		return Answer{}, fmt.Errorf("status %q: %w", lines[0], err)
	}
	if code == 0 {
		return Answer{Error: lines[1]}, nil
	}
	body := ""
	if len(lines) == 4 {
		body = lines[3]
	}
	return Answer{Status: code, ContentType: lines[1], Body: body}, nil
}

package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// permissionLog records, client side, every API request a rest.Config makes as the
// permission it needs ("group/resource:verb", the core group as ""), and every refusal.
type permissionLog struct {
	mu      sync.Mutex
	used    map[string]bool
	refused []string
}

var requestInfo = &apirequest.RequestInfoFactory{APIPrefixes: sets.NewString("api", "apis"), GrouplessAPIPrefixes: sets.NewString("api")}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wrap is a rest.Config WrapTransport.
func (l *permissionLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		info, ierr := requestInfo.NewRequestInfo(req)
		if ierr != nil || !info.IsResourceRequest {
			return resp, err
		}
		p := permission(info.APIGroup, info.Resource, info.Subresource, info.Verb)
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.used == nil {
			l.used = map[string]bool{}
		}
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			l.refused = append(l.refused, p+" "+req.URL.Path)
		} else if err == nil {
			l.used[p] = true
		}
		return resp, err
	})
}

func (l *permissionLog) snapshot() (used map[string]bool, refused []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	used = map[string]bool{}
	for k := range l.used {
		used[k] = true
	}
	return used, append([]string(nil), l.refused...)
}

func permission(group, resource, subresource, verb string) string {
	if subresource != "" {
		resource += "/" + subresource
	}
	return group + "/" + resource + ":" + verb
}

// granted expands RBAC rules into permissions, failing on a wildcard.
func granted(t *testing.T, rules []rbacv1.PolicyRule) []string {
	t.Helper()
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if g == "*" || res == "*" || v == "*" {
						t.Fatalf("a wildcard in rule %+v", r)
					}
					out = append(out, g+"/"+res+":"+v)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// readManifest decodes a YAML file of config/ into obj.
func readManifest(t *testing.T, rel string, obj any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.RepoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	// controller-gen writes a leading document separator.
	doc := strings.TrimPrefix(strings.TrimSpace(string(raw)), "---")
	if err := yaml.Unmarshal([]byte(doc), obj); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

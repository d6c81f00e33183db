package fidelity

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Credentials says how a probe authenticates: the identity header, a login, or nothing.
type Credentials struct {
	Identity           bool   // send AuthValues' identity header
	Username, Password string // log in (the client does, and Token is used for raw calls)
}

// Call is one raw HTTP request of the sequence.
type Call struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Secured calls carry the credentials; others go bare, as the kubelet's probes do.
	Secured bool `json:"secured,omitempty"`
}

// Answer is what a member answered to a Call; Error is set when it could not answer.
type Answer struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
	Error       string `json:"error,omitempty"` // "refused", "timeout"
}

// View is what the operator's client makes of the member: the values the reconciler uses.
type View struct {
	State     string   `json:"state"`     // version/mode/function/datasource/auth, or the error kind
	Liveness  string   `json:"liveness"`  // "ok" or the error kind and message
	Readiness string   `json:"readiness"` // "ready", "not ready: <message>", or the error
	Naming    string   `json:"naming"`    // "<STATUS>: <message>" or the error
	Members   []string `json:"members"`   // "<address> <STATE> version=<set|empty>", sorted; or the error
	Self      string   `json:"self"`
}

// Record is one probe of one member in one state.
type Record struct {
	Answers map[string]Answer
	Login   *Answer // the login answer, when the credentials log in
	View    View
}

// Calls is the sequence for a major version. Both families of paths are asked on both
// majors: the client detects the version with the 3.x state path first (404 on 2.x), and
// 3.x answers the 2.x admin paths with 410.
func Calls(major int) []Call {
	v2 := []Call{
		{"state-v1", http.MethodGet, "/nacos/v1/console/server/state", false},
		{"liveness-v1", http.MethodGet, "/nacos/v1/console/health/liveness", false},
		{"readiness-v1", http.MethodGet, "/nacos/v1/console/health/readiness", false},
		{"readiness-v2", http.MethodGet, "/nacos/v2/console/health/readiness", false},
		{"metrics-v1", http.MethodGet, "/nacos/v1/ns/operator/metrics", false},
		{"nodes-v1", http.MethodGet, "/nacos/v1/core/cluster/nodes", true},
		{"self-v1", http.MethodGet, "/nacos/v1/core/cluster/self", true},
		{"nodes-v1-bare", http.MethodGet, "/nacos/v1/core/cluster/nodes", false},
	}
	v3 := []Call{
		{"state-v3", http.MethodGet, "/nacos/v3/admin/core/state", false},
		{"liveness-v3", http.MethodGet, "/nacos/v3/admin/core/state/liveness", false},
		{"readiness-v3", http.MethodGet, "/nacos/v3/admin/core/state/readiness", false},
		{"metrics-v3", http.MethodGet, "/nacos/v3/admin/ns/ops/metrics", true},
		{"nodes-v3", http.MethodGet, "/nacos/v3/admin/core/cluster/node/list", true},
		{"self-v3", http.MethodGet, "/nacos/v3/admin/core/cluster/node/self", true},
		{"nodes-v3-bare", http.MethodGet, "/nacos/v3/admin/core/cluster/node/list", false},
	}
	// The members' own metrics, which the operator's PodMonitor scrapes: asked bare, as a
	// scraper does; the body is kept as its shape (metricShape), not its changing numbers.
	scrape := Call{"prometheus", http.MethodGet, resource.MetricsPath, false}
	if major == 3 {
		return append(append(v3, v2...), scrape)
	}
	return append(append(v2, v3[:1]...), scrape)
}

// metricShape is what a scrape's body is compared by: the label names of Nacos's own
// nacos_monitor gauge (module, name), the family dashboards are built on. The values and
// the JVM families change with every scrape and every JVM.
func metricShape(body string) string {
	keys := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		name, labels, ok := strings.Cut(line, "{")
		if !ok || name != "nacos_monitor" {
			continue
		}
		labels, _, _ = strings.Cut(labels, "}")
		for _, kv := range strings.Split(labels, ",") {
			if k, _, ok := strings.Cut(kv, "="); ok {
				keys[strings.TrimSpace(k)] = true
			}
		}
	}
	if len(keys) == 0 {
		return "no nacos_monitor samples"
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return "nacos_monitor{" + strings.Join(names, ",") + "}"
}

// Probe runs the sequence against the member at dial (ip:port), logging in first when the
// credentials have a username, and derives the client's view from the answers.
func Probe(ctx context.Context, dial string, major int, cred Credentials) (Record, error) {
	rec := Record{Answers: map[string]Answer{}}
	token := ""
	if cred.Username != "" {
		a := Login(ctx, dial, major, cred.Username, cred.Password)
		token = accessToken(a.Body)
		a.Body = redactToken(a.Body)
		rec.Login = &a
	}
	for _, c := range Calls(major) {
		rec.Answers[c.Name] = do(ctx, dial, c, cred, token)
	}
	var err error
	rec.View, err = ClientView(ctx, major, rec.Answers, rec.Login, cred)
	return rec, err
}

// Login is the raw login answer (for the auth states).
func Login(ctx context.Context, dial string, major int, username, password string) Answer {
	path := "/nacos/v1/auth/login"
	if major == 3 {
		path = "/nacos/v3/auth/user/login"
	}
	return postForm(ctx, dial, path, url.Values{"username": {username}, "password": {password}})
}

// InitAdmin sets the admin password of a member without users (2.4+ and 3.x have none).
func InitAdmin(ctx context.Context, dial string, major int, password string) Answer {
	path := "/nacos/v1/auth/users/admin"
	if major == 3 {
		path = "/nacos/v3/auth/user/admin"
	}
	return postForm(ctx, dial, path, url.Values{"password": {password}})
}

func postForm(ctx context.Context, dial, path string, form url.Values) Answer {
	return send(ctx, http.MethodPost, "http://"+dial+path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

func accessToken(body string) string {
	if i := strings.Index(body, `"accessToken":"`); i >= 0 {
		rest := body[i+len(`"accessToken":"`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
	}
	return ""
}

func do(ctx context.Context, dial string, c Call, cred Credentials, token string) Answer {
	u := "http://" + dial + c.Path
	h := http.Header{"User-Agent": {nacos.DefaultUserAgent}}
	if c.Secured {
		if cred.Identity {
			h.Set(AuthValues.IdentityKey, AuthValues.IdentityValue)
		}
		if token != "" {
			u += "?accessToken=" + url.QueryEscape(token)
		}
	}
	a := send(ctx, c.Method, u, nil, h)
	if c.Path == resource.MetricsPath && a.Status == http.StatusOK {
		a.Body = metricShape(a.Body)
	}
	return a
}

func send(ctx context.Context, method, u string, body io.Reader, h http.Header) Answer {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return Answer{Error: err.Error()}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Answer{Error: transportError(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(b)}
}

func transportError(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return "refused"
	case strings.Contains(s, "deadline exceeded"), strings.Contains(s, "timeout"):
		return "timeout"
	case strings.Contains(s, "EOF"), strings.Contains(s, "reset by peer"):
		return "closed"
	}
	return "error"
}

func view(ctx context.Context, c *nacos.Client) View {
	var v View
	if st, err := c.ServerState(ctx); err != nil {
		v.State = errText(err)
	} else {
		v.State = fmt.Sprintf("version=%s mode=%s function=%q datasource=%q auth=%t", st.Version, st.StartupMode, st.FunctionMode, st.DatasourcePlatform, st.AuthEnabled)
	}
	v.Liveness = "ok"
	if err := c.Liveness(ctx); err != nil {
		v.Liveness = errText(err)
	}
	if r, err := c.Readiness(ctx); err != nil {
		v.Readiness = errText(err)
	} else if r.Ready {
		v.Readiness = "ready"
	} else {
		v.Readiness = "not ready: " + r.Message
	}
	if n, err := c.NamingStatus(ctx); err != nil {
		v.Naming = errText(err)
	} else {
		v.Naming = strings.TrimSpace(n.Status + ": " + n.Message)
	}
	if ms, err := c.Members(ctx); err != nil {
		v.Members = []string{errText(err)}
	} else {
		for _, m := range ms {
			v.Members = append(v.Members, memberText(m))
		}
		sort.Strings(v.Members)
	}
	if m, err := c.Self(ctx); err != nil {
		v.Self = errText(err)
	} else {
		v.Self = memberText(m)
	}
	return v
}

func memberText(m nacos.Member) string {
	version := "empty"
	if m.Version != "" {
		version = "set"
	}
	return fmt.Sprintf("%s %s version=%s", m.Address, m.State, version)
}

// errText is the error's kind: the operator acts on kinds, and messages carry addresses.
func errText(err error) string {
	return "error: " + string(nacos.KindOf(err))
}

// viewOf is the client's view of a member asked with the identity header (for waits).
func viewOf(ctx context.Context, dial string, major int) View {
	return view(ctx, nacos.New(dial, nacos.Options{Major: major, Timeout: 2 * time.Second,
		Auth: nacos.Auth{IdentityKey: AuthValues.IdentityKey, IdentityValue: AuthValues.IdentityValue}}))
}

var tokenValue = regexp.MustCompile(`("(?:accessToken|password)"\s*:\s*")[^"]*"`)

// redactToken keeps tokens and passwords out of recorded bodies.
func redactToken(body string) string { return tokenValue.ReplaceAllString(body, `${1}<redacted>"`) }

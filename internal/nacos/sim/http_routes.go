package sim

import (
	"net/http"
	"strconv"
)

// mainHandler serves the main port (8848) of the member's major version.
func (m *Member) mainHandler() http.Handler {
	if m.ver.major == 3 {
		return &router{m: m, routes: m.routesV3()}
	}
	return &router{m: m, routes: m.routesV2()}
}

// consoleHandler serves the 3.x console port (8080, empty context path).
func (m *Member) consoleHandler() http.Handler {
	gone := m.gone("${contextPath:nacos}/v3/console/health/readiness", "console")
	return &router{m: m, routes: map[string]route{
		"/v3/console/health/liveness":    {http.MethodGet, authNone, m.liveJSON},
		"/v3/console/health/readiness":   {http.MethodGet, authNone, m.readyJSON(http.StatusInternalServerError)},
		"/v3/console/server/state":       {http.MethodGet, authNone, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, m.stateMap()) }},
		"/v3/console/core/cluster/nodes": {http.MethodGet, authAdmin, m.memberList(false, okV2)},
		"/v1/console/health/liveness":    {"", authNone, gone},
		"/v1/console/health/readiness":   {"", authNone, gone},
		"/v2/console/health/liveness":    {"", authNone, gone},
		"/v2/console/health/readiness":   {"", authNone, gone},
	}}
}

func (m *Member) routesV2() map[string]route {
	metrics := route{http.MethodGet, authNone, m.metricsV1}
	login := route{http.MethodPost, authNone, m.handleLogin}
	return map[string]route{
		"/nacos/v1/console/health/liveness":       {http.MethodGet, authNone, m.liveText},
		"/nacos/v1/console/health/readiness":      {http.MethodGet, authNone, m.readyText},
		"/nacos/v2/console/health/liveness":       {http.MethodGet, authNone, m.liveJSON},
		"/nacos/v2/console/health/readiness":      {http.MethodGet, authNone, m.readyJSON(http.StatusOK)},
		"/nacos/v1/ns/operator/metrics":           metrics,
		"/nacos/v1/ns/ops/metrics":                metrics,
		"/nacos/v2/ns/operator/metrics":           {http.MethodGet, authNone, m.metricsWrapped},
		"/nacos/v1/core/cluster/nodes":            {http.MethodGet, authSecured, m.memberList(true, okV1)},
		"/nacos/v1/core/cluster/self":             {http.MethodGet, authSecured, m.self(okV1)},
		"/nacos/v1/core/cluster/health":           {http.MethodGet, authSecured, m.selfHealth(okV1)},
		"/nacos/v1/core/cluster/simple/nodes":     {http.MethodGet, authSecured, m.simpleNodes},
		"/nacos/v2/core/cluster/node/list":        {http.MethodGet, authSecured, m.memberList(false, okV2)},
		"/nacos/v2/core/cluster/node/self":        {http.MethodGet, authSecured, m.self(okV2)},
		"/nacos/v2/core/cluster/node/self/health": {http.MethodGet, authSecured, m.selfHealth(okV2)},
		"/nacos/v1/console/server/state":          {http.MethodGet, authNone, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, m.stateMap()) }},
		"/nacos/v1/auth/login":                    login,
		"/nacos/v1/auth/users/login":              login,
		"/nacos/v1/auth/users/admin":              {http.MethodPost, authNone, m.initAdmin},
		"/nacos/v1/core/ops/raft":                 {http.MethodPost, authSecured, m.raftOps(okV1)},
		"/nacos/v1/ns/operator/switches":          {http.MethodPut, authSecured, m.switches},
		prometheusPath:                            {http.MethodGet, authNone, m.prometheus},
	}
}

func (m *Member) routesV3() map[string]route {
	metrics := route{http.MethodGet, authNone, m.metricsV1}
	routes := map[string]route{
		"/nacos/v3/admin/core/state/liveness":    {http.MethodGet, authNone, m.liveJSON},
		"/nacos/v3/admin/core/state/readiness":   {http.MethodGet, authNone, m.readyJSON(http.StatusOK)},
		"/nacos/v3/admin/core/state":             {http.MethodGet, authNone, func(w http.ResponseWriter, _ *http.Request) { okV2(w, m.stateMap()) }},
		"/nacos/v3/admin/core/cluster/node/list": {http.MethodGet, authAdmin, m.memberList(false, okV2)},
		"/nacos/v3/admin/core/cluster/node/self": {http.MethodGet, authAdmin, m.self(okV2)},
		"/nacos/v3/admin/ns/ops/metrics":         {http.MethodGet, authAdmin, m.metricsWrapped},
		"/nacos/v1/ns/operator/metrics":          metrics, // OPEN_API compatibility is on by default in 3.0
		"/nacos/v1/ns/ops/metrics":               metrics,
		"/nacos/v3/auth/user/login":              {http.MethodPost, authNone, m.handleLogin},
		"/nacos/v1/auth/login":                   {http.MethodPost, authNone, m.handleLogin},
		"/nacos/v3/admin/core/ops/raft":          {http.MethodPost, authAdmin, m.raftOps(okV2)},
		"/nacos/v3/auth/user/admin":              {http.MethodPost, authNone, m.initAdmin},
		prometheusPath:                           {http.MethodGet, authNone, m.prometheus},
	}
	// 2.x admin paths carry @Compatibility(ADMIN_API or CONSOLE_API), off by default: 410.
	// The wording is real 3.0.3's, placeholders included: the self path's alternative is
	// written "{contextPath:nacos}", the others "${contextPath:nacos}".
	for path, g := range map[string]struct{ replacement, api string }{
		"/nacos/v1/core/cluster/nodes":            {"${contextPath:nacos}/v3/admin/core/cluster/node/list", "console"},
		"/nacos/v1/core/cluster/self":             {"{contextPath:nacos}/v3/admin/core/cluster/node/self", "admin"},
		"/nacos/v1/core/cluster/health":           {"{contextPath:nacos}/v3/admin/core/cluster/node/self", "admin"},
		"/nacos/v1/core/cluster/simple/nodes":     {"${contextPath:nacos}/v3/admin/core/cluster/node/list", "console"},
		"/nacos/v2/core/cluster/node/list":        {"${contextPath:nacos}/v3/admin/core/cluster/node/list", "admin"},
		"/nacos/v2/core/cluster/node/self":        {"${contextPath:nacos}/v3/admin/core/cluster/node/self", "admin"},
		"/nacos/v2/core/cluster/node/self/health": {"${contextPath:nacos}/v3/admin/core/cluster/node/self", "admin"},
		"/nacos/v2/ns/operator/metrics":           {"${contextPath:nacos}/v3/admin/ns/ops/metrics", "admin"},
	} {
		routes[path] = route{"", authNone, m.gone(g.replacement, g.api)}
	}
	return routes
}

// gone is ApiCompatibilityFilter's sendError(410, json): Spring's error body whose message
// holds the serialized Nacos result (code and message, no data).
func (m *Member) gone(replacement, api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msg := `{"code":40000,"message":"Current API will be deprecated, please use API(s) ` + "`GET " + replacement + "`" +
			` instead, or set ` + "`nacos.core.api.compatibility." + api + ".enabled=true`" + ` in application.properties."}`
		springError(w, r, http.StatusGone, "Gone", msg)
	}
}

// switches is PUT /v1/ns/operator/switches; only overriddenServerStatus is modelled.
func (m *Member) switches(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("entry") == "overriddenServerStatus" {
		m.mu.Lock()
		m.override = r.URL.Query().Get("value")
		m.mu.Unlock()
	}
	writeText(w, http.StatusOK, "ok")
}

func boolString(b bool) string { return strconv.FormatBool(b) }
func itoa(n int64) string      { return strconv.FormatInt(n, 10) }

// initAdmin is POST /v1/auth/users/admin (2.4+) or /v3/auth/user/admin (3.x): it creates the
// "nacos" admin only while no user exists. Both answer HTTP 200 afterwards too, with code 409
// in the body (2.x without the final period); 2.x answers a created user as a bare object,
// 3.x inside its Result wrapper (UserController and UserControllerV3.createAdminUser).
func (m *Member) initAdmin(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	password := r.FormValue("password")
	if password == "" {
		password = "nacos-" + itoa(m.cfg.Clock.Now().UnixNano())
	}
	if !m.auth.Store.createAdmin("nacos", password) {
		msg := "have admin user cannot use it"
		if m.ver.major >= 3 {
			msg += "."
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 409, "message": msg, "data": nil})
		return
	}
	user := map[string]any{"username": "nacos", "password": password}
	if m.ver.major < 3 {
		writeJSON(w, http.StatusOK, user)
		return
	}
	okV2(w, user)
}

package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Paths of the simulated cluster channel (Nacos uses gRPC on port+1001 for these).
const (
	peerReportPath   = "/_sim/v1/report"
	peerSnapshotPath = "/_sim/v1/snapshot"
)

type route struct {
	method string
	auth   authLevel
	handle http.HandlerFunc
}

type authLevel int

const (
	authNone    authLevel = iota
	authSecured           // @Secured: needs a token or the identity header when auth is enabled
	authAdmin             // 3.x ADMIN_API/CONSOLE_API: needs them unless nacos.core.auth.admin.enabled=false
)

// router serves exact paths, with Spring's 404 for the rest, and applies faults and auth.
type router struct {
	m      *Member
	routes map[string]route
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := rt.m
	m.countOperatorCall(r)
	if r.URL.Path == peerControlPath {
		m.handleControl(w, r)
		return
	}
	if hang := m.Faulty().Hang; hang {
		<-r.Context().Done()
		return
	}
	switch r.URL.Path {
	case peerReportPath, peerSnapshotPath:
		if m.Faulty().PeerPartition {
			<-r.Context().Done() // packets dropped: the caller times out
			return
		}
		if r.URL.Path == peerReportPath {
			m.handleReport(w, r)
		} else {
			m.handleSnapshot(w, r)
		}
		return
	}
	f := m.Faulty()
	if f.Delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-m.cfg.Clock.After(f.Delay):
		}
	}
	if f.ServerError {
		springError(w, r, http.StatusInternalServerError, "Internal Server Error", "simulated server error")
		return
	}
	if f.Garbage {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"code":0,"data":[{"ip":"`))
		return
	}
	rte, ok := rt.routes[r.URL.Path]
	if !ok {
		springError(w, r, http.StatusNotFound, "Not Found", rt.m.notFoundMessage(r.Method, r.URL.Path))
		return
	}
	if rte.method != "" && r.Method != rte.method {
		springError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed", "Request method '"+r.Method+"' is not supported")
		return
	}
	if !m.authorized(r, rte.auth) {
		springError(w, r, http.StatusForbidden, "Forbidden", m.authRefusal())
		return
	}
	rte.handle(w, r)
}

// authorized: the identity header, or a valid access token (query, accessToken header or
// Authorization: Bearer), passes every secured path.
func (m *Member) authorized(r *http.Request, level authLevel) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch level {
	case authNone:
		return true
	case authSecured:
		if !m.auth.Enabled {
			return true
		}
	case authAdmin:
		if m.auth.AdminAPI != nil && !*m.auth.AdminAPI {
			return true
		}
	}
	if k := m.auth.IdentityKey; k != "" && r.Header.Get(k) == m.auth.IdentityValue {
		return true
	}
	token := r.URL.Query().Get("accessToken")
	if token == "" {
		token = r.Header.Get("accessToken")
	}
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	expiry, ok := m.tokens[token]
	return ok && m.cfg.Clock.Now().Before(expiry)
}

func (m *Member) authRefusal() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ver.major == 3 {
		return "Code: 401, Message: User not found! Please check user exist or password is right!."
	}
	return "user not found!"
}

// handleLogin is POST .../auth/login: a raw (unwrapped) token answer, or 403 text.
func (m *Member) handleLogin(w http.ResponseWriter, r *http.Request) {
	user, pass := r.FormValue("username"), r.FormValue("password")
	m.mu.Lock()
	want, ok := m.auth.Store.user(user)
	if !ok || want != pass || user == "" {
		m.mu.Unlock()
		if m.ver.major == 3 {
			// Real 3.0.3 answers a refused login on 8848 with a bare Spring 500.
			springError(w, r, http.StatusInternalServerError, "Internal Server Error", "No message available")
			return
		}
		writeText(w, http.StatusForbidden, "user not found!")
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	token := "eyJ" + hex.EncodeToString(b[:])
	ttl := m.auth.TokenTTL
	m.tokens[token] = m.cfg.Clock.Now().Add(ttl)
	m.mu.Unlock()
	w.Header().Set("Authorization", "Bearer "+token)
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": token, "tokenTtl": int64(ttl / time.Second), "globalAdmin": true, "username": user})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s))
}

// springError is Spring Boot's error body (server.error.include-message=ALWAYS).
func springError(w http.ResponseWriter, r *http.Request, status int, reason, message string) {
	writeJSON(w, status, map[string]any{
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000+00:00"),
		"status":    status, "error": reason, "message": message, "path": r.URL.Path,
	})
}

// okV2 is the v2/v3 envelope.
func okV2(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "message": "success", "data": data})
}

// okV1 is the v1 RestResult envelope.
func okV1(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "message": nil, "data": data})
}

// notFoundMessage is Spring's 404 message as real members word it: 2.5.1 (Spring Boot 2.7)
// "No message available", 3.0.3 "No endpoint GET /nacos/...".
func (m *Member) notFoundMessage(method, path string) string {
	if m.ver.major == 2 {
		return "No message available"
	}
	return "No endpoint " + method + " " + path + "."
}

// countOperatorCall counts a request from the operator (its client's User-Agent), not from
// peers or the kubelet's probes.
func (m *Member) countOperatorCall(r *http.Request) {
	if strings.HasPrefix(r.UserAgent(), operatorUserAgent) {
		m.operatorCalls.Add(1)
	}
}

// operatorUserAgent is what the operator's Nacos client sends (nacos.DefaultUserAgent).
const operatorUserAgent = "nacos-operator"

package fidelity

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// ClientView is what the operator's client makes of a set of answers: they are served by
// path (the credentialed answer to a request carrying the identity header or a token, the
// "-bare" one otherwise; the login answer to a login), and the client asks as the reconciler
// does. Answers of a member that did not answer at all are a closed port. Deriving the view
// from the recorded answers, not from later calls, keeps it a function of what was recorded:
// a live member changes between two calls.
func ClientView(ctx context.Context, major int, answers map[string]Answer, login *Answer, cred Credentials) (View, error) {
	dial, stop, err := replay(major, answers, login)
	if err != nil {
		return View{}, err
	}
	defer stop()
	auth := nacos.Auth{Username: cred.Username, Password: cred.Password}
	if cred.Identity {
		auth.IdentityKey, auth.IdentityValue = AuthValues.IdentityKey, AuthValues.IdentityValue
	}
	return view(ctx, nacos.New(dial, nacos.Options{Major: major, Auth: auth, Timeout: 3 * time.Second})), nil
}

func replay(major int, answers map[string]Answer, login *Answer) (dial string, stop func(), err error) {
	byPath := map[string]map[bool]Answer{}
	answered := false
	for _, c := range Calls(major) {
		a, ok := answers[c.Name]
		if !ok {
			continue
		}
		answered = answered || a.Error == ""
		if byPath[c.Path] == nil {
			byPath[c.Path] = map[bool]Answer{}
		}
		byPath[c.Path][c.Secured] = a
	}
	if !answered {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, fmt.Errorf("replay a closed port: %w", err)
		}
		addr := l.Addr().String()
		_ = l.Close() // nothing listens there now: connection refused, as from the real member
		return addr, func() {}, nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if login != nil && strings.Contains(r.URL.Path, "/login") {
			write(w, *login)
			return
		}
		byCreds, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		creds := r.Header.Get(AuthValues.IdentityKey) != "" || r.URL.Query().Get("accessToken") != ""
		a, ok := byCreds[creds]
		if !ok {
			a = byCreds[!creds]
		}
		write(w, a)
	}))
	return strings.TrimPrefix(srv.URL, "http://"), srv.Close, nil
}

func write(w http.ResponseWriter, a Answer) {
	if a.Error != "" {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
		return
	}
	if a.ContentType != "" {
		w.Header().Set("Content-Type", a.ContentType)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}

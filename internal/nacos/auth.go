package nacos

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// tokenCache holds the access token of a username/password login until 90% of its
// TTL has passed, so that a token never expires in flight.
type tokenCache struct {
	mu       sync.Mutex
	token    string
	expires  time.Time
	previous string // the token before, still kept out of error messages
}

func (t *tokenCache) get(now time.Time) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == "" || !now.Before(t.expires) {
		return ""
	}
	return t.token
}

func (t *tokenCache) put(token string, ttl time.Duration, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != token {
		t.previous = t.token
	}
	t.token, t.expires = token, now.Add(ttl-ttl/10)
}

// drop forgets token unless another goroutine has replaced it already.
func (t *tokenCache) drop(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == token {
		t.expires = time.Time{}
	}
}

// peek returns the tokens to redact from errors, expired or not.
func (t *tokenCache) peek() (current, previous string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token, t.previous
}

// usesLogin reports whether secured calls need a token: only without an identity
// header (which bypasses auth on 2.x and 3.x) and with a username.
func (c *Client) usesLogin() bool {
	return c.opts.Auth.IdentityKey == "" && c.opts.Auth.Username != ""
}

// call sends r, with a token when r is secured and the client logs in. A 401/403
// answered to a cached token (revoked, or the server's secret changed) drops it,
// logs in once more and retries once.
func (c *Client) call(ctx context.Context, major int, r request) (response, error) {
	if !r.secured || !c.usesLogin() {
		return c.send(ctx, r, "")
	}
	token, fresh, err := c.accessToken(ctx, major)
	if err != nil {
		return response{}, err
	}
	resp, err := c.send(ctx, r, token)
	if err != nil || fresh || !isAuthStatus(resp.status) {
		return resp, err
	}
	c.tokens.drop(token)
	if token, _, err = c.accessToken(ctx, major); err != nil {
		return response{}, err
	}
	return c.send(ctx, r, token)
}

func isAuthStatus(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// accessToken returns a cached token, or logs in. fresh is true when this call
// logged in, so that a refusal of a fresh token is not retried.
func (c *Client) accessToken(ctx context.Context, major int) (token string, fresh bool, err error) {
	if token := c.tokens.get(c.clock.Now()); token != "" {
		return token, false, nil
	}
	select {
	case c.loginSlot <- struct{}{}:
		defer func() { <-c.loginSlot }()
	case <-ctx.Done():
		return "", false, c.annotate(c.loginRequest(major), transportError(ctx, ctx.Err()))
	}
	// Another goroutine may have logged in while this one waited.
	if token := c.tokens.get(c.clock.Now()); token != "" {
		return token, false, nil
	}
	token, err = c.login(ctx, major)
	return token, err == nil, err
}

// opLogin names the login call in errors.
const opLogin = "log in"

func (c *Client) loginRequest(major int) request {
	return request{
		op:     opLogin,
		method: http.MethodPost,
		path:   endpointsFor(major).login,
		form:   url.Values{"username": {c.opts.Auth.Username}, "password": {c.opts.Auth.Password}},
	}
}

// login posts the credentials as a form (never in the URL) and caches the token.
func (c *Client) login(ctx context.Context, major int) (string, error) {
	r := c.loginRequest(major)
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return "", err
	}
	if e := tooLarge(resp); e != nil {
		return "", c.annotate(r, e)
	}
	token, ttl, err := parseLogin(resp.status, resp.body)
	if err != nil {
		return "", c.annotate(r, err)
	}
	c.tokens.put(token, ttl, c.clock.Now())
	return token, nil
}

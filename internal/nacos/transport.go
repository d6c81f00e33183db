package nacos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds what the client reads of any answer: member lists of a
// 15-member cluster are a few tens of KiB, and a misbehaving peer must not make
// the operator allocate without limit.
const maxBodyBytes = 1 << 20

// request describes one call; op names it in errors ("read member list").
type request struct {
	op      string
	method  string
	path    string
	query   url.Values
	form    url.Values // sent as application/x-www-form-urlencoded when set
	json    []byte     // sent as application/json when set
	secured bool       // needs auth when Nacos auth is on
	// minTimeout raises the client's per-request timeout for a call Nacos is known to
	// answer slowly (readiness: readinessTimeout).
	minTimeout time.Duration
	// port, when set, replaces the member's main port (the sidecar's evidence endpoint).
	port int
}

type response struct {
	status    int
	body      []byte // at most maxBodyBytes
	truncated bool   // the server sent more than maxBodyBytes
}

// send performs one HTTP exchange under its own deadline. It fails only when no
// complete answer arrived; every HTTP status is returned as a response.
func (c *Client) send(ctx context.Context, r request, token string) (out response, err error) {
	if c.opts.Observe != nil {
		start := c.clock.Now()
		defer func() { c.opts.Observe(endpointName(r.op), result(out, err), c.clock.Since(start)) }()
	}
	ctx, cancel := context.WithTimeout(ctx, max(c.opts.Timeout, r.minTimeout))
	defer cancel()

	req, err := c.newRequest(ctx, r, token)
	if err != nil {
		return response{}, c.annotate(r, &Error{Kind: KindUnreachable, Err: err})
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, c.annotate(r, transportError(ctx, err))
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return response{}, c.annotate(r, transportError(ctx, err))
	}
	out = response{status: resp.StatusCode, body: body}
	if len(body) > maxBodyBytes {
		out.body, out.truncated = body[:maxBodyBytes], true
	}
	return out, nil
}

// newRequest builds the request from the path alone and sets the query afterwards,
// so that a URL parse error cannot quote the access token.
func (c *Client) newRequest(ctx context.Context, r request, token string) (*http.Request, error) {
	var body io.Reader
	switch {
	case r.form != nil:
		body = strings.NewReader(r.form.Encode())
	case r.json != nil:
		body = bytes.NewReader(r.json)
	}
	address := c.address
	if r.port != 0 {
		if host, _, err := net.SplitHostPort(c.address); err == nil {
			address = net.JoinHostPort(host, strconv.Itoa(r.port))
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, "http://"+address+r.path, body)
	if err != nil {
		return nil, errors.New("invalid member address or path")
	}
	query := url.Values{}
	for k, v := range r.query {
		query[k] = v
	}
	if token != "" {
		query.Set("accessToken", token)
	}
	req.URL.RawQuery = query.Encode()
	req.Header.Set("User-Agent", c.opts.UserAgent)
	// Without text/html in Accept, Spring Boot answers errors with JSON, not a page.
	req.Header.Set("Accept", "application/json, text/plain, */*")
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.json != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a := c.opts.Auth; a.IdentityKey != "" && r.port == 0 { // never to the sidecar
		req.Header.Set(a.IdentityKey, a.IdentityValue)
	}
	return req, nil
}

// transportError classifies a failure to get an answer. ctx is the per-request
// context: its deadline means Timeout; anything else (refused, reset, DNS, EOF, a
// cancelled parent) means Unreachable. *url.Error is unwrapped because its text
// holds the whole URL, query included.
func transportError(ctx context.Context, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(ctx.Err(), context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return &Error{Kind: KindTimeout, Err: err}
	default:
		return &Error{Kind: KindUnreachable, Err: err}
	}
}

// checkOK turns a non-2xx or oversized answer into an error for endpoints that
// give no other status a meaning.
func checkOK(resp response) *Error {
	if e := classifyStatus(resp.status, resp.body); e != nil {
		return e
	}
	return tooLarge(resp)
}

// tooLarge refuses a 2xx answer cut at maxBodyBytes: it cannot be parsed whole.
// Error answers are still read for their message, which only needs the start.
func tooLarge(resp response) *Error {
	if resp.truncated && resp.status >= 200 && resp.status < 300 {
		return malformed(resp.status, errors.New("body is larger than 1 MiB"))
	}
	return nil
}

// annotate names the call in err and removes secrets and query strings from it.
// Parsers are pure and know neither the call nor the secrets.
func (c *Client) annotate(r request, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		if err == nil {
			return nil
		}
		e = &Error{Kind: KindMalformedBody, Err: err}
	}
	if e.Op == "" {
		e.Op, e.Method, e.Path = r.op, r.method, r.path
	}
	secrets := c.secrets()
	e.Message = redact(e.Message, secrets)
	if e.Err != nil {
		if text := e.Err.Error(); redact(text, secrets) != text {
			e.Err = &scrubbedError{msg: redact(text, secrets), cause: e.Err}
		}
	}
	return e
}

// secrets lists what must never appear in an error: the password, the identity
// value and the cached tokens.
func (c *Client) secrets() []string {
	current, previous := c.tokens.peek()
	return []string{c.opts.Auth.Password, c.opts.Auth.IdentityValue, current, previous}
}

// metricEndpoints names each operation for metrics: short, fixed, the same on 2.x and 3.x.
var metricEndpoints = map[string]string{
	opLiveness: "liveness", opReadiness: "readiness", opNaming: "naming_status", opMembers: "members",
	opSelf: "self", opState: "state", opDetect: "state", opTransferLeader: "raft_ops",
	opInitAdmin: "init_admin", opLogin: "login", opEvidence: "evidence",
}

func endpointName(op string) string {
	if e, ok := metricEndpoints[op]; ok {
		return e
	}
	return "other"
}

// result is an exchange's outcome for metrics: ok, the HTTP status class, or the error kind.
func result(r response, err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return string(e.Kind)
	case err != nil:
		return "error"
	case r.status >= 500:
		return "http_5xx"
	case r.status >= 400:
		return "http_4xx"
	}
	return "ok"
}

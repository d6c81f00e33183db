package nacos

import (
	"errors"
	"strconv"
	"strings"
)

// ErrorKind says what went wrong in terms the operator can act on: retry later
// (Unreachable, Timeout, ServerError), fix credentials (AuthRefused), switch API
// (APIGone) or report a Nacos incompatibility (MalformedBody, UnexpectedStatus).
type ErrorKind string

// The error kinds. Nacos answers auth failures with 403, never 401; 401 is treated
// the same in case a proxy in front of Nacos answers it.
const (
	KindUnreachable      ErrorKind = "Unreachable"      // connection refused, no route, DNS failure
	KindTimeout          ErrorKind = "Timeout"          // per-request deadline exceeded
	KindAuthRefused      ErrorKind = "AuthRefused"      // HTTP 401/403, or login refused
	KindAPIGone          ErrorKind = "APIGone"          // 404 or 410: this endpoint does not exist on this version
	KindServerError      ErrorKind = "ServerError"      // 5xx that is not a documented "not ready" answer
	KindMalformedBody    ErrorKind = "MalformedBody"    // body does not parse into the documented shape
	KindUnexpectedStatus ErrorKind = "UnexpectedStatus" // any other status (e.g. 400)
)

// maxMessageLen bounds Error.Message and the messages of Readiness and NamingStatus:
// they end up in Kubernetes conditions and events, and a body can be anything.
const maxMessageLen = 256

// Error is the only error type the client returns. It never holds a query string,
// a password, an identity value or an access token.
type Error struct {
	Kind       ErrorKind
	Op         string // what the client was doing, e.g. "read member list"
	Method     string // HTTP method, e.g. "GET"
	Path       string // URL path without the query
	StatusCode int    // 0 when no response arrived
	Message    string // the server's message, at most 256 bytes
	Err        error  // the cause, when there is one
}

// Error renders e.g.
// `read member list: GET /nacos/v1/core/cluster/nodes: AuthRefused (HTTP 403): user not found!`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	// An unreachable member never saw the request, so its path says nothing; worse, while
	// the version is being detected it is the 3.x path even for a 2.x member.
	if e.Path != "" && e.Kind != KindUnreachable {
		if e.Method != "" {
			b.WriteString(e.Method)
			b.WriteByte(' ')
		}
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Kind))
	if e.StatusCode != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the first *Error in err's chain, or "" when there is none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// malformed reports a body that does not have the documented shape. Causes name
// fields and JSON types, never values: a login body holds a token.
func malformed(status int, cause error) *Error {
	return &Error{Kind: KindMalformedBody, StatusCode: status, Err: cause}
}

// classifyStatus turns a non-2xx answer into an error; it returns nil for 2xx.
// Callers that give 500 or 503 a documented meaning check for it first.
func classifyStatus(status int, body []byte) *Error {
	var kind ErrorKind
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == 401 || status == 403:
		kind = KindAuthRefused
	case status == 404 || status == 410:
		kind = KindAPIGone
	case status >= 500 && status < 600:
		kind = KindServerError
	default:
		kind = KindUnexpectedStatus
	}
	return &Error{Kind: kind, StatusCode: status, Message: parseErrorMessage(body)}
}

// scrubbedError replaces the text of a cause that contained a secret or a query
// string, keeping the cause reachable for errors.Is.
type scrubbedError struct {
	msg   string
	cause error
}

func (s *scrubbedError) Error() string { return s.msg }
func (s *scrubbedError) Unwrap() error { return s.cause }

// redact removes every secret and every URL query string from s.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return stripQueries(s)
}

// stripQueries cuts the query string off every URL in s: an access token travels
// as the accessToken query parameter, and net/http quotes whole URLs in its errors.
func stripQueries(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + 3 + strings.IndexFunc(s[i+3:], endOfURL)
		if end < i+3 {
			end = len(s)
		}
		url := s[:end]
		if q := strings.IndexByte(url[i:], '?'); q >= 0 {
			url = url[:i+q]
		}
		b.WriteString(url)
		s = s[end:]
	}
}

func endOfURL(r rune) bool {
	return r == ' ' || r == '"' || r == '\'' || r == '\n' || r == '\t' || r == '\r'
}

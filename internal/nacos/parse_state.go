package nacos

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// parseServerState reads the server state map: raw on 2.x
// (/nacos/v1/console/server/state), inside a Result on 3.x
// (/nacos/v3/admin/core/state). Nacos writes every value with toString, so values
// are strings, or null for unset ones (function_mode null means "all").
func parseServerState(major int, body []byte) (ServerState, error) {
	raw := body
	if major >= 3 {
		data, err := unwrapEnvelope(http200, body, v3SuccessCode)
		if err != nil {
			return ServerState{}, err
		}
		raw = data
	}
	f, err := decodeObject(raw, "state")
	if err != nil {
		return ServerState{}, malformed(http200, err)
	}
	values, err := stringMap(f)
	if err != nil {
		return ServerState{}, malformed(http200, err)
	}
	st := ServerState{
		Version:            values["version"],
		StartupMode:        values["startup_mode"],
		FunctionMode:       values["function_mode"],
		DatasourcePlatform: values["datasource_platform"],
		AuthEnabled:        values["auth_enabled"] == "true",
		Raw:                values,
	}
	if st.Major, err = majorOf(st.Version); err != nil {
		return ServerState{}, malformed(http200, err)
	}
	return st, nil
}

// stringMap keeps the string values of f and drops nulls. Keys are visited in order
// so that the reported error does not depend on map iteration.
func stringMap(f fields) (map[string]string, error) {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(f))
	for _, k := range keys {
		v, ok, err := f.str(k)
		if err != nil {
			return nil, err
		}
		if ok {
			out[k] = v
		}
	}
	return out, nil
}

// majorOf returns the leading number of a version such as "3.0.3" or "2.5.1-SNAPSHOT".
func majorOf(version string) (int, error) {
	if version == "" {
		return 0, errors.New(`field "version" is missing`)
	}
	end := strings.IndexFunc(version, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(version)
	}
	major, err := strconv.Atoi(version[:end])
	if err != nil || major <= 0 {
		return 0, errors.New(`field "version" does not start with a major version number`)
	}
	return major, nil
}

// maxTokenTTL caps tokenTtl so that a huge value cannot overflow time.Duration.
const maxTokenTTL = 365 * 24 * time.Hour

// parseLogin reads a login answer: HTTP 200 with the raw (unwrapped)
// {"accessToken":..,"tokenTtl":<seconds>,...}. Bad credentials are 403 with text such
// as "user not found!". On 3.x a 200 Result with a non-zero code means the auth
// plugin cannot log in. Errors never carry the body: it holds the token.
func parseLogin(status int, body []byte) (token string, ttl time.Duration, err error) {
	// Real members refuse a login with 500 too: 3.0.3 for a wrong password ("No message
	// available"), 2.5.1 while its user cache has not caught up ("caused: User nacos not
	// found;").
	if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusInternalServerError {
		return "", 0, loginRefused(status, parseErrorMessage(body))
	}
	if status != http.StatusOK {
		return "", 0, unexpected(status, body)
	}
	f, err := decodeObject(body, "body")
	if err != nil {
		return "", 0, malformed(status, err)
	}
	token, hasToken, err := f.str("accessToken")
	if err != nil {
		return "", 0, malformed(status, err)
	}
	if !hasToken {
		code, hasCode, codeErr := f.integer("code")
		if codeErr == nil && hasCode && code != v3SuccessCode {
			return "", 0, loginRefused(status, fmt.Sprintf("%s (code %d)", messageOf(f), code))
		}
	}
	if token == "" {
		return "", 0, malformed(status, errors.New(`field "accessToken" is missing or empty`))
	}
	seconds, _, err := f.integer("tokenTtl")
	if err != nil {
		return "", 0, malformed(status, err)
	}
	return token, clampTTL(seconds), nil
}

func clampTTL(seconds int64) time.Duration {
	switch {
	case seconds <= 0:
		return 0
	case seconds > int64(maxTokenTTL/time.Second):
		return maxTokenTTL
	default:
		return time.Duration(seconds) * time.Second
	}
}

func loginRefused(status int, msg string) *Error {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return &Error{Kind: KindAuthRefused, StatusCode: status, Message: "login refused"}
	}
	return &Error{Kind: KindAuthRefused, StatusCode: status, Message: cleanMessage("login refused: " + msg)}
}

package nacos

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// unexpected reports a status the caller has no meaning for: the usual
// classification, or UnexpectedStatus for a 2xx other than the documented one.
func unexpected(status int, body []byte) *Error {
	if e := classifyStatus(status, body); e != nil {
		return e
	}
	return &Error{Kind: KindUnexpectedStatus, StatusCode: status, Message: parseErrorMessage(body)}
}

// resultCode looks for the numeric "code" of a v2/v3 Result in a body that may as
// well be plain text. isObject is false for text; hasCode is false for a JSON
// object without a code (e.g. Spring error JSON).
func resultCode(body []byte) (code int64, hasCode, isObject bool, msg string, err error) {
	f, decodeErr := decodeObject(bytes.TrimSpace(body), "body")
	if decodeErr != nil {
		return 0, false, false, "", nil
	}
	code, hasCode, err = f.integer("code")
	if err != nil {
		return 0, false, true, "", err
	}
	return code, hasCode, true, messageOf(f), nil
}

// parseLiveness reads a liveness answer: 2.x 200 text "OK", 3.x 200 Result code 0.
func parseLiveness(status int, body []byte) error {
	if status != http.StatusOK {
		return unexpected(status, body)
	}
	code, hasCode, _, msg, err := resultCode(body)
	if err != nil {
		return malformed(status, err)
	}
	if hasCode && code != v3SuccessCode {
		return &Error{Kind: KindUnexpectedStatus, StatusCode: status,
			Message: cleanMessage(msg + " (code " + strconv.FormatInt(code, 10) + ")")}
	}
	return nil
}

// parseReadiness applies the one readiness rule of every Nacos version: a JSON body
// with a numeric code decides whatever the status (2.x v2 and 3.x 8848 answer
// "not ready" with HTTP 200 and code 30000); otherwise text, where 200 is ready and
// 500 is not ready with the text as the reason (2.x v1). Other statuses are errors.
func parseReadiness(status int, body []byte) (Readiness, error) {
	if status != http.StatusOK && status != http.StatusInternalServerError {
		return Readiness{}, unexpected(status, body)
	}
	code, hasCode, isObject, msg, err := resultCode(body)
	switch {
	case err != nil:
		return Readiness{}, malformed(status, err)
	case hasCode && code == v3SuccessCode:
		return Readiness{Ready: true}, nil
	case hasCode:
		return notReady(msg, fmt.Sprintf("not ready (code %d)", code)), nil
	case status == http.StatusOK && isObject:
		return Readiness{}, malformed(status, errors.New(`JSON body without a numeric "code"`))
	case status == http.StatusOK:
		return Readiness{Ready: true}, nil
	default:
		return notReady(parseErrorMessage(body), "not ready (HTTP 500)"), nil
	}
}

func notReady(msg, fallback string) Readiness {
	msg = cleanMessage(msg)
	if msg == "" {
		msg = fallback
	}
	return Readiness{Message: msg}
}

// parseNamingStatus reads the naming ServerStatus from the v1 metrics endpoint
// (200 raw {"status":"UP"}; 503 text from TrafficReviseFilter when not UP) or from
// the v3 one (200 Result whose data is {"status":..}).
func parseNamingStatus(status int, body []byte) (NamingStatus, error) {
	switch status {
	case http.StatusOK:
		return parseNamingJSON(status, body)
	case http.StatusServiceUnavailable:
		if ns, ok := parseTrafficReviseText(string(body)); ok {
			return ns, nil
		}
	}
	return NamingStatus{}, unexpected(status, body)
}

func parseNamingJSON(status int, body []byte) (NamingStatus, error) {
	f, err := decodeObject(body, "body")
	if err != nil {
		return NamingStatus{}, malformed(status, err)
	}
	if _, raw := f["status"]; !raw {
		data, envErr := unwrapEnvelope(status, body, v3SuccessCode)
		if envErr != nil {
			return NamingStatus{}, envErr
		}
		if f, err = decodeObject(data, "data"); err != nil {
			return NamingStatus{}, malformed(status, err)
		}
	}
	word, _, err := f.str("status")
	if err != nil {
		return NamingStatus{}, malformed(status, err)
	}
	if !isStatusWord(word) {
		return NamingStatus{}, malformed(status, errors.New(`field "status" is not a status word`))
	}
	return NamingStatus{Status: word}, nil
}

// parseTrafficReviseText reads "server is DOWNnow, detailed error message: <msg>"
// (no space before "now"), "server is DOWNnow, please try again later!", and the
// form of 2.4.1 and older, which printed the detail as "Optional[<msg>]".
func parseTrafficReviseText(text string) (NamingStatus, bool) {
	const prefix = "server is "
	text = strings.TrimSpace(text)
	rest, found := strings.CutPrefix(text, prefix)
	if !found {
		return NamingStatus{}, false
	}
	word, rest, found := strings.Cut(rest, "now")
	if !found || !isStatusWord(word) {
		return NamingStatus{}, false
	}
	var detail string
	switch {
	case strings.HasPrefix(rest, ", detailed error message: "):
		detail = strings.TrimPrefix(rest, ", detailed error message: ")
	case strings.HasPrefix(rest, ", please try again later!"):
		detail = ""
	default:
		detail = strings.TrimPrefix(rest, ",")
	}
	detail = strings.TrimSpace(detail)
	if inner, ok := strings.CutPrefix(detail, "Optional["); ok && strings.HasSuffix(inner, "]") {
		detail = strings.TrimSuffix(inner, "]")
	}
	if detail == "Optional.empty" {
		detail = ""
	}
	return NamingStatus{Status: word, Message: cleanMessage(detail)}, true
}

// isStatusWord accepts ServerStatus names (UP, DOWN, WRITE_ONLY, ...).
func isStatusWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' {
			return false
		}
	}
	return true
}

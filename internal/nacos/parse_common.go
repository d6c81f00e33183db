package nacos

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Envelope success codes: the 2.x v1 RestResult says 200, the v2/v3 Result says 0.
const (
	v1SuccessCode = 200
	v3SuccessCode = 0
)

// successCode is the envelope code of success for the endpoints of a major version.
func successCode(major int) int64 {
	if major >= 3 {
		return v3SuccessCode
	}
	return v1SuccessCode
}

// unwrapEnvelope returns the data of {"code":..,"message":..,"data":..}. A body that
// is not an envelope is malformed; an envelope with a code other than okCode is
// Nacos saying no in a 200, reported as UnexpectedStatus with its message.
func unwrapEnvelope(status int, body []byte, okCode int64) (json.RawMessage, error) {
	f, err := decodeObject(body, "body")
	if err != nil {
		return nil, malformed(status, err)
	}
	code, ok, err := f.integer("code")
	if err != nil {
		return nil, malformed(status, err)
	}
	if !ok {
		return nil, malformed(status, errors.New(`body has no "code": not a Nacos envelope`))
	}
	if code != okCode {
		msg, _, _ := f.str("message")
		return nil, &Error{Kind: KindUnexpectedStatus, StatusCode: status,
			Message: cleanMessage(strings.TrimSpace(msg + " (code " + strconv.FormatInt(code, 10) + ")"))}
	}
	return f["data"], nil
}

// parseErrorMessage extracts the server's message from an error body. Nacos error
// bodies are Spring Boot error JSON ({"status":403,"error":"Forbidden","message":..}),
// a v2/v3 envelope, or plain text. The 410 of a disabled compatibility API nests
// a serialized envelope inside the Spring message: the inner message is returned.
func parseErrorMessage(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ""
	}
	if f, err := decodeObject(trimmed, "body"); err == nil {
		if msg := messageOf(f); msg != "" {
			return cleanMessage(msg)
		}
	}
	return cleanMessage(string(trimmed))
}

// messageOf returns "message" (unwrapping one nested JSON envelope) or "error".
func messageOf(f fields) string {
	msg, _, _ := f.str("message")
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "{") {
		if inner, err := decodeObject(json.RawMessage(msg), "message"); err == nil {
			if innerMsg, _, _ := inner.str("message"); strings.TrimSpace(innerMsg) != "" {
				return innerMsg
			}
		}
	}
	if msg != "" {
		return msg
	}
	errText, _, _ := f.str("error")
	return errText
}

// cleanMessage makes server text safe for conditions and logs: valid UTF-8, one
// line, at most maxMessageLen bytes (cut on a rune boundary, marked with "...").
func cleanMessage(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

package nacos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// fields is a decoded JSON object whose values are checked one by one: Nacos bodies
// carry many keys the client ignores, and a present key with the wrong JSON type
// must be refused rather than silently read as a zero value. JSON null counts as
// absent, because Jackson writes null for unset fields.
type fields map[string]json.RawMessage

// jsonType names the JSON type of raw for error messages (never its value).
func jsonType(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	default:
		return "not JSON"
	}
}

func isNull(raw json.RawMessage) bool {
	return jsonType(raw) == "null"
}

// decodeObject decodes raw, which must be a JSON object; what names it in errors.
func decodeObject(raw json.RawMessage, what string) (fields, error) {
	if t := jsonType(raw); t != "object" {
		return nil, fmt.Errorf("%s is %s, want object", what, t)
	}
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return f, nil
}

func wrongType(key string, raw json.RawMessage, want string) error {
	return fmt.Errorf("field %q is %s, want %s", key, jsonType(raw), want)
}

// str returns a string field; ok is false when absent or null.
func (f fields) str(key string) (value string, ok bool, err error) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return "", false, nil
	}
	if jsonType(raw) != "string" {
		return "", false, wrongType(key, raw, "string")
	}
	if value, err = unquote(raw); err != nil {
		return "", false, fmt.Errorf("field %q: %w", key, err)
	}
	return value, true, nil
}

// integer returns an integer field. Java longs are written as plain integers, so a
// fraction or an exponent is refused.
func (f fields) integer(key string) (value int64, ok bool, err error) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return 0, false, nil
	}
	if jsonType(raw) != "number" {
		return 0, false, wrongType(key, raw, "integer")
	}
	value, err = strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("field %q is not a 64-bit integer", key)
	}
	return value, true, nil
}

// smallInt is integer for fields that must fit 32 bits (ports, counters).
func (f fields) smallInt(key string) (int, bool, error) {
	v, ok, err := f.integer(key)
	if err != nil || !ok {
		return 0, ok, err
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, false, fmt.Errorf("field %q is out of range", key)
	}
	return int(v), true, nil
}

// object returns a nested object field.
func (f fields) object(key string) (fields, bool, error) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return nil, false, nil
	}
	obj, err := decodeTrusted(raw, fmt.Sprintf("field %q", key))
	if err != nil {
		return nil, false, err
	}
	return obj, true, nil
}

// strings returns an array-of-strings field.
func (f fields) strings(key string) ([]string, bool, error) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return nil, false, nil
	}
	if jsonType(raw) != "array" {
		return nil, false, wrongType(key, raw, "array of strings")
	}
	items, err := splitArray(raw)
	if err != nil {
		return nil, false, fmt.Errorf("field %q: %w", key, err)
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		if jsonType(item) != "string" {
			return nil, false, fmt.Errorf("field %q item %d is %s, want string", key, i, jsonType(item))
		}
		s, err := unquote(item)
		if err != nil {
			return nil, false, fmt.Errorf("field %q item %d: %w", key, i, err)
		}
		out = append(out, s)
	}
	return out, true, nil
}

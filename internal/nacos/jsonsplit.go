package nacos

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The member list nests five objects deep (member, extendInfo, raftMetaData, metaDataMap,
// group), and json.Unmarshal validates and skips its whole input again at every level:
// profiled with 100 idle clusters, parsing member lists was a third of the operator's CPU.
// Values taken from a decoded object are valid JSON (the outer json.Unmarshal checked them),
// so they are split here in one pass without validating them again. Only such trusted values
// come here; a body from the network still goes through decodeObject.

// decodeTrusted splits raw, a JSON value taken from a decoded object, into its fields.
func decodeTrusted(raw json.RawMessage, what string) (fields, error) {
	if t := jsonType(raw); t != "object" {
		return nil, fmt.Errorf("%s is %s, want object", what, t)
	}
	out := fields{}
	err := splitContainer(raw, '{', '}', func(key, value []byte) error {
		k, err := unquote(key)
		if err != nil {
			return fmt.Errorf("%s: key: %w", what, err)
		}
		out[k] = json.RawMessage(value)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// splitArray returns the items of raw, a JSON array taken from a decoded object.
func splitArray(raw json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := splitContainer(raw, '[', ']', func(_, value []byte) error {
		out = append(out, json.RawMessage(value))
		return nil
	})
	return out, err
}

// splitContainer walks one level of a valid object or array and calls emit for each
// member (key is nil for arrays; keys keep their quotes).
func splitContainer(raw []byte, open, closing byte, emit func(key, value []byte) error) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != open {
		return errors.New("not a JSON container")
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == closing {
		return nil
	}
	for i < len(raw) {
		var key []byte
		if open == '{' {
			var err error
			if key, i, err = objectKey(raw, i); err != nil {
				return err
			}
		}
		end, err := valueEnd(raw, i)
		if err != nil {
			return err
		}
		if err := emit(key, raw[i:end]); err != nil {
			return err
		}
		i = skipSpace(raw, end)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == closing:
			return nil
		default:
			return errors.New("malformed container")
		}
	}
	return errors.New("unterminated container")
}

// objectKey reads `"key" :` at raw[i] and returns the key and where its value starts.
func objectKey(raw []byte, i int) (key []byte, next int, err error) {
	end, err := stringEnd(raw, i)
	if err != nil {
		return nil, 0, err
	}
	key, next = raw[i:end], skipSpace(raw, end)
	if next >= len(raw) || raw[next] != ':' {
		return nil, 0, errors.New("malformed object")
	}
	return key, skipSpace(raw, next+1), nil
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at raw[i].
func stringEnd(raw []byte, i int) (int, error) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, errors.New("want a string")
	}
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// valueEnd returns the index after the value starting at raw[i].
func valueEnd(raw []byte, i int) (int, error) {
	if i >= len(raw) {
		return 0, errors.New("missing value")
	}
	if raw[i] == '"' {
		return stringEnd(raw, i)
	}
	depth := 0
	for j := i; j < len(raw); j++ {
		switch c := raw[j]; c {
		case '"':
			end, err := stringEnd(raw, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, nil
			}
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return j, nil
			}
		}
	}
	if depth != 0 {
		return 0, errors.New("unterminated value")
	}
	return len(raw), nil
}

// unquote decodes a JSON string; one without escapes is its bytes (the common case).
func unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		inner := raw[1 : len(raw)-1]
		plain := utf8.Valid(inner)
		for _, c := range inner {
			if c == '\\' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("decode string: %w", err)
	}
	return s, nil
}

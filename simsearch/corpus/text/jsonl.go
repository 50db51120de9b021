package text

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// jsonLayout names a JSONL file's text and label fields.
type jsonLayout struct {
	text, label string // label "" when none
}

func newJSONLayout(spec corpus.Spec, labels string) *jsonLayout {
	l := &jsonLayout{text: spec.Option(OptTextField, "text")}
	if l.text == "" {
		l.text = "text"
	}
	if labels != labelsNone {
		l.label = spec.Option(OptLabelField, "")
	}
	return l
}

// jsonScanner reads a JSONL file, an item per line holding an object.
type jsonScanner struct {
	lr      lineReader
	l       *jsonLayout
	payload bool
}

func (s *jsonScanner) next() (entry, error) {
	line, e, err := s.lr.nextText()
	if err != nil {
		return e, err
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		e.kind = blankEntry
		return e, nil
	}
	if line[0] != '{' {
		return e, s.lr.bad(fmt.Errorf("want a JSON object, found %s", describeJSON(line)))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return e, s.lr.bad(fmt.Errorf("bad JSON: %w", err))
	}
	raw, ok := obj[s.l.text]
	if !ok {
		return e, s.lr.bad(fmt.Errorf("no %q field", s.l.text))
	}
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '"' {
		return e, s.lr.bad(fmt.Errorf("field %q is %s, not a string", s.l.text, describeJSON(raw)))
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return e, s.lr.bad(fmt.Errorf("field %q: %w", s.l.text, err))
	}
	if strings.TrimSpace(text) == "" {
		e.kind = emptyEntry
		return e, nil
	}
	if s.l.label != "" {
		if raw, ok := obj[s.l.label]; ok {
			v, ok := scalar(raw)
			if !ok {
				return e, s.lr.bad(fmt.Errorf("label field %q is %s, not a string or number", s.l.label, describeJSON(raw)))
			}
			e.label = strings.TrimSpace(v)
		}
	}
	if s.payload {
		e.text = text
		for k, raw := range obj {
			if k == s.l.text || k == s.l.label {
				continue
			}
			if v, ok := scalar(raw); ok {
				if e.meta == nil {
					e.meta = make(map[string]string, len(obj))
				}
				e.meta[k] = v
			}
		}
	}
	return e, nil
}

// scalar formats a JSON string, number or boolean; null, objects and arrays are not
// scalars.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case 't', 'f':
		return string(raw), true
	case 'n', '{', '[':
		return "", false
	}
	return formatNumber(string(raw)), true
}

// formatNumber writes a JSON number as written, or without its exponent when it has one
// and the value lies between 1e-6 and 1e21 in magnitude.
func formatNumber(lit string) string {
	if !strings.ContainsAny(lit, "eE") {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return lit
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// describeJSON names the kind of a JSON value by its first byte.
func describeJSON(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return fmt.Sprintf("text starting with %q", b[0])
}

package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxEcho is how much of one value (a field path, a message quoting the spec) an error
// repeats: a 50 MB name must not come back as 50 MB of stderr.
const maxEcho = 256

// clip shortens s to maxEcho bytes (on a rune boundary), saying how long it was.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}

// clipped is the error with every text clipped; messages and -o json both use it.
func (e FieldError) clipped() FieldError {
	e.File, e.Field, e.Message, e.Fix = clip(e.File), clip(e.Field), clipLong(e.Message), clipLong(e.Fix)
	return e
}

// clipLong keeps a message whole up to a few values' worth.
func clipLong(s string) string {
	if len(s) <= 4*maxEcho {
		return s
	}
	cut := 4 * maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}

// MarshalJSON writes the error with its texts clipped, and <, > and & as they are (as the
// rest of shipit's JSON output writes them; json.Marshal would escape them).
func (e FieldError) MarshalJSON() ([]byte, error) {
	type plain FieldError
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plain(e.clipped())); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// FieldError is one problem in a spec, pinned to a place in the file.
type FieldError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Fix says what to write instead, when there is one obvious fix.
	Fix string `json:"fix,omitempty"`
	// Target is set when the problem exists only for one target ("ecs" or "eks").
	Target string `json:"target,omitempty"`
}

// Error formats the problem as file:line:col: field.path: message (fix).
func (e FieldError) Error() string {
	e = e.clipped()
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Target != "" {
		fmt.Fprintf(&b, "[%s] ", e.Target)
	}
	b.WriteString(e.Message)
	if e.Fix != "" {
		fmt.Fprintf(&b, " (%s)", e.Fix)
	}
	return b.String()
}

// Errors is every problem found in one spec, in file order. A spec with Errors is never used
// to render or deploy anything.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted returns the errors ordered by position, then field, without duplicates.
func (es Errors) sorted() Errors {
	out := append(Errors(nil), es...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		if out[i].Column != out[j].Column {
			return out[i].Column < out[j].Column
		}
		return out[i].Field < out[j].Field
	})
	uniq := out[:0]
	for i, e := range out {
		if i > 0 && e == out[i-1] {
			continue
		}
		uniq = append(uniq, e)
	}
	return uniq
}

// Warning is a problem that does not stop a deploy (e.g. a plaintext env var that looks like
// a secret). It prints like an error.
type Warning = FieldError

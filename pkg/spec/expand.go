package spec

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// varRef matches $$ (an escaped dollar), ${VAR} and ${VAR:-default}.
var varRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expander replaces ${VAR} and ${VAR:-default} in scalar values. budget is how many bytes
// expansion may still add to the spec: a few references to a big variable must not turn a
// small spec into gigabytes.
type expander struct {
	getenv func(string) (string, bool)
	file   string
	errs   *Errors
	budget int
	over   bool
}

// expand replaces ${VAR} and ${VAR:-default} in every scalar value (never in keys) below n.
// An unset variable without a default is an error, never an empty string: an empty image tag
// or cluster name would deploy something nobody asked for.
func (ex *expander) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = indexPath(path, i)
			}
			ex.expand(c, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			ex.expand(n.Content[i+1], joinPath(path, n.Content[i].Value))
		}
	case yaml.ScalarNode:
		if ex.over || !strings.Contains(n.Value, "$") {
			return
		}
		ex.scalar(n, path)
	}
}

func (ex *expander) scalar(n *yaml.Node, path string) {
	var b strings.Builder
	var missing []string
	last := 0
	for _, m := range varRef.FindAllStringSubmatchIndex(n.Value, -1) {
		b.WriteString(n.Value[last:m[0]])
		last = m[1]
		var rep string
		switch {
		case n.Value[m[0]:m[1]] == "$$":
			rep = "$"
		default:
			name := n.Value[m[2]:m[3]]
			if v, ok := ex.getenv(name); ok && v != "" {
				rep = v
			} else if m[4] >= 0 {
				rep = n.Value[m[6]:m[7]]
			} else {
				missing = append(missing, name)
				rep = n.Value[m[0]:m[1]]
			}
		}
		if grow := len(rep) - (m[1] - m[0]); grow > 0 {
			if ex.budget -= grow; ex.budget < 0 {
				ex.over = true
				*ex.errs = append(*ex.errs, FieldError{
					File: ex.file, Line: n.Line, Column: n.Column, Field: path,
					Message: fmt.Sprintf("expanding ${…} makes the spec larger than %s", sizeName(MaxSpecSize)),
					Fix:     "keep big values out of environment variables the spec expands",
				})
				return
			}
		}
		b.WriteString(rep)
	}
	b.WriteString(n.Value[last:])
	for _, name := range missing {
		*ex.errs = append(*ex.errs, FieldError{
			File: ex.file, Line: n.Line, Column: n.Column, Field: path,
			Message: "environment variable " + name + " is unset or empty",
			Fix:     "export " + name + "=… or give a default: ${" + name + ":-value}",
		})
	}
	if out := b.String(); out != n.Value {
		n.Value = out
		// A plain scalar is re-resolved after expansion, so `replicas: ${N:-3}` is an int.
		if n.Style == 0 {
			n.Tag = ""
		}
	}
}

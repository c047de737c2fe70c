package spec

import (
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// varRef matches $$ (an escaped dollar), ${VAR} and ${VAR:-default}.
var varRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandNode replaces ${VAR} and ${VAR:-default} in every scalar value (never in keys) below n.
// An unset variable without a default is an error, never an empty string: an empty image tag
// or cluster name would deploy something nobody asked for.
func expandNode(n *yaml.Node, path string, getenv func(string) (string, bool), errs *Errors, file string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = indexPath(path, i)
			}
			expandNode(c, p, getenv, errs, file)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandNode(n.Content[i+1], joinPath(path, n.Content[i].Value), getenv, errs, file)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		var missing []string
		out := varRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			if m == "$$" {
				return "$"
			}
			sub := varRef.FindStringSubmatch(m)
			if v, ok := getenv(sub[1]); ok && v != "" {
				return v
			}
			if sub[2] != "" {
				return sub[3]
			}
			missing = append(missing, sub[1])
			return m
		})
		for _, name := range missing {
			*errs = append(*errs, FieldError{
				File: file, Line: n.Line, Column: n.Column, Field: path,
				Message: "environment variable " + name + " is unset or empty",
				Fix:     "export " + name + "=… or give a default: ${" + name + ":-value}",
			})
		}
		if out != n.Value {
			n.Value = out
			// A plain scalar is re-resolved after expansion, so `replicas: ${N:-3}` is an int.
			if n.Style == 0 {
				n.Tag = ""
			}
		}
	}
}

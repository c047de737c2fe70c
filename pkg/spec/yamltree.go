package spec

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Helpers over the YAML node tree. The loader works on nodes, not on decoded values, so that
// every later step (expansion, overlay, strict checks, validation) still knows the line and
// column each value came from.

// mappingValue returns the value node for key in a mapping node, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// removeKey deletes key from a mapping node.
func removeKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// isNull reports whether a node is an explicit or implicit YAML null ("key:" with no value).
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// joinPath appends a field name to a dotted path.
func joinPath(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

// indexPath appends a list index to a path.
func indexPath(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// recordPositions walks a tree and remembers where each field path's value starts.
func recordPositions(n *yaml.Node, path string, into map[string]Pos) {
	if n == nil {
		return
	}
	if path != "" {
		into[path] = Pos{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			child := joinPath(path, k.Value)
			// Point at the key for fields whose value is a block (mapping, list): that is the
			// line a reader looks for.
			recordPositions(n.Content[i+1], child, into)
			if n.Content[i+1].Kind != yaml.ScalarNode {
				into[child] = Pos{k.Line, k.Column}
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			recordPositions(c, indexPath(path, i), into)
		}
	}
}

// lookup finds the position of a field path, falling back to the nearest enclosing field that
// was written (a defaulted field has no line of its own) and finally to the file's start.
func (s Source) lookup(path string) Pos {
	for p := path; p != ""; p = parentPath(p) {
		if pos, ok := s.positions[p]; ok {
			return pos
		}
		// `port: 80` is stored as ports[0]; point at the shorthand.
		if strings.HasPrefix(p, "ports") {
			if pos, ok := s.positions["port"]; ok {
				return pos
			}
		}
	}
	return Pos{1, 1}
}

// parentPath strips the last ".field" or "[i]" from a path.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// Position is where a field path is written, or the nearest enclosing field that is (for
// checks outside this package, such as lint, that point at the spec).
func (s Source) Position(path string) Pos { return s.lookup(path) }

// Has reports whether the spec (or the chosen environment) wrote this field path itself.
func (s Source) Has(path string) bool { _, ok := s.positions[path]; return ok }

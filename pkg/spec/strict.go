package spec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// checkNode walks a YAML node against the Go type it will decode into and reports unknown
// fields (with a did-you-mean hint) and values of the wrong kind, each at its own line. The
// YAML library's own decoder can do neither with positions and field paths.
func checkNode(n *yaml.Node, t reflect.Type, path, file string, errs *Errors) {
	if isNull(n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	add := func(msg, fix string) {
		*errs = append(*errs, FieldError{File: file, Line: n.Line, Column: n.Column, Field: path, Message: msg, Fix: fix})
	}
	// A value still holding ${…} belongs to an environment that is not being loaded; its
	// final kind is unknown until it is expanded.
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			add("expected a mapping of fields, got "+kindName(n), "")
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, FieldError{
					File: file, Line: k.Line, Column: k.Column, Field: joinPath(path, k.Value),
					Message: "unknown field", Fix: didYouMean(k.Value, fields),
				})
				continue
			}
			checkNode(v, ft, joinPath(path, k.Value), file, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			add("expected a mapping, got "+kindName(n), "")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if t.Elem().Kind() == reflect.Interface {
				continue // environments: checked against App by the loader
			}
			checkNode(v, t.Elem(), joinPath(path, k.Value), file, errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			add("expected a list, got "+kindName(n), listFix(n))
			return
		}
		for i, c := range n.Content {
			checkNode(c, t.Elem(), indexPath(path, i), file, errs)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			add("expected a single value, got "+kindName(n), "")
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			add(fmt.Sprintf("expected a whole number, got %s", describe(n)), "")
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			add(fmt.Sprintf("expected true or false, got %s", describe(n)), "")
		}
	}
}

// yamlFields maps a struct's YAML field names to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// didYouMean suggests the closest known field, or lists them all when none is close.
func didYouMean(got string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(got) > 64 { // no field name is that long; spare the edit distance
		return "known fields: " + strings.Join(names, ", ")
	}
	best, bestD := "", 1<<30
	for _, n := range names {
		d := editDistance(strings.ToLower(got), strings.ToLower(n))
		if d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= 2 || (bestD <= len(got)/2 && bestD < len(best)) {
		return "did you mean " + best + "?"
	}
	return "known fields: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return describe(n)
}

func describe(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return kindName(n)
	}
	return fmt.Sprintf("%q", clip(n.Value))
}

func listFix(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("write [%s]", clip(n.Value))
	}
	return ""
}

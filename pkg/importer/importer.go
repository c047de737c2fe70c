// Package importer turns what already runs (an ECS task definition and service, Kubernetes
// manifests, from files or live) into a shipit spec: neutral fields where they reproduce the
// original, target blocks where only one target has the setting, overrides and patches for
// the rest, and a list of what still cannot be carried. Nothing is dropped without a word.
package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/starter"
)

// Result is one imported app.
type Result struct {
	// App holds the spec fields; only what is set is written.
	App *spec.App `json:"spec"`
	// From says what was read, for the header comment ("task definition web:12 and service
	// web of cluster prod").
	From string `json:"from"`
	// Target is where the original runs: "ecs" or "eks".
	Target string `json:"target"`
	// Lost lists what the spec cannot carry, field by field.
	Lost []Loss `json:"lost"`
	// Comments go above top-level fields of the written spec, by field path ("eks.patches"):
	// why a block is there.
	Comments map[string]string `json:"-"`
	// Notes say what the import chose where the original says nothing a spec needs (a
	// network, a task size); they head the file as comments.
	Notes []string `json:"notes,omitempty"`
	// Placeholders are values the import wrote as ${VAR:-default} for a pipeline to set: YAML
	// writes them as they are, and every other $ as $$ (the spec's escape), so that a value
	// such as a shell command's $HOME reads back as written.
	Placeholders []string `json:"-"`
}

// Loss is one setting of the original that the imported spec does not reproduce.
type Loss struct {
	// Field is the original's path, e.g. containerDefinitions[web].linuxParameters.devices
	// or Deployment/web.spec.template.spec.hostAliases.
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (l Loss) String() string { return l.Field + ": " + l.Reason }

// YAML writes the spec as a commented shipit.yaml: a header saying where it came from and
// what was lost, then the fields in the spec's own order, empty ones left out.
func (r *Result) YAML() ([]byte, error) {
	j, err := json.Marshal(r.App)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	prune(root, "")
	blockStyle(root)
	escapeDollars(root, r.Placeholders)
	nameFirst(root, false)
	r.comment(root)
	var head []string
	head = append(head, "yaml-language-server: $schema="+starter.SchemaURL)
	head = append(head, "Imported by `shipit import` from "+r.From+".")
	head = append(head, r.Notes...)
	if len(r.Lost) == 0 {
		head = append(head, "Every setting of the original is carried.")
	} else {
		head = append(head, fmt.Sprintf("Not carried (%d): the spec has no way to say these; they are listed by `shipit import` too.", len(r.Lost)))
		for _, l := range r.Lost {
			head = append(head, "  - "+l.String())
		}
	}
	var b bytes.Buffer
	for _, h := range head {
		b.WriteString("# " + h + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// prune drops what the import left unset: nulls, and blocks that end up empty (rollout: {}
// from a struct with nothing set). A scalar is kept, "" included: the spec's optional string
// fields are omitempty, so an empty string that reaches here is a value (env FOO: "", an
// App Mesh property). Empty blocks that mean something are kept too: scratch: {} (a scratch
// volume), grpc: {} (the server's health), and whatever an override or patch sets.
func prune(n *yaml.Node, key string) bool {
	if keepAsIs[key] {
		return true
	}
	switch n.Kind {
	case yaml.MappingNode:
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if prune(n.Content[i+1], n.Content[i].Value) {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
		return len(kept) > 0 || emptyMeans[key]
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prune(c, "")
		}
		return len(n.Content) > 0
	case yaml.ScalarNode:
		return n.Tag != "!!null"
	}
	return true
}

// nameFirst puts the name of a list item first, where it reads as the item's title (a patch's
// containers are keyed by it; JSON's order put $-directives before it).
func nameFirst(n *yaml.Node, item bool) {
	if n.Kind == yaml.MappingNode && item && !hasKey(n, "kind") {
		for i := 2; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" {
				k, v := n.Content[i], n.Content[i+1]
				n.Content = append(n.Content[:i], n.Content[i+2:]...)
				n.Content = append([]*yaml.Node{k, v}, n.Content...)
				break
			}
		}
	}
	for _, c := range n.Content {
		nameFirst(c, n.Kind == yaml.SequenceNode)
	}
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// comment puts Comments above their top-level fields (a dotted path names a field of a
// top-level block).
func (r *Result) comment(root *yaml.Node) {
	for path, text := range r.Comments {
		n := root
		var key *yaml.Node
		for _, part := range strings.Split(path, ".") {
			key = nil
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					key, n = n.Content[i], n.Content[i+1]
					break
				}
			}
			if key == nil {
				break
			}
		}
		if key != nil {
			key.HeadComment = text
		}
	}
}

// keepAsIs are keys whose values are data for the target's own API, written as they are.
var keepAsIs = map[string]bool{"value": true, "patch": true, "jsonPatch": true}

// emptyMeans are blocks whose presence alone says something.
var emptyMeans = map[string]bool{"scratch": true, "grpc": true}

// escapeDollars writes every $ of a string value as $$, which the loader reads back as one $
// (only values are expanded, never keys), but for the import's own placeholders.
func escapeDollars(n *yaml.Node, placeholders []string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeDollars(n.Content[i], placeholders)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			escapeDollars(c, placeholders)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!str" && strings.Contains(n.Value, "$") && !slices.Contains(placeholders, n.Value) {
			n.Value = strings.ReplaceAll(n.Value, "$", "$$")
		}
	}
}

// blockStyle undoes the flow style the JSON round trip left, and quotes only what needs it.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" && !needsQuotes(n.Value) {
			n.Style = 0
		}
		return
	}
	if n.Kind == yaml.SequenceNode && allShortScalars(n) {
		n.Style = yaml.FlowStyle // command: [sleep, "5"] reads as argv
	} else {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func allShortScalars(n *yaml.Node) bool {
	total := 0
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
		total += len(c.Value) + 2
	}
	return total < 60
}

// needsQuotes reports whether a string would read back as something else unquoted, by YAML
// 1.2 or by YAML 1.1 (whose y/n/on/off are booleans to older parsers and editors).
func needsQuotes(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return true
	}
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	str, ok := v.(string)
	return !ok || str != s
}

// Package importer turns what already runs (an ECS task definition and service, Kubernetes
// manifests, from files or live) into a shipit spec: neutral fields where they reproduce the
// original, target blocks where only one target has the setting, overrides and patches for
// the rest, and a list of what still cannot be carried. Nothing is dropped without a word.
package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	prune(root)
	blockStyle(root)
	var head []string
	head = append(head, "yaml-language-server: $schema="+starter.SchemaURL)
	head = append(head, "Imported by `shipit import` from "+r.From+".")
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

// prune drops keys whose value is empty (null, "", {}, [], false-free zero structs) so the
// file holds only what the import set. A false or 0 that the spec marshals is kept: it may be
// a choice (autoscale min 0, readOnly false) that the field's omitempty already decides.
func prune(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if prune(n.Content[i+1]) {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
		return len(kept) > 0
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prune(c)
		}
		return len(n.Content) > 0
	case yaml.ScalarNode:
		return !(n.Tag == "!!null" || (n.Tag == "!!str" && n.Value == ""))
	}
	return true
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

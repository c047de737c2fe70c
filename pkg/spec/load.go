package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Options control how a spec is loaded.
type Options struct {
	// Environment selects environments.<name> to merge over the base; empty for none.
	Environment string
	// Getenv looks up ${VAR}; nil means the process environment.
	Getenv func(string) (string, bool)
	// Images overrides container images by container name (the app's name or a sidecar's),
	// as `--image NAME=REF` does for CI. Applied after expansion and overlay.
	Images map[string]string
}

// Load reads, expands, merges, decodes and defaults a spec file, and checks everything that
// does not depend on the target. Every problem comes back as Errors (file:line:col: field:
// message); Load never panics on any input.
func Load(file string, opts Options) (*App, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return Parse(file, data, opts)
}

// Parse is Load for a spec already in memory; file is used only in messages.
func Parse(file string, data []byte, opts Options) (*App, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	root, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}

	var errs Errors
	// The environments block is taken out before expansion: only the chosen environment is
	// expanded, so a variable used by another environment need not be set.
	envs := mappingValue(root, "environments")
	removeKey(root, "environments")
	expandNode(root, "", opts.Getenv, &errs, file)

	appType := reflect.TypeOf(App{})
	checkNode(root, appType, "", file, &errs)
	known := map[string]*yaml.Node{}
	if envs != nil && !isNull(envs) {
		if envs.Kind != yaml.MappingNode {
			errs = append(errs, FieldError{File: file, Line: envs.Line, Column: envs.Column, Field: "environments",
				Message: "expected a mapping of environment name to overrides"})
		} else {
			for i := 0; i+1 < len(envs.Content); i += 2 {
				name, body := envs.Content[i].Value, envs.Content[i+1]
				known[name] = body
				// Every environment is checked for unknown fields, not only the chosen one:
				// a typo in production must not wait for the production deploy.
				checkNode(body, appType, "environments."+name, file, &errs)
				for _, k := range []string{"version", "name", "environments"} {
					if v := mappingValue(body, k); v != nil {
						errs = append(errs, FieldError{File: file, Line: v.Line, Column: v.Column,
							Field: "environments." + name + "." + k, Message: k + " cannot be changed per environment"})
					}
				}
			}
		}
	}
	if opts.Environment != "" {
		body, ok := known[opts.Environment]
		if !ok {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			fix := "this spec defines no environments"
			if len(names) > 0 {
				fix = "known environments: " + strings.Join(names, ", ")
			}
			return nil, Errors{{File: file, Field: "environments", Message: fmt.Sprintf("unknown environment %q", opts.Environment), Fix: fix}}
		}
		expandNode(body, "environments."+opts.Environment, opts.Getenv, &errs, file)
		if !isNull(body) && body.Kind == yaml.MappingNode {
			merge(root, body)
		}
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}

	app := &App{}
	if err := root.Decode(app); err != nil {
		// checkNode already rejects what the decoder would; this is the backstop.
		return nil, Errors{{File: file, Message: cleanYAMLError(err)}}
	}
	app.Source = Source{File: file, Environment: opts.Environment, positions: map[string]Pos{}}
	for name := range known {
		app.Source.Environments = append(app.Source.Environments, name)
	}
	sort.Strings(app.Source.Environments)
	recordPositions(root, "", app.Source.positions)
	for name, ref := range opts.Images {
		if !app.setImage(name, ref) {
			return nil, Errors{{File: file, Field: "image", Message: fmt.Sprintf("--image %s=…: no container named %q", name, name),
				Fix: "use the app's name or a sidecar's: " + strings.Join(app.containerNames(), ", ")}}
		}
	}
	applyDefaults(app)
	if errs := validateCommon(app); len(errs) > 0 {
		return nil, errs.sorted()
	}
	return app, nil
}

// parseDocument parses exactly one YAML document into its top-level mapping node.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: file, Line: 1, Column: 1, Message: "the spec is empty", Fix: "start with: version: 1, name: …, image: …"}}
		}
		line, msg := yamlErrorLine(err)
		return nil, Errors{{File: file, Line: line, Column: 1, Message: "not valid YAML: " + msg}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Line: extra.Line, Column: extra.Column, Message: "more than one YAML document", Fix: "one spec per file: remove the second ---"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{File: file, Line: root.Line, Column: root.Column, Message: "expected a mapping of fields at the top level, got " + kindName(root)}}
	}
	if err := rejectAliases(root, file); err != nil {
		return nil, err
	}
	return root, nil
}

// rejectAliases refuses YAML anchors/aliases and merge keys: they hide where a value came
// from (no useful line for errors) and allow exponential "billion laughs" documents.
func rejectAliases(n *yaml.Node, file string) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == "!!merge" {
		return Errors{{File: file, Line: n.Line, Column: n.Column, Message: "YAML anchors and aliases are not supported", Fix: "write the values out, or use environments for variations"}}
	}
	for _, c := range n.Content {
		if err := rejectAliases(c, file); err != nil {
			return err
		}
	}
	return nil
}

var lineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlErrorLine(err error) (int, string) {
	m := lineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 1, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	n, _ := strconv.Atoi(m[1])
	return n, m[2]
}

func cleanYAMLError(err error) string {
	return strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", "; "), "yaml: ")
}

// merge overlays an environment onto the base: mappings merge by key, everything else (scalars
// and lists) replaces. The overlay's nodes keep their own lines, so an error in an overridden
// value points into the environments block.
func merge(base, over *yaml.Node) {
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		cur := mappingValue(base, k.Value)
		switch {
		case cur != nil && cur.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			merge(cur, v)
		case cur != nil:
			*cur = *v
		default:
			base.Content = append(base.Content, k, v)
		}
	}
}

func (a *App) setImage(container, ref string) bool {
	if container == a.MainContainer() || container == a.Name {
		a.Image = ref
		return true
	}
	for i := range a.Sidecars {
		if a.Sidecars[i].Name == container {
			a.Sidecars[i].Image = ref
			return true
		}
	}
	return false
}

func (a *App) containerNames() []string {
	names := []string{a.MainContainer()}
	for _, s := range a.Sidecars {
		names = append(names, s.Name)
	}
	return names
}

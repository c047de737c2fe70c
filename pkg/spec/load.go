// This file reads and loads a spec: the size cap, YAML parsing once into a Document, strict
// field checks, ${VAR} expansion of only the chosen target's block, environments merged over
// the base, image overrides and defaults. It stays one file because these steps share the YAML
// node tree and must run in this order.

package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Options control how a spec is loaded.
type Options struct {
	// Environment selects environments.<name> to merge over the base; empty for none.
	Environment string
	// Getenv looks up ${VAR}; nil means the process environment.
	Getenv func(string) (string, bool)
	// Target, when set ("ecs" or "eks"), loads the spec for that target only: the other
	// target's block is neither expanded nor checked, so a ${VAR} only ECS needs need not be
	// set for an EKS deploy (the hash of a target never includes the other's block anyway).
	Target string
	// Images overrides container images by container name (the app's name or a sidecar's),
	// as `--image NAME=REF` does for CI. Applied after expansion and overlay.
	Images map[string]string
}

// MaxSpecSize is the largest spec shipit reads (1 MiB), and the most that ${VAR} expansion may
// make of one: a spec is a page of YAML, and a bigger input (a wrong -f, /dev/zero) must fail
// fast instead of eating memory.
const MaxSpecSize = 1 << 20

// Read reads a spec file once, at most MaxSpecSize bytes. "-" is stdin; pipes, FIFOs and
// /dev/stdin work like files. A missing file or a directory is a usage problem (exit 2) with a
// hint.
func Read(file string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if file == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		r = stdin
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, readError(file, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, Errors{{File: file, Message: "is a directory, not a spec file", Fix: "pass the spec file with -f, e.g. -f " + filepath.Join(file, "shipit.yaml")}}
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxSpecSize+1))
	if err != nil {
		return nil, readError(file, err)
	}
	if len(data) > MaxSpecSize {
		return nil, Errors{{File: file, Message: fmt.Sprintf("the spec is larger than %s", sizeName(MaxSpecSize)),
			Fix: "a shipit spec is a page of YAML: is -f pointing at the right file?"}}
	}
	return data, nil
}

func readError(file string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Errors{{File: file, Message: "no such file", Fix: "pass the spec with -f FILE, or create one with shipit init"}}
	case errors.Is(err, syscall.EISDIR):
		return Errors{{File: file, Message: "is a directory, not a spec file", Fix: "pass the spec file with -f"}}
	}
	return fmt.Errorf("reading spec: %w", err)
}

func sizeName(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Load reads, expands, merges, decodes and defaults a spec file, and checks everything that
// does not depend on the target. Every problem comes back as Errors (file:line:col: field:
// message); Load never panics on any input.
func Load(file string, opts Options) (*App, error) {
	data, err := Read(file, nil)
	if err != nil {
		return nil, err
	}
	return Parse(file, data, opts)
}

// Parse is Load for a spec already in memory; file is used only in messages.
func Parse(file string, data []byte, opts Options) (*App, error) {
	doc, err := ParseDocument(file, data)
	if err != nil {
		return nil, err
	}
	return doc.Load(opts)
}

// Document is a spec parsed once: its base, its environments, and the problems of the
// environments' bodies. Load makes one App of it per environment without parsing again.
type Document struct {
	file string
	// root is the base spec without its environments block, as written (not expanded).
	root *yaml.Node
	// envs are the environments' bodies by name, as written; names is them in file order.
	envs  map[string]*yaml.Node
	names []string
	// errs are the problems of the environments block, found once.
	errs Errors
}

// ParseDocument parses a spec's YAML once and checks its environments' bodies for unknown
// fields. Any YAML problem comes back as Errors.
func ParseDocument(file string, data []byte) (*Document, error) {
	if len(data) > MaxSpecSize {
		return nil, Errors{{File: file, Message: fmt.Sprintf("the spec is larger than %s", sizeName(MaxSpecSize))}}
	}
	if err := checkUTF8(file, data); err != nil {
		return nil, err
	}
	root, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}
	d := &Document{file: file, envs: map[string]*yaml.Node{}}
	// The environments block is taken out before expansion: only the chosen environment is
	// expanded, so a variable used by another environment need not be set.
	envs := mappingValue(root, "environments")
	removeKey(root, "environments")
	d.root = root
	appType := reflect.TypeOf(App{})
	if envs != nil && !isNull(envs) {
		if envs.Kind != yaml.MappingNode {
			d.errs = append(d.errs, FieldError{File: file, Line: envs.Line, Column: envs.Column, Field: "environments",
				Message: "expected a mapping of environment name to overrides"})
		} else {
			for i := 0; i+1 < len(envs.Content); i += 2 {
				name, body := envs.Content[i].Value, envs.Content[i+1]
				d.envs[name] = body
				d.names = append(d.names, name)
				// Every environment is checked for unknown fields, not only the chosen one:
				// a typo in production must not wait for the production deploy.
				checkNode(body, appType, "environments."+name, file, &d.errs)
				for _, k := range []string{"version", "name", "environments"} {
					if v := mappingValue(body, k); v != nil {
						d.errs = append(d.errs, FieldError{File: file, Line: v.Line, Column: v.Column,
							Field: "environments." + name + "." + k, Message: k + " cannot be changed per environment"})
					}
				}
			}
		}
	}
	return d, nil
}

// Environments are the names the spec's environments block defines, sorted.
func (d *Document) Environments() []string {
	names := append([]string(nil), d.names...)
	sort.Strings(names)
	return names
}

// Load makes the App for one environment (opts.Environment; empty for the base). The
// document itself is not changed, so it can be loaded for every environment in turn.
func (d *Document) Load(opts Options) (*App, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	file := d.file
	root := copyNode(d.root)
	blanked := blankOtherTarget(root, opts.Target)
	errs := append(Errors(nil), d.errs...)
	ex := &expander{getenv: opts.Getenv, file: file, errs: &errs, budget: MaxSpecSize}
	ex.expand(root, "")

	appType := reflect.TypeOf(App{})
	checkNode(root, appType, "", file, &errs)
	if opts.Environment != "" {
		body, ok := d.envs[opts.Environment]
		if !ok {
			names := d.Environments()
			fix := "this spec defines no environments"
			if len(names) > 0 {
				fix = "known environments: " + strings.Join(names, ", ")
			}
			return nil, Errors{{File: file, Field: "environments", Message: fmt.Sprintf("unknown environment %q", clip(opts.Environment)), Fix: clip(fix)}}
		}
		body = copyNode(body)
		maps.Copy(blanked, blankOtherTarget(body, opts.Target))
		ex.expand(body, "environments."+opts.Environment)
		if !isNull(body) && body.Kind == yaml.MappingNode {
			merge(root, body)
		}
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}

	app := &App{}
	if err := decodeApp(root, app); err != nil {
		// checkNode already rejects what the decoder would; this is the backstop.
		return nil, Errors{{File: file, Message: cleanYAMLError(err)}}
	}
	app.Source = Source{File: file, Environment: opts.Environment, positions: map[string]Pos{}}
	app.Source.Environments = d.Environments()
	recordPositions(root, "", app.Source.positions)
	for k, p := range blanked {
		if !app.Source.Has(k) {
			app.Source.positions[k] = p // the other target's fields are known, not read
		}
	}
	for name, ref := range opts.Images {
		if !app.setImage(name, ref) {
			return nil, Errors{{File: file, Field: "image", Message: fmt.Sprintf("--image %s=…: no container named %q", clip(name), clip(name)),
				Fix: "use the app's name or a sidecar's: " + strings.Join(app.containerNames(), ", ")}}
		}
	}
	applyDefaults(app)
	if errs := validateCommon(app); len(errs) > 0 {
		return nil, errs.sorted()
	}
	return app, nil
}

// blankOtherTarget empties the block of the target not being loaded (eks: when loading for
// ecs, and the reverse). The key stays, as an empty mapping, so the spec still says which
// targets it configures; the block's own keys are returned with their positions (eks.env),
// so that validation can say what the other target's block sets that this one goes without.
func blankOtherTarget(m *yaml.Node, target string) map[string]Pos {
	other := map[string]string{TargetECS: TargetEKS, TargetEKS: TargetECS}[target]
	keys := map[string]Pos{}
	if other == "" || m == nil || m.Kind != yaml.MappingNode {
		return keys
	}
	if v := mappingValue(m, other); v != nil {
		if v.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(v.Content); i += 2 {
				k := v.Content[i]
				keys[other+"."+k.Value] = Pos{k.Line, k.Column}
			}
		}
		*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	}
	// Sidecars and init containers have their own ecs: block.
	if other != TargetECS {
		return keys
	}
	for _, list := range []string{"sidecars", "init"} {
		if l := mappingValue(m, list); l != nil && l.Kind == yaml.SequenceNode {
			for _, item := range l.Content {
				if item.Kind != yaml.MappingNode {
					continue
				}
				if v := mappingValue(item, TargetECS); v != nil {
					*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
				}
			}
		}
	}
	return keys
}

// decodeChunk is how many entries of a string map are decoded at a time: the YAML decoder
// checks a mapping's keys for duplicates pairwise, so a 100,000-entry env block decoded in
// one piece would take minutes. Keys were already checked for duplicates, once (see
// rejectAliases), so decoding in chunks keeps the decoder's conversions and stays linear.
const decodeChunk = 128

// decodeApp decodes the final node tree into app, the big string maps (env, secrets, labels,
// sidecars' env) in chunks.
func decodeApp(root *yaml.Node, app *App) error {
	type detached struct {
		node    *yaml.Node
		content []*yaml.Node
		into    func() *map[string]string
	}
	var big []detached
	detach := func(m *yaml.Node, into func() *map[string]string) {
		if m != nil && m.Kind == yaml.MappingNode && len(m.Content) > 2*decodeChunk {
			big = append(big, detached{m, m.Content, into})
			m.Content = nil
		}
	}
	detach(mappingValue(root, "env"), func() *map[string]string { return &app.Env })
	detach(mappingValue(root, "secrets"), func() *map[string]string { return &app.Secrets })
	detach(mappingValue(root, "labels"), func() *map[string]string { return &app.Labels })
	if sc := mappingValue(root, "sidecars"); sc != nil && sc.Kind == yaml.SequenceNode {
		for i, c := range sc.Content {
			detach(mappingValue(c, "env"), func() *map[string]string { return &app.Sidecars[i].Env })
		}
	}
	defer func() {
		for _, d := range big {
			d.node.Content = d.content
		}
	}()
	if err := root.Decode(app); err != nil {
		return err
	}
	for _, d := range big {
		m := d.into()
		if *m == nil {
			*m = make(map[string]string, len(d.content)/2)
		}
		for i := 0; i < len(d.content); i += 2 * decodeChunk {
			part := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: d.content[i:min(i+2*decodeChunk, len(d.content))]}
			if err := part.Decode(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyNode copies a node tree, so that expansion and overlays never change a Document.
func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = copyNode(k)
		}
	}
	return &c
}

// checkUTF8 reports the first byte that is not UTF-8 at its line and column.
func checkUTF8(file string, data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return Errors{{File: file, Line: line, Column: col, Message: fmt.Sprintf("byte 0x%02x is not UTF-8", data[i]), Fix: "save the file as UTF-8"}}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
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
// from (no useful line for errors) and allow exponential "billion laughs" documents. It also
// refuses a key written twice in one mapping, at the second one.
func rejectAliases(n *yaml.Node, file string) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == "!!merge" {
		return Errors{{File: file, Line: n.Line, Column: n.Column, Message: "YAML anchors and aliases are not supported", Fix: "write the values out, or use environments for variations"}}
	}
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if first, dup := seen[k.Value]; dup {
				return Errors{{File: file, Line: k.Line, Column: k.Column, Message: fmt.Sprintf("key %q is written twice in this mapping (first on line %d)", clip(k.Value), first),
					Fix: "keep one of them"}}
			}
			seen[k.Value] = k.Line
		}
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
// value points into the environments block. Linear in the number of keys.
func merge(base, over *yaml.Node) {
	index := make(map[string]*yaml.Node, len(base.Content)/2)
	for i := 0; i+1 < len(base.Content); i += 2 {
		if _, ok := index[base.Content[i].Value]; !ok {
			index[base.Content[i].Value] = base.Content[i+1]
		}
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		cur := index[k.Value]
		switch {
		case cur != nil && cur.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			merge(cur, v)
		case cur != nil:
			*cur = *v
		default:
			base.Content = append(base.Content, k, v)
			index[k.Value] = v
		}
	}
}

func (a *App) setImage(container, ref string) bool {
	if container == a.MainContainer() || container == a.Name {
		a.Image = ref
		return true
	}
	for _, list := range [][]Sidecar{a.Sidecars, a.Init} {
		for i := range list {
			if list[i].Name == container {
				list[i].Image = ref
				return true
			}
		}
	}
	return false
}

func (a *App) containerNames() []string {
	names := []string{a.MainContainer()}
	for _, s := range append(append([]Sidecar(nil), a.Sidecars...), a.Init...) {
		names = append(names, s.Name)
	}
	return names
}

package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// TestSchemaMatchesTypes keeps shipit.schema.json in step with the Go types: every field of
// every spec struct is a property of the matching schema object, and nothing else is.
func TestSchemaMatchesTypes(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(SchemaJSON, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	defs := schema["$defs"].(map[string]any)
	var walk func(typ reflect.Type, node map[string]any, path string)
	resolve := func(n map[string]any) map[string]any {
		for {
			ref, ok := n["$ref"].(string)
			if !ok {
				return n
			}
			n = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
	}
	seen := map[reflect.Type]bool{} // health.liveness is a Health: check each type once
	walk = func(typ reflect.Type, node map[string]any, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if items, ok := node["items"].(map[string]any); ok {
				node = resolve(items)
			}
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		props, ok := node["properties"].(map[string]any)
		if !ok {
			t.Errorf("%s: schema has no properties for %s", path, typ.Name())
			return
		}
		fields := yamlFields(typ)
		var missing, extra []string
		for name, ft := range fields {
			p, ok := props[name].(map[string]any)
			if !ok {
				missing = append(missing, name)
				continue
			}
			walk(ft, resolve(p), path+"."+name)
		}
		for name := range props {
			if _, ok := fields[name]; !ok {
				extra = append(extra, name)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s (%s): schema lacks %v, schema has unknown %v", path, typ.Name(), missing, extra)
		}
	}
	walk(reflect.TypeOf(App{}), resolve(schema), "$")
}

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("shipit.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("shipit.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func schemaCheck(t *testing.T, s *jsonschema.Schema, src []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestExamplesMatchSchema validates every example against the schema, and every example
// loads and validates for the targets it configures in each of its environments.
func TestExamplesMatchSchema(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("../../examples/*/shipit.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d examples, want at least 4", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemaCheck(t, s, src); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		app, err := Load(f, Options{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, env := range append([]string{""}, app.Source.Environments...) {
			a, err := Load(f, Options{Environment: env})
			if err != nil {
				t.Errorf("%s --env %s: %v", f, env, err)
				continue
			}
			for _, tgt := range a.Targets() { // both, unless the example has one target's block only
				if errs, _ := a.Validate(tgt); len(errs) > 0 {
					t.Errorf("%s --env %s for %s: %v", f, env, tgt, errs)
				}
			}
		}
	}
}

// TestSchemaRejectsWhatLoadRejects: the schema is a real check, not a formality.
func TestSchemaRejectsWhatLoadRejects(t *testing.T) {
	s := compileSchema(t)
	for _, src := range []string{
		base + "replcas: 3\n",
		base + "environments: {staging: {replcas: 1}}\n",
		base + "environments: {staging: {name: x}}\n",
		base + "ports: [{prot: 1}]\n",
		strings.Replace(base, "version: 1", "version: 2", 1),
		strings.Replace(base, "name: web\n", "", 1),
		base + "expose: sideways\n",
		base + "sidecars: [{name: a}]\n",
		base + "volumes: [{name: a, scratch: {size: 1Gi}}]\n",
	} {
		if err := schemaCheck(t, s, []byte(src)); err == nil {
			t.Errorf("schema accepted:\n%s", src)
		}
	}
}

package realworld

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/importer"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// importAndRender imports ECS documents as `shipit import` does, writes the spec to a file and
// renders it as `shipit render --target ecs` does.
func importAndRender(t *testing.T, docs []target.Document) (*importer.Result, map[string]any) {
	t.Helper()
	res, err := importer.FromDocuments(docs)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(file, y, 0o644); err != nil {
		t.Fatal(err)
	}
	rendered, err := render(file, spec.TargetECS)
	if err != nil {
		t.Fatalf("render of the imported spec: %v\n%s", err, y)
	}
	return res, rendered
}

// selector turns an import's [key=value] list selector into the comparison's [value].
var selector = regexp.MustCompile(`\[[A-Za-z]+=([^\]]*)\]`)

// listedLost is the import's lost entry that covers a path of the comparison, "" when none.
func listedLost(path string, lost []importer.Loss) string {
	for _, l := range lost {
		p := selector.ReplaceAllString(l.Field, "[$1]")
		if under(path, p) || strings.HasPrefix(path, "taskDefinition.tags") && p == "tags" {
			return l.Field
		}
	}
	return ""
}

// TestImportECSCorpus imports every ECS app of the corpus from its original files (with
// expect.yaml's replace: applied, as a user renders ecspresso's templates first), renders the
// imported spec and compares it field by field with the original, as TestRealWorld does. Every
// field the render does not give back must be one the import listed as lost.
//
//	go test ./pkg/realworld/ -run TestImportECSCorpus -v    # prints the summary
func TestImportECSCorpus(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*", "expect.yaml"))
	var apps, zero, onlyListed, fields, preserved, listed int
	var lines []string
	for _, ef := range dirs {
		dir := filepath.Dir(ef)
		r, err := loadExpect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if r.expect.Target != spec.TargetECS {
			continue
		}
		apps++
		t.Run(r.name, func(t *testing.T) {
			var docs []target.Document
			for _, f := range r.expect.Files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				for _, from := range slices.Sorted(maps.Keys(r.expect.Replace)) {
					s = strings.ReplaceAll(s, from, r.expect.Replace[from])
				}
				docs = append(docs, target.Document{Name: f, Data: []byte(s)})
			}
			res, rendered := importAndRender(t, docs)
			if err := r.compare(dir, rendered); err != nil {
				t.Fatal(err)
			}
			fields += len(r.orig)
			preserved += len(r.orig) - len(r.lost)
			var unlisted []string
			for _, p := range slices.Sorted(maps.Keys(r.lost)) {
				if listedLost(p, res.Lost) == "" {
					unlisted = append(unlisted, p)
					t.Errorf("%s is not given back (%s) and the import does not list it as lost", p, r.lost[p])
				} else {
					listed++
				}
			}
			switch {
			case len(r.lost) == 0:
				zero++
			case len(unlisted) == 0:
				onlyListed++
			}
			lines = append(lines, fmt.Sprintf("  %-24s %3d fields, %d not given back (%d listed), import lists %d lost", r.name, len(r.orig), len(r.lost), len(r.lost)-len(unlisted), len(res.Lost)))
		})
	}
	if apps < 16 {
		t.Errorf("%d ECS apps in the corpus, want 16", apps)
	}
	if fields == 0 {
		return
	}
	t.Logf("\nimport → render → compare over %d ECS apps:\n%s\nfields given back: %d of %d (%.1f%%); not given back but listed as lost: %d; unlisted: %d\napps with zero differences: %d of %d; apps whose differences are all listed as lost: %d",
		apps, strings.Join(lines, "\n"), preserved, fields, 100*float64(preserved)/float64(fields), listed, fields-preserved-listed, zero, apps, onlyListed)
	// The goal: every field given back or listed, and no difference at all for 90 % of the
	// corpus, the apps that cannot run on Fargate (listed) counting as such.
	if preserved+listed != fields {
		t.Errorf("%d fields neither given back nor listed as lost", fields-preserved-listed)
	}
	if 10*(zero+onlyListed) < 9*apps {
		t.Errorf("%d apps with zero differences (or listed ones only) of %d: want at least 90%%", zero+onlyListed, apps)
	}
}

// TestImportECSExamples renders every example for ECS (its golden files, which TestGolden keeps
// equal to the render), imports the render, renders the imported spec and compares the two
// renders field by field, both ways: the same task definition and service, but for the spec
// hash (the specs differ in form).
func TestImportECSExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*/golden/*/ecs")
	if len(dirs) < 5 {
		t.Fatalf("%d ECS golden renders, want the examples'", len(dirs))
	}
	for _, dir := range dirs {
		name := strings.TrimPrefix(strings.TrimSuffix(dir, "/ecs"), "../../examples/")
		t.Run(name, func(t *testing.T) {
			var docs []target.Document
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, target.Document{Name: filepath.Base(f), Data: b})
			}
			res, rendered := importAndRender(t, docs)
			if len(res.Lost) > 0 {
				t.Errorf("a shipit render loses %v on import", res.Lost)
			}
			want, got := map[string]string{}, map[string]string{}
			f := &flattener{target: spec.TargetECS}
			for _, fl := range files {
				var v any
				b, _ := os.ReadFile(fl)
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				f.flatten(v, strings.TrimSuffix(filepath.Base(fl), ".json"), want, false)
				f.flatten(rendered[filepath.Base(fl)], strings.TrimSuffix(filepath.Base(fl), ".json"), got, false)
			}
			for _, k := range slices.Sorted(maps.Keys(rendered)) {
				if !slices.Contains(files, filepath.Join(dir, k)) {
					t.Errorf("the imported spec renders %s, which the original has not", k)
				}
			}
			for _, p := range slices.Sorted(maps.Keys(want)) {
				if strings.Contains(p, spec.HashAnnotation) {
					continue
				}
				if got[p] != want[p] {
					t.Errorf("%s: original %q, render of the import %q", p, want[p], got[p])
				}
			}
			for _, p := range slices.Sorted(maps.Keys(got)) {
				if _, ok := want[p]; !ok {
					t.Errorf("%s: the render of the import adds %q", p, got[p])
				}
			}
		})
	}
}

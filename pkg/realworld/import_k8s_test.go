package realworld

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmd/factory"
	"github.com/shipit-dev/shipit/pkg/importer"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// `shipit import` from Kubernetes, round trip: the originals are imported, the imported spec is
// rendered, and the render is compared with the originals by the comparison above, field by
// field. Every field must come back, or be listed by the import as lost.

// roundTrip is one app's import: how many of the original's fields the render gives back.
type roundTrip struct {
	name             string
	fields, diffs    int
	unlisted, listed []string
	lost             []importer.Loss
}

// importRoundTrip imports the documents, renders the imported spec for EKS and compares the
// render with the originals.
func importRoundTrip(t *testing.T, name string, docs []target.Document, originals []map[string]any) *roundTrip {
	t.Helper()
	res, err := importer.FromDocuments(docs)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	app, err := spec.Parse(name+"/imported.yaml", y, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("the imported spec does not load: %v\n%s", err, y)
	}
	rendered, err := renderApp(app, name+"/imported.yaml", spec.TargetEKS)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	r := &appResult{name: name, expect: expect{Target: spec.TargetEKS}}
	compareRendered(r, originals_(originals), rendered)
	rt := &roundTrip{name: name, fields: len(r.orig), diffs: len(r.lost), lost: res.Lost}
	for _, p := range slices.Sorted(maps.Keys(r.lost)) {
		if listedBy(p, res.Lost) {
			rt.listed = append(rt.listed, p)
		} else {
			rt.unlisted = append(rt.unlisted, p+" ("+r.lost[p]+")")
		}
	}
	if testing.Verbose() && os.Getenv("SHIPIT_IMPORT_SHOW") != "" {
		t.Logf("imported spec:\n%s", y)
	}
	return rt
}

func originals_(docs []map[string]any) originals { return originals{k8s: docs} }

// eksManifest is `shipit render --target eks`'s output for the app.
func eksManifest(app *spec.App) ([]byte, error) {
	t, err := factory.Targets().Lookup(spec.TargetEKS)
	if err != nil {
		return nil, err
	}
	out, err := t.Render(app, target.RenderOptions{DefaultRegion: "us-east-1"})
	if err != nil {
		return nil, err
	}
	return out.Files[0].Data, nil
}

var listKeys = regexp.MustCompile(`\[[^\]]*\]`)

// listedBy reports whether an import loss names the comparison's path: the same object
// (Kind, or Kind[name] when the original has several), and a field path that is the path or
// lies above it (list keys aside: the comparison keys lists by name, the import by index).
func listedBy(path string, lost []importer.Loss) bool {
	root, rest, _ := strings.Cut(path, ".")
	kind, name, _ := strings.Cut(strings.TrimSuffix(root, "]"), "[")
	for _, l := range lost {
		ref, field, _ := strings.Cut(l.Field, ".")
		lk, ln, _ := strings.Cut(ref, "/")
		if lk != kind || (name != "" && ln != name) {
			continue
		}
		if field == "" || strings.HasPrefix(listKeys.ReplaceAllString(rest, "")+".", listKeys.ReplaceAllString(field, "")+".") {
			return true
		}
	}
	return false
}

// summariseImports logs the share of fields given back and the apps without a difference,
// and checks the targets: every field given back or listed as lost, and at least 90 % of the
// apps without any difference.
func summariseImports(t *testing.T, what string, rts []*roundTrip) {
	t.Helper()
	fields, diffs, zero := 0, 0, 0
	var b strings.Builder
	for _, rt := range rts {
		fields += rt.fields
		diffs += rt.diffs
		if rt.diffs == 0 {
			zero++
		}
		fmt.Fprintf(&b, "  %-26s %4d fields, %3d not given back (%d listed as lost), %d lost entries\n", rt.name, rt.fields, rt.diffs, len(rt.listed), len(rt.lost))
		for _, l := range rt.lost {
			fmt.Fprintf(&b, "      lost: %s\n", l)
		}
		for _, u := range rt.unlisted {
			t.Errorf("%s: %s is not given back and the import does not list it as lost", rt.name, u)
		}
	}
	if len(rts) == 0 {
		t.Fatal("no apps")
	}
	t.Logf("\n%s: %d apps; fields given back: %d of %d (%.1f%%); apps with no difference: %d of %d (%.0f%%)\n%s",
		what, len(rts), fields-diffs, fields, 100*float64(fields-diffs)/float64(fields), zero, len(rts), 100*float64(zero)/float64(len(rts)), b.String())
	if zero*10 < len(rts)*9 {
		t.Errorf("%s: %d of %d apps round-trip without a difference, want at least 90%%", what, zero, len(rts))
	}
}

// TestImportKubernetesCorpus imports every Kubernetes app of the corpus from its original
// files and compares the render of the import with them.
func TestImportKubernetesCorpus(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*", "expect.yaml"))
	var rts []*roundTrip
	for _, ef := range dirs {
		dir := filepath.Dir(ef)
		r, err := loadExpect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if r.expect.Target != spec.TargetEKS {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			var docs []target.Document
			for _, f := range r.expect.Files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, target.Document{Name: f, Data: b})
			}
			orig, err := readManifests(dir, r.expect.Files)
			if err != nil {
				t.Fatal(err)
			}
			rts = append(rts, importRoundTrip(t, r.name, docs, orig))
		})
	}
	if len(rts) < 15 {
		t.Errorf("%d Kubernetes apps in the corpus, want at least 15", len(rts))
	}
	summariseImports(t, "Kubernetes corpus", rts)
}

// TestImportKubernetesExamples renders every example for EKS (each environment), imports the
// render and compares the render of the import with it.
func TestImportKubernetesExamples(t *testing.T) {
	examples, _ := filepath.Glob("../../examples/*/shipit.yaml")
	var rts []*roundTrip
	for _, ex := range examples {
		base, err := spec.Load(ex, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(base.Targets(), spec.TargetEKS) {
			continue
		}
		for _, env := range append([]string{""}, base.Source.Environments...) {
			name := filepath.Base(filepath.Dir(ex))
			if env != "" {
				name += "/" + env
			}
			t.Run(name, func(t *testing.T) {
				app, err := spec.Load(ex, spec.Options{Environment: env, Getenv: func(string) (string, bool) { return "", false }})
				if err != nil {
					t.Fatal(err)
				}
				rendered, err := renderApp(app, ex, spec.TargetEKS)
				if err != nil {
					t.Fatal(err)
				}
				out, err := eksManifest(app)
				if err != nil {
					t.Fatal(err)
				}
				docs := []target.Document{{Name: "kubernetes.yaml", Data: out}}
				orig := rendered["kubernetes.yaml"].([]map[string]any)
				for _, o := range orig {
					// The spec hash is a digest of the spec's text, which the import writes
					// its own way: shipit's bookkeeping, not a setting of the app.
					if a, ok := dig(o, "metadata", "annotations").(map[string]any); ok {
						delete(a, spec.HashAnnotation)
					}
				}
				rts = append(rts, importRoundTrip(t, name, docs, orig))
			})
		}
	}
	summariseImports(t, "examples", rts)
}

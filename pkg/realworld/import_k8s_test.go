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

// TestImportKubernetesToECS: a Kubernetes app imported, then validated and rendered for ECS.
// What ECS itself needs and the manifests cannot have (roles, subnets, the target group) is
// added; validate then names the one thing to change (a size Fargate runs), warns about each
// imported setting ECS has no counterpart for, and, with the size it names, the ECS render is
// the app: its container, image, port, env, requests and security.
func TestImportKubernetesToECS(t *testing.T) {
	dir := filepath.Join(corpus, "boutique-frontend")
	b, err := os.ReadFile(filepath.Join(dir, "frontend.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.FromDocuments([]target.Document{{Name: "frontend.yaml", Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, `ecs:
  region: us-east-1
  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  subnets: [subnet-0abc]
  targetGroup: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/frontend/0123456789abcdef
`...)
	load := func(src []byte) *spec.App {
		t.Helper()
		app, err := spec.Parse("shipit.yaml", src, spec.Options{Target: spec.TargetECS, Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	errs, warns := load(y).Validate(spec.TargetECS)
	var got []string
	for _, e := range errs {
		got = append(got, e.Field+": "+e.Message)
	}
	want := []string{"cpu: 0.2 vCPU with 128 MiB is not a size Fargate runs; Fargate offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.Contains(errs[0].Fix, "nearest valid size: 0.25 vCPU / 512 MiB") {
		t.Errorf("errors:\n%s\nwant:\n%s (fix %q)", strings.Join(got, "\n"), strings.Join(want, "\n"), errs[0].Fix)
	}
	got = nil
	for _, w := range warns {
		got = append(got, w.Field)
	}
	// The Service port, the HTTP checks (a target group's own check decides on ECS), the pod's
	// user and group, and the patches.
	if want := "ports[0].servicePort health.path health.liveness eks.podSecurity eks.patches"; strings.Join(got, " ") != want {
		t.Errorf("warnings %s, want %s", strings.Join(got, " "), want)
	}
	fixed := strings.Replace(strings.Replace(string(y), "\ncpu: 200m\n", "\ncpu: 0.25\n", 1), "\nmemory: 128Mi\n", "\nmemory: 512Mi\n", 1)
	rendered, err := renderApp(load([]byte(fixed)), "shipit.yaml", spec.TargetECS)
	if err != nil {
		t.Fatal(err)
	}
	td, _ := rendered["task-definition.json"].(map[string]any)
	c := list(td["containerDefinitions"])[0].(map[string]any)
	checks := map[string]any{
		"name": c["name"], "image": c["image"], "port": dig(list(c["portMappings"])[0], "containerPort"),
		"env": len(list(c["environment"])), "cpu": c["cpu"], "memoryReservation": c["memoryReservation"],
		"readonlyRootFilesystem": c["readonlyRootFilesystem"], "drop": fmt.Sprint(dig(c, "linuxParameters", "capabilities", "drop")),
		"task": fmt.Sprint(td["cpu"], "/", td["memory"]),
	}
	wantChecks := map[string]any{
		"name": "server", "image": "frontend", "port": float64(8080), "env": 10, "cpu": float64(102), "memoryReservation": float64(64),
		"readonlyRootFilesystem": true, "drop": "[ALL]", "task": "256/512",
	}
	for k, v := range wantChecks {
		if checks[k] != v {
			t.Errorf("task definition %s: %v, want %v", k, checks[k], v)
		}
	}
}

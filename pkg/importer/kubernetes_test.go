package importer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var update = flag.Bool("update", false, "rewrite testdata/kubernetes/*/want.yaml")

// TestFromKubernetes imports each testdata/kubernetes/<case>/in.yaml and compares the spec
// with want.yaml: live (a Deployment as `shipit import --target eks` reads it: server
// defaults stripped, with its Services, HPA, ServiceAccount and PDB), ingress (an ALB Ingress,
// a named probe port, $ in values), lost (a List with a ConfigMap, a Service of another app,
// a field no Deployment has, a headless Service).
func TestFromKubernetes(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/kubernetes/*")
	if len(dirs) < 3 {
		t.Fatalf("%d cases", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, "in.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := FromDocuments([]target.Document{{Name: "in.yaml", Data: in}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, "want.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := os.ReadFile(golden)
			if string(got) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			// What the import writes loads and validates for EKS, and its render is the
			// original (the import checks that itself and lists any difference as lost).
			app, err := spec.Parse("want.yaml", got, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			if errs, _ := app.Validate(spec.TargetEKS); len(errs) > 0 {
				t.Fatal(errs)
			}
			for _, l := range res.Lost {
				if strings.Contains(l.Reason, "not reproduced") {
					t.Errorf("lost: %s", l)
				}
			}
		})
	}
}

// TestFromKubernetesErrors: what cannot be imported at all is an error naming the file (and
// line) and what to do.
func TestFromKubernetesErrors(t *testing.T) {
	dep := func(name string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name + "}}\n    spec: {containers: [{name: " + name + ", image: nginx}]}\n"
	}
	for _, c := range []struct{ name, in, want string }{
		{"none", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
			"no Deployment to import (read Service/web): shipit imports one Deployment with its Service, HorizontalPodAutoscaler, ServiceAccount, PodDisruptionBudget and Ingress"},
		{"two", dep("web") + "---\n" + dep("api"),
			"2 Deployments (web (app.yaml:1), api (app.yaml:10)): import one app at a time, from the files of that Deployment"},
		{"yaml", dep("web") + "---\nkind: [\n", "app.yaml:10: did not find expected node content"},
		{"no kind", "metadata: {name: web}\n", "app.yaml:1: not a Kubernetes object: it has no apiVersion or kind"},
		{"type", strings.Replace(dep("web"), "spec:\n", "spec:\n  replicas: three\n", 1),
			`app.yaml:1: Deployment/web: spec.replicas: a string, where Kubernetes takes int32`},
		{"name", dep("web.v2"), "app.yaml:1: Deployment/web.v2: shipit names the app after its Deployment, and an app's name is a DNS label: must not contain dots"},
		{"no containers", strings.Replace(dep("web"), "[{name: web, image: nginx}]", "[]", 1), "app.yaml:1: Deployment/web has no containers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromDocuments([]target.Document{{Name: "app.yaml", Data: []byte(c.in)}})
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}

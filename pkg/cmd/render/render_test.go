package render

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmd/factory"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files (make golden)")

func noEnv(string) (string, bool) { return "", false }

func run(t *testing.T, file, env, tgt, dir, output string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), &Options{
		IO:        &cmdutil.IOStreams{Out: &out, ErrOut: &errOut},
		Targets:   factory.Targets(),
		Global:    &cmdutil.GlobalOptions{File: file, Env: env, Output: output, Getenv: noEnv},
		Target:    tgt,
		OutputDir: dir,
	})
	return out.String(), err
}

// TestGolden renders every example for both targets (and every environment) and compares
// the files with examples/<name>/golden/<env>/<target>/.
func TestGolden(t *testing.T) {
	examples, _ := filepath.Glob("../../../examples/*/shipit.yaml")
	if len(examples) == 0 {
		t.Fatal("no examples")
	}
	for _, ex := range examples {
		app, err := spec.Load(ex, spec.Options{Getenv: noEnv})
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range append([]string{""}, app.Source.Environments...) {
			for _, tgt := range app.Targets() { // a spec with only an eks: (ecs:) block is for that target only
				envDir := env
				if envDir == "" {
					envDir = "base"
				}
				name := filepath.Base(filepath.Dir(ex)) + "/" + envDir + "/" + tgt
				t.Run(name, func(t *testing.T) {
					dir := t.TempDir()
					if _, err := run(t, ex, env, tgt, dir, "text"); err != nil {
						t.Fatal(err)
					}
					golden := filepath.Join(filepath.Dir(ex), "golden", envDir, tgt)
					compareDirs(t, dir, golden)
				})
			}
		}
	}
}

func compareDirs(t *testing.T, got, golden string) {
	t.Helper()
	files, _ := os.ReadDir(got)
	if *update {
		os.RemoveAll(golden)
		if err := os.MkdirAll(golden, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(got, f.Name()))
		gp := filepath.Join(golden, f.Name())
		if *update {
			if err := os.WriteFile(gp, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(gp)
		if err != nil {
			t.Errorf("%s: %v (run make golden)", gp, err)
			continue
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from the render (run make golden and review the diff): %s", gp, firstDifference(want, b))
		}
	}
	wantFiles, _ := os.ReadDir(golden)
	if len(wantFiles) != len(files) {
		t.Errorf("%s: golden has %d files, render wrote %d", golden, len(wantFiles), len(files))
	}
}

// TestWebAppECS checks the facts the ECS render must carry, beyond the golden bytes.
func TestWebAppECS(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "../../../examples/web-app/shipit.yaml", "", "ecs", dir, "text"); err != nil {
		t.Fatal(err)
	}
	var td, svc map[string]any
	readJSON(t, filepath.Join(dir, "task-definition.json"), &td)
	readJSON(t, filepath.Join(dir, "service.json"), &svc)
	c := td["containerDefinitions"].([]any)[0].(map[string]any)
	logs := c["logConfiguration"].(map[string]any)["options"].(map[string]any)
	dc := svc["deploymentConfiguration"].(map[string]any)["deploymentCircuitBreaker"].(map[string]any)
	checks := []struct {
		what      string
		got, want any
	}{
		{"networkMode", td["networkMode"], "awsvpc"},
		{"requiresCompatibilities", td["requiresCompatibilities"], []any{"FARGATE"}},
		{"cpu", td["cpu"], "512"},
		{"memory", td["memory"], "1024"},
		{"family", td["family"], "web-app"},
		{"awslogs-group", logs["awslogs-group"], "/ecs/web-app"},
		{"awslogs-region", logs["awslogs-region"], "ap-northeast-2"},
		{"desiredCount", svc["desiredCount"], 3.0},
		{"launchType", svc["launchType"], "FARGATE"},
		{"circuit breaker", dc["enable"], true},
		{"rollback", dc["rollback"], true},
	}
	for _, c := range checks {
		if b1, _ := json.Marshal(c.got); string(b1) != mustJSON(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "scaling.json")); err == nil {
		t.Error("scaling.json written without autoscale")
	}
}

// TestWebAppEKS checks the Kubernetes facts of the issue for the base spec and --env staging.
func TestWebAppEKS(t *testing.T) {
	for _, c := range []struct {
		env, ns  string
		replicas float64
		appEnv   string
	}{{"", "production", 3, "production"}, {"staging", "staging", 1, "staging"}} {
		out, err := run(t, "../../../examples/web-app/shipit.yaml", c.env, "eks", "", "text")
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]map[string]any{}
		for _, doc := range strings.Split(out, "\n---\n") {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatal(err)
			}
			kinds[m["kind"].(string)] = m
		}
		d := kinds["Deployment"]
		if d == nil || kinds["Service"] == nil {
			t.Fatalf("env %q: kinds %v", c.env, keys(kinds))
		}
		meta := d["metadata"].(map[string]any)
		dspec := d["spec"].(map[string]any)
		ctr := dspec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		res := ctr["resources"].(map[string]any)
		if meta["namespace"] != c.ns || dspec["replicas"] != c.replicas {
			t.Errorf("env %q: namespace %v replicas %v", c.env, meta["namespace"], dspec["replicas"])
		}
		if res["requests"] == nil || res["limits"] == nil {
			t.Errorf("env %q: resources %v, want requests and limits", c.env, res)
		}
		envs := map[string]any{}
		for _, e := range ctr["env"].([]any) {
			e := e.(map[string]any)
			envs[e["name"].(string)] = e["value"]
		}
		if envs["APP_ENV"] != c.appEnv || envs["LOG_LEVEL"] != "info" {
			t.Errorf("env %q: container env %v", c.env, envs)
		}
		sspec := kinds["Service"]["spec"].(map[string]any)
		port := sspec["ports"].([]any)[0].(map[string]any)
		if sspec["type"] != "ClusterIP" || port["port"] != 80.0 {
			t.Errorf("env %q: service %v", c.env, sspec)
		}
	}
}

func TestAutoscaledDeploymentHasNoReplicas(t *testing.T) {
	out, err := run(t, "../../../examples/worker/shipit.yaml", "", "eks", "", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	var sawHPA bool
	for _, it := range list.Items {
		switch it["kind"] {
		case "Deployment":
			if _, ok := it["spec"].(map[string]any)["replicas"]; ok {
				t.Error("autoscaled Deployment has replicas: it would fight the HPA")
			}
		case "HorizontalPodAutoscaler":
			sawHPA = true
		}
	}
	if !sawHPA {
		t.Error("no HPA")
	}
}

func TestSecretValuesNeverRendered(t *testing.T) {
	// Only references are in the spec; the rendered output must carry them, never anything
	// resolved. The SSM parameter name and the Secrets Manager ARN appear as references.
	for _, tgt := range []string{"ecs", "eks"} {
		out, err := run(t, "../../../examples/secrets/shipit.yaml", "", tgt, "", "text")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "billing/db-pass-AbCdEf") {
			t.Errorf("%s: secret reference missing", tgt)
		}
		if tgt == "eks" && (!strings.Contains(out, "secretKeyRef") || !strings.Contains(out, "kind: ExternalSecret")) {
			t.Errorf("eks: no ExternalSecret/secretKeyRef:\n%s", out)
		}
	}
}

// firstDifference names the first line where two renders differ.
func firstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d: golden %q, render %q", i+1, a, b)
		}
	}
	return "same lines, different bytes"
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRegionFlagBeatsSpec: render --region beats ecs.region (as --context beats eks.context);
// ecs.region beats AWS_REGION, which stands in only when neither names a region.
func TestRegionFlagBeatsSpec(t *testing.T) {
	src := "version: 1\nname: web\nimage: web:1\nport: 80\necs:\n  region: ap-northeast-2\n  executionRole: arn:aws:iam::123456789012:role/exec\n  subnets: [subnet-0abc]\n"
	withRegion := filepath.Join(t.TempDir(), "shipit.yaml")
	noRegion := filepath.Join(t.TempDir(), "shipit.yaml")
	if os.WriteFile(withRegion, []byte(src), 0o644) != nil || os.WriteFile(noRegion, []byte(strings.Replace(src, "  region: ap-northeast-2\n", "", 1)), 0o644) != nil {
		t.Fatal("writing the specs")
	}
	t.Setenv("AWS_REGION", "ap-south-1")
	for _, c := range []struct {
		file, flag, want string
	}{
		{withRegion, "eu-west-1", "eu-west-1"},
		{withRegion, "", "ap-northeast-2"},
		{noRegion, "eu-west-1", "eu-west-1"},
		{noRegion, "", "ap-south-1"},
	} {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), &Options{
			IO:      &cmdutil.IOStreams{Out: &out, ErrOut: &errOut},
			Targets: factory.Targets(),
			Global:  &cmdutil.GlobalOptions{File: c.file, Output: "text", Region: c.flag, Getenv: noEnv},
			Target:  "ecs",
		})
		if err != nil {
			t.Fatalf("--region %q: %v", c.flag, err)
		}
		if want := `"awslogs-region": "` + c.want + `"`; !strings.Contains(out.String(), want) {
			t.Errorf("%s --region %q: no %s in\n%s", filepath.Base(filepath.Dir(c.file)), c.flag, want, out.String())
		}
	}
}

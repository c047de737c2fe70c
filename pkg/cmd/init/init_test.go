package initcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

func run(t *testing.T, dir string, o Options) (string, error) {
	t.Helper()
	var out bytes.Buffer
	if o.Global == nil {
		o.Global = &cmdutil.GlobalOptions{Output: "text", File: filepath.Join(dir, "shipit.yaml")}
	}
	o.IO = &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	o.Getwd = func() (string, error) { return dir, nil }
	err := Run(&o)
	return out.String(), err
}

// TestInitFromDockerfile: name from the directory, port and health from the Dockerfile; the
// file written validates for both targets; a second run keeps it unless --force.
func TestInitFromDockerfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Billing_API")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	df := filepath.Join(dir, "Dockerfile")
	os.WriteFile(df, []byte("FROM node:22\nEXPOSE 3000\nHEALTHCHECK CMD [\"node\", \"hc.js\"]\n"), 0o644)
	file := filepath.Join(dir, "shipit.yaml")
	out, err := run(t, dir, Options{Dockerfile: df})
	if err != nil {
		t.Fatal(err)
	}
	if want := "wrote " + file + " for billing-api (from " + df + "); next: shipit validate -f " + file + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	app, err := spec.Load(file, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{spec.TargetECS, spec.TargetEKS} {
		if errs, _ := app.Validate(tg); len(errs) > 0 {
			t.Errorf("%s: %v", tg, errs)
		}
	}
	if app.Name != "billing-api" || app.Ports[0].Port != 3000 || strings.Join(app.Health.Command, " ") != "node hc.js" || app.Image != "billing-api:1" {
		t.Errorf("name %q ports %v health %v image %q", app.Name, app.Ports, app.Health, app.Image)
	}
	_, err = run(t, dir, Options{Name: "other"})
	if target.ExitCode(err) != target.ExitInvalid || !strings.Contains(err.Error(), "exists: pass --force to replace it") {
		t.Errorf("existing file: %v", err)
	}
	if _, err := run(t, dir, Options{Name: "other", Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "name: other\n") {
		t.Errorf("--force did not replace:\n%s", b)
	}
}

// TestInitStdout: -f - prints the spec, writes nothing.
func TestInitStdout(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, dir, Options{Name: "web", Port: 8080, Global: &cmdutil.GlobalOptions{Output: "text", File: "-"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "name: web\n") || !strings.Contains(out, "port: 8080\n") {
		t.Errorf("%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("wrote %v", entries)
	}
}

package root

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Only deploy takes several -f: any other command given two files is a usage error naming
// both, not a run on the last one.
func TestOneFileOutsideDeploy(t *testing.T) {
	for _, cmd := range []string{"validate", "status", "render", "diff", "rollback", "destroy", "lint"} {
		e := cmdtest.New(t, "eks", "")
		code := ExecuteFactory(context.Background(), e.Factory, []string{cmd, "--target", "eks", "-f", "a.yaml", "-f", "b.yaml"})
		want := `error: invalid argument "b.yaml" for "-f, --file" flag: -f given twice (a.yaml and b.yaml): this command takes one spec file (only deploy takes several)` +
			"\nsee 'shipit " + cmd + " --help'\n"
		if code != target.ExitInvalid || e.ErrOut.String() != want {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant 2 and:\n%s", cmd, code, e.ErrOut, want)
		}
		if len(e.Target.Session.Calls) != 0 {
			t.Errorf("%s: called the target", cmd)
		}
	}
}

// A many-app deploy through the whole CLI: with -o json, stdout is the apps' events and one
// summary object, the last, whose exitCode is the process's; nothing else is printed.
func TestManyAppsDeployThroughRoot(t *testing.T) {
	dir := t.TempDir()
	for _, app := range []string{"api", "web"} {
		p := filepath.Join(dir, app, "shipit.yaml")
		src := strings.Replace(cmdtest.Spec, "name: web", "name: "+app, 1)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := cmdtest.New(t, "ecs", "")
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
		v := &target.Verdict{Target: "ecs", App: app.Name, Phase: target.Succeeded, Message: "ok"}
		if app.Name == "web" {
			v.Phase, v.Message = target.Failed, "CannotPullContainerError: 2 tasks stopped"
		}
		r.Report(target.NewEvent(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), "ecs", app.Name, v.Phase, v.Message))
		return v, nil
	}
	code := ExecuteFactory(context.Background(), e.Factory, []string{"deploy", "--target", "ecs", "-f", dir, "-o", "json"})
	if code != target.ExitFailed {
		t.Errorf("exit %d, want 3", code)
	}
	if e.ErrOut.String() != "" {
		t.Errorf("stderr %q", e.ErrOut)
	}
	dec := json.NewDecoder(strings.NewReader(e.Out.String()))
	var objs []map[string]any
	for dec.More() {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("%v in:\n%s", err, e.Out)
		}
		objs = append(objs, o)
	}
	// The two apps deploy at once: their events come in either order.
	if len(objs) != 3 || objs[0]["app"] == objs[1]["app"] || objs[0]["file"] == nil {
		t.Fatalf("want 2 events then the summary:\n%s", e.Out)
	}
	last := objs[2]
	if last["exitCode"] != float64(3) || last["error"] != "1 of 2 apps did not succeed: web (Failed)" || len(last["apps"].([]any)) != 2 {
		t.Errorf("summary:\n%s", e.Out)
	}
}

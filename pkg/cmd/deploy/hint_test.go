package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

// TestLogsHint: a failed, rolled back or timed out deploy names the command that shows the
// failed revision's logs, with the spec file and environment it was given (quoted for a
// shell when needed), in text and JSON; a success and a verdict without a failed revision
// do not.
func TestLogsHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    target.Verdict
		args []string
		file string // the spec's file name, FILE in the output standing for its path
		text string
		json string // the fields after "rolledBackTo"/"ready"
		code int
	}{
		{name: "rolled back", v: target.Verdict{Target: "ecs", App: "web", Phase: target.RolledBack, Message: "2 tasks stopped: exit 1; rolled back to web:6 (2/2 running)", Revision: "web:6", Desired: 2, Ready: 2, RolledBackTo: "web:6", FailedRevision: "7"},
			args: []string{"--env", "prod"}, file: "shipit.yaml", code: 4,
			text: "✗ web on ecs: RolledBack: 2 tasks stopped: exit 1; rolled back to web:6 (2/2 running)\n  logs of revision 7: shipit logs --target ecs --revision 7 --env prod\n",
			json: `  "rolledBackTo": "web:6",
  "failedRevision": "7",
  "hint": "shipit logs --target ecs --revision 7 --env prod",
  "error": "2 tasks stopped: exit 1; rolled back to web:6 (2/2 running)",
  "exitCode": 4,
  "errors": []
}
`},
		{name: "failed, another file", v: target.Verdict{Target: "eks", App: "web", Phase: target.Failed, Message: "pod web-1 CrashLoopBackOff", Revision: "3", FailedRevision: "3"},
			file: "my app.yaml", code: 3,
			text: "✗ web on eks: Failed: pod web-1 CrashLoopBackOff\n  logs of revision 3: shipit logs --target eks --revision 3 -f 'FILE'\n",
			json: `  "failedRevision": "3",
  "hint": "shipit logs --target eks --revision 3 -f 'FILE'",
  "error": "pod web-1 CrashLoopBackOff",
  "exitCode": 3,
  "errors": []
}
`},
		{name: "succeeded", v: target.Verdict{Target: "ecs", App: "web", Phase: target.Succeeded, Message: "2/2 running", Revision: "web:7", FailedRevision: ""},
			file: "shipit.yaml", text: "✓ web on ecs: Succeeded: 2/2 running\n", json: "  \"ready\": 0\n}\n"},
	} {
		for _, output := range []string{"text", "json"} {
			t.Run(tc.name+" "+output, func(t *testing.T) {
				e := cmdtest.New(t, tc.v.Target, "")
				file := filepath.Join(t.TempDir(), tc.file)
				spec, _ := os.ReadFile(e.File)
				spec = []byte(strings.Replace(string(spec), "ecs:", "environments:\n  prod: {replicas: 2}\necs:", 1))
				if err := os.WriteFile(file, spec, 0o644); err != nil {
					t.Fatal(err)
				}
				args := []string{"deploy", "--target", tc.v.Target, "-o", output}
				if tc.file != "shipit.yaml" {
					args = append(args, "-f", file)
				} else {
					dir := t.TempDir()
					if err := os.WriteFile(filepath.Join(dir, "shipit.yaml"), spec, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Chdir(dir)
				}
				e.Target.Session.Verdict = &tc.v
				code := root.ExecuteFactory(context.Background(), e.Factory, append(args, tc.args...))
				if code != tc.code {
					t.Errorf("exit %d, want %d; stderr %s", code, tc.code, e.ErrOut)
				}
				got := e.Out.String()
				if output == "text" {
					if want := strings.ReplaceAll(tc.text, "FILE", file); got != want {
						t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
					}
					return
				}
				if want := strings.ReplaceAll(tc.json, "FILE", file); !strings.HasSuffix(got, want) {
					t.Errorf("stdout:\n%s\nwant it to end with:\n%s", got, want)
				}
			})
		}
	}
}

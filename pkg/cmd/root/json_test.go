package root

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

// TestJSONFailureShape: with -o json, every command that fails prints one JSON result on
// stdout carrying error, exitCode and errors (the spec errors behind it, [] otherwise), beside
// whatever else its result holds: validate's and lint's results, the verdict of deploy and
// rollback, diff's differences; a failure with no result of its own is those three fields
// alone. Each case runs through ExecuteFactory with the fake target.
func TestJSONFailureShape(t *testing.T) {
	invalid := cmdtest.Spec + "replcas: 3\n"
	for _, c := range []struct {
		name  string
		args  []string
		spec  string // the spec file's content (cmdtest.Spec when empty)
		setup func(e *cmdtest.Env)
		code  int
		want  string // stdout, FILE standing for the spec's path
	}{
		{name: "init", args: []string{"init", "--name", "web"}, code: 2, want: `{
  "error": "FILE exists: pass --force to replace it, or -f another file",
  "exitCode": 2,
  "errors": []
}
`},
		{name: "validate", args: []string{"validate"}, spec: invalid, code: 2, want: `{
  "file": "FILE",
  "valid": false,
  "environments": [
    "(base)"
  ],
  "targets": [],
  "errors": [
    {
      "file": "FILE",
      "line": 11,
      "column": 1,
      "field": "replcas",
      "message": "unknown field",
      "fix": "did you mean replicas?"
    }
  ],
  "warnings": [],
  "error": "FILE:11:1: replcas: unknown field (did you mean replicas?)",
  "exitCode": 2
}
`},
		{name: "render", args: []string{"render", "--target", "ecs"}, spec: invalid, code: 2, want: `{
  "error": "FILE:11:1: replcas: unknown field (did you mean replicas?)",
  "exitCode": 2,
  "errors": [
    {
      "file": "FILE",
      "line": 11,
      "column": 1,
      "field": "replcas",
      "message": "unknown field",
      "fix": "did you mean replicas?"
    }
  ]
}
`},
		{name: "diff", args: []string{"diff", "--target", "ecs"}, code: 6, want: `{
  "changed": true,
  "diff": "-replicas: 1\n+replicas: 2\n",
  "error": "the live app differs from the spec",
  "exitCode": 6,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.Target.Session.DiffResult = &target.DiffResult{Changed: true, Diff: "-replicas: 1\n+replicas: 2\n"}
		}},
		{name: "deploy failed", args: []string{"deploy", "--target", "ecs"}, code: 3, want: `{
  "target": "ecs",
  "app": "web",
  "phase": "Failed",
  "message": "2 tasks stopped: CannotPullContainerError",
  "revision": "web:7",
  "desired": 2,
  "ready": 0,
  "error": "2 tasks stopped: CannotPullContainerError",
  "exitCode": 3,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.Target.Session.Verdict = &target.Verdict{Target: "ecs", App: "web", Phase: target.Failed, Message: "2 tasks stopped: CannotPullContainerError", Revision: "web:7", Desired: 2}
		}},
		{name: "deploy API error", args: []string{"deploy", "--target", "ecs"}, code: 1, want: `{
  "error": "ecs DescribeClusters: AccessDeniedException: not authorized",
  "exitCode": 1,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.Target.ConnectErr = errors.New("ecs DescribeClusters: AccessDeniedException: not authorized")
		}},
		{name: "status", args: []string{"status", "--target", "ecs"}, code: 1, want: `{
  "error": "ecs DescribeServices web: ThrottlingException: rate exceeded",
  "exitCode": 1,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.Target.Session.StatusErr = errors.New("ecs DescribeServices web: ThrottlingException: rate exceeded")
		}},
		{name: "rollback", args: []string{"rollback", "--target", "ecs", "--to", "5"}, code: 5, want: `{
  "target": "ecs",
  "app": "web",
  "phase": "TimedOut",
  "message": "timed out after 2m0s: 1/2 running",
  "revision": "web:5",
  "desired": 2,
  "ready": 1,
  "error": "timed out after 2m0s: 1/2 running",
  "exitCode": 5,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.Target.Session.RollbackVerdict = &target.Verdict{Target: "ecs", App: "web", Phase: target.TimedOut, Message: "timed out after 2m0s: 1/2 running", Revision: "web:5", Desired: 2, Ready: 1}
		}},
		{name: "destroy", args: []string{"destroy", "--target", "ecs"}, code: 2, want: `{
  "error": "destroy asks for confirmation and stdin is not a terminal: pass --yes to delete service web",
  "exitCode": 2,
  "errors": []
}
`, setup: func(e *cmdtest.Env) {
			e.SetStdinTTY(false)
			e.Target.Session.Plan = &target.DestroyResult{Deleted: []string{"service web"}}
		}},
		{name: "lint", args: []string{"lint", "--strict"}, spec: cmdtest.Spec + "expose: none\n", code: 2, want: `{
  "file": "FILE",
  "environments": [
    "(base)"
  ],
  "findings": [
    {
      "rule": "no-health-check",
      "severity": "error",
      "file": "FILE",
      "line": 2,
      "column": 7,
      "field": "name",
      "message": "no health check: a release that starts but does not work is reported as a success",
      "fix": "add health: {path: /healthz} (or tcp: true, or command:)"
    }
  ],
  "errors": [
    {
      "file": "FILE",
      "line": 2,
      "column": 7,
      "field": "name",
      "message": "no-health-check: no health check: a release that starts but does not work is reported as a success",
      "fix": "add health: {path: /healthz} (or tcp: true, or command:)"
    }
  ],
  "failed": true,
  "error": "FILE:2:7: name: no-health-check: no health check: a release that starts but does not work is reported as a success (add health: {path: /healthz} (or tcp: true, or command:))",
  "exitCode": 2
}
`},
		{name: "lint invalid", args: []string{"lint"}, spec: invalid, code: 2, want: `{
  "file": "FILE",
  "environments": [
    "(base)"
  ],
  "findings": [],
  "errors": [
    {
      "file": "FILE",
      "line": 11,
      "column": 1,
      "field": "replcas",
      "message": "unknown field",
      "fix": "did you mean replicas?"
    }
  ],
  "failed": true,
  "error": "FILE:11:1: replcas: unknown field (did you mean replicas?)",
  "exitCode": 2
}
`},
		{name: "cost", args: []string{"cost", "--hours", "0"}, code: 2, want: `{
  "error": "--hours 0: give the hours of a month, above 0 and at most 744 (31 days)",
  "exitCode": 2,
  "errors": []
}
`},
		{name: "version", args: []string{"version", "extra"}, code: 2, want: `{
  "error": "shipit version takes no arguments, got [\"extra\"] (the spec is given with -f)",
  "exitCode": 2,
  "errors": []
}
`},
		{name: "unknown command", args: []string{"deplot"}, code: 2, want: `{
  "error": "unknown command \"deplot\" for \"shipit\"; did you mean deploy?\nsee 'shipit --help'",
  "exitCode": 2,
  "errors": []
}
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cmdtest.New(t, "ecs", "")
			if c.spec != "" {
				if err := os.WriteFile(e.File, []byte(c.spec), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.setup != nil {
				c.setup(e)
			}
			code := ExecuteFactory(context.Background(), e.Factory, append(c.args, "-f", e.File, "-o", "json"))
			want := strings.ReplaceAll(c.want, "FILE", e.File)
			if c.want == "" {
				t.Fatalf("no expected output; exit %d stdout:\n%s\nstderr:\n%s", code, e.Out, e.ErrOut)
			}
			if code != c.code || e.Out.String() != want {
				t.Errorf("exit %d, want %d; stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, c.code, e.Out, want, e.ErrOut)
			}
		})
	}
}

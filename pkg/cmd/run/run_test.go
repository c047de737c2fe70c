package run_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

// The tests run shipit run through the whole CLI (root.ExecuteFactory, as main does) with the
// fake target, and compare stdout and stderr exactly.

var at = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func code(n int) *int { return &n }

// exec runs shipit with args against e's fake target and returns the exit code.
func exec(e *cmdtest.Env, args ...string) int {
	return root.ExecuteFactory(context.Background(), e.Factory, append([]string{"run", "-f", e.File}, args...))
}

func TestRunText(t *testing.T) {
	for _, c := range []struct {
		name           string
		res            *target.RunResult
		code           int
		stdout, stderr string
	}{
		{"succeeded", &target.RunResult{Target: "ecs", App: "web", Logs: "/ecs/web web/web/1f2e3d4c: 2 lines", Status: target.RunSucceeded, ContainerExitCode: code(0),
			Message: "web exited 0 (task 1f2e3d4c, web:7)"}, 0,
			"migrating\n12 migrations applied\n",
			"08:00:00 Pending     registered task definition web:7\n" +
				"08:00:01 Progressing task 1f2e3d4c is RUNNING\n" +
				"logs: /ecs/web web/web/1f2e3d4c: 2 lines\n" +
				"✓ web on ecs: Succeeded: web exited 0 (task 1f2e3d4c, web:7) (exit 0)\n"},
		{"command failed", &target.RunResult{Target: "ecs", App: "web", Logs: "/ecs/web web/web/1f2e3d4c: 2 lines", Status: target.RunFailed, ContainerExitCode: code(3),
			StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Message: "web exited 3 (task 1f2e3d4c, web:7): EssentialContainerExited: Essential container in task exited"}, 3,
			"migrating\n12 migrations applied\n",
			"08:00:00 Pending     registered task definition web:7\n" +
				"08:00:01 Progressing task 1f2e3d4c is RUNNING\n" +
				"logs: /ecs/web web/web/1f2e3d4c: 2 lines\n" +
				"✗ web on ecs: Failed: web exited 3 (task 1f2e3d4c, web:7): EssentialContainerExited: Essential container in task exited (exit 3)\n"},
		{"never ran", &target.RunResult{Target: "ecs", App: "web", Logs: "/ecs/web web/web/1f2e3d4c: 2 lines", Status: target.RunNotRun,
			StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: pull image manifest has been retried 1 time(s)",
			Message: "task 1f2e3d4c stopped before web ran: TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 1 time(s)"}, 3,
			"migrating\n12 migrations applied\n",
			"08:00:00 Pending     registered task definition web:7\n" +
				"08:00:01 Progressing task 1f2e3d4c is RUNNING\n" +
				"logs: /ecs/web web/web/1f2e3d4c: 2 lines\n" +
				"✗ web on ecs: NotRun: task 1f2e3d4c stopped before web ran: TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 1 time(s) (exit 3)\n"},
		{"timed out", &target.RunResult{Target: "ecs", App: "web", Logs: "/ecs/web web/web/1f2e3d4c: 2 lines", Status: target.RunTimedOut,
			Message: "timed out after 1h0m0s while web was RUNNING; stopped task 1f2e3d4c (StopTask)"}, 5,
			"migrating\n12 migrations applied\n",
			"08:00:00 Pending     registered task definition web:7\n" +
				"08:00:01 Progressing task 1f2e3d4c is RUNNING\n" +
				"logs: /ecs/web web/web/1f2e3d4c: 2 lines\n" +
				"✗ web on ecs: TimedOut: timed out after 1h0m0s while web was RUNNING; stopped task 1f2e3d4c (StopTask) (exit 5)\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cmdtest.New(t, "ecs", "")
			e.Target.Session.Runs = runs(c.res)
			got := exec(e, "--target", "ecs", "--", "./manage.py", "migrate", "--noinput")
			if got != c.code || e.Out.String() != c.stdout || e.ErrOut.String() != c.stderr {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", got, c.code, e.Out, c.stdout, e.ErrOut, c.stderr)
			}
		})
	}
}

// runs is a fake run that reports two events, writes two log lines and ends with res.
func runs(res *target.RunResult) targettest.RunTasks {
	return targettest.RunTasks{
		Result: res,
		Logs:   []string{"migrating", "12 migrations applied"},
		Events: []target.Event{
			{Time: at, Target: "ecs", App: "web", Phase: target.Pending, Message: "registered task definition web:7"},
			{Time: at.Add(time.Second), Target: "ecs", App: "web", Phase: target.Progressing, Message: "task 1f2e3d4c is RUNNING"},
		},
	}
}

// With -o json, stdout holds the progress events as JSON Lines and the result last, with its
// exitCode always and the failure fields when it failed; the logs go to stderr.
func TestRunJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		res  *target.RunResult
		code int
		last string
	}{
		{"succeeded", &target.RunResult{Target: "ecs", App: "web", Status: target.RunSucceeded, Message: "web exited 0 (task 1f2e3d4c, web:7)",
			Task: "arn:aws:ecs:ap-northeast-2:123456789012:task/default/1f2e3d4c", Revision: "web:7", Image: "r/web:1", Container: "web",
			Command: []string{"./manage.py", "migrate"}, ContainerExitCode: code(0), StopCode: "EssentialContainerExited",
			StoppedReason: "Essential container in task exited", Logs: "/ecs/web: ecs/web/1f2e3d4c"}, 0, `{
  "target": "ecs",
  "app": "web",
  "status": "Succeeded",
  "message": "web exited 0 (task 1f2e3d4c, web:7)",
  "task": "arn:aws:ecs:ap-northeast-2:123456789012:task/default/1f2e3d4c",
  "revision": "web:7",
  "image": "r/web:1",
  "container": "web",
  "command": [
    "./manage.py",
    "migrate"
  ],
  "containerExitCode": 0,
  "stopCode": "EssentialContainerExited",
  "stoppedReason": "Essential container in task exited",
  "logs": "/ecs/web: ecs/web/1f2e3d4c",
  "exitCode": 0
}
`},
		{"command failed", &target.RunResult{Target: "eks", App: "web", Status: target.RunFailed, Message: "web exited 42 (job default/web-run-x7k2p)",
			Task: "default/web-run-x7k2p", Pod: "web-run-x7k2p-9zq4d", Image: "r/web:1", Container: "web", Command: []string{"false"},
			ContainerExitCode: code(42), StopCode: "Error", Logs: "pod web-run-x7k2p-9zq4d, container web", Kept: true}, 42, `{
  "target": "eks",
  "app": "web",
  "status": "Failed",
  "message": "web exited 42 (job default/web-run-x7k2p)",
  "task": "default/web-run-x7k2p",
  "pod": "web-run-x7k2p-9zq4d",
  "image": "r/web:1",
  "container": "web",
  "command": [
    "false"
  ],
  "containerExitCode": 42,
  "stopCode": "Error",
  "logs": "pod web-run-x7k2p-9zq4d, container web",
  "kept": true,
  "error": "web exited 42 (job default/web-run-x7k2p)",
  "errors": [],
  "exitCode": 42
}
`},
		{"never ran", &target.RunResult{Target: "ecs", App: "web", Status: target.RunNotRun, Message: "task 1f2e3d4c stopped before web ran: TaskFailedToStart: CannotPullContainerError",
			Task: "t", Image: "r/web:1", Container: "web", Command: []string{"true"}, StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError", Logs: "none: the task never started"}, 3, `{
  "target": "ecs",
  "app": "web",
  "status": "NotRun",
  "message": "task 1f2e3d4c stopped before web ran: TaskFailedToStart: CannotPullContainerError",
  "task": "t",
  "image": "r/web:1",
  "container": "web",
  "command": [
    "true"
  ],
  "containerExitCode": null,
  "stopCode": "TaskFailedToStart",
  "stoppedReason": "CannotPullContainerError",
  "logs": "none: the task never started",
  "error": "task 1f2e3d4c stopped before web ran: TaskFailedToStart: CannotPullContainerError",
  "errors": [],
  "exitCode": 3
}
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cmdtest.New(t, c.res.Target, "")
			e.Target.Session.Runs = runs(c.res)
			got := exec(e, "--target", c.res.Target, "-o", "json", "--", "./manage.py", "migrate")
			events := `{"time":"2026-11-26T08:00:00Z","target":"ecs","app":"web","phase":"Pending","message":"registered task definition web:7","desired":0,"updated":0,"ready":0}
{"time":"2026-11-26T08:00:01Z","target":"ecs","app":"web","phase":"Progressing","message":"task 1f2e3d4c is RUNNING","desired":0,"updated":0,"ready":0}
`
			if got != c.code || e.Out.String() != events+c.last || e.ErrOut.String() != "migrating\n12 migrations applied\n" {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", got, c.code, e.Out, events+c.last, e.ErrOut)
			}
		})
	}
}

// run passes the command, --keep, the time bound and --image to the target; --keep on ECS
// warns that there is nothing to keep.
func TestRunOptions(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	var app *spec.App
	var opts target.RunOptions
	e.Target.Session.Runs.Func = func(_ context.Context, a *spec.App, o target.RunOptions, _ target.Reporter) (*target.RunResult, error) {
		app, opts = a, o
		return &target.RunResult{Target: "ecs", App: a.Name, Status: target.RunSucceeded, Message: "web exited 0", ContainerExitCode: code(0)}, nil
	}
	got := exec(e, "--target", "ecs", "--keep", "--timeout", "20m", "--image", "web=r/web:2", "--", "sh", "-c", "echo hi; exit 0")
	if got != 0 {
		t.Fatalf("exit %d\n%s", got, e.ErrOut)
	}
	if !slices.Equal(opts.Command, []string{"sh", "-c", "echo hi; exit 0"}) || !opts.Keep || opts.Timeout != 20*time.Minute || opts.Logs != e.Out {
		t.Errorf("options %+v", opts)
	}
	if app.Image != "r/web:2" {
		t.Errorf("image %q, want the --image override", app.Image)
	}
	want := "warning: --keep keeps Kubernetes Jobs; ECS has nothing to delete (a stopped task stays visible for about an hour)\n" +
		"✓ web on ecs: Succeeded: web exited 0 (exit 0)\n"
	if e.ErrOut.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, want)
	}
	e = cmdtest.New(t, "eks", "")
	if got := exec(e, "--target", "eks", "--", "true"); got != 0 {
		t.Fatalf("exit %d\n%s", got, e.ErrOut)
	}
	if opts := e.Target.Session.Calls[0].Options.(target.RunOptions); opts.Timeout != time.Hour || opts.Keep {
		t.Errorf("default options %+v, want the 1h bound", opts)
	}
}

// The command must follow --; none, or one before --, is a usage error (exit 2) that says
// how to write it, and nothing runs.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"--target", "ecs"}, "error: no command to run: shipit run --target ecs|eks -- CMD [ARG...]\n"},
		{"no dash", []string{"--target", "ecs", "migrate"}, "error: put the command after --, so that its flags stay its own: shipit run -- migrate\n"},
		{"before the dash", []string{"--target", "ecs", "migrate", "--", "--noinput"}, "error: put the command after --, so that its flags stay its own: shipit run -- migrate --noinput\n"},
		{"unknown target", []string{"--target", "nomad", "--", "true"}, "error: --target nomad: unknown target (use one of ecs)\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cmdtest.New(t, "ecs", "")
			if got := exec(e, c.args...); got != 2 || e.ErrOut.String() != c.want || e.Out.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", got, e.Out, e.ErrOut, c.want)
			}
			if len(e.Target.Session.Calls) != 0 {
				t.Errorf("calls %v", e.Target.Session.Methods())
			}
		})
	}
}

// An error before the task ran (an API error) is exit 1 with the message, and the JSON
// failure shape with -o json.
func TestRunError(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Target.Session.Runs.Err = errors.New("ecs RunTask web: AccessDeniedException: not authorized")
	if got := exec(e, "--target", "ecs", "-o", "json", "--", "true"); got != 1 {
		t.Errorf("exit %d", got)
	}
	want := `{
  "error": "ecs RunTask web: AccessDeniedException: not authorized",
  "exitCode": 1,
  "errors": []
}
`
	if e.Out.String() != want || !strings.Contains(e.ErrOut.String(), "error: ecs RunTask web: AccessDeniedException") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", e.Out, e.ErrOut)
	}
}

// plainTarget connects to sessions that cannot run tasks.
type plainTarget struct{ *targettest.Target }

func (p plainTarget) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	s, err := p.Target.Connect(ctx, app, opts)
	return struct{ target.Session }{s}, err
}

// A target without one-off tasks is a usage error naming it.
func TestRunUnsupported(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.Targets["ecs"] = plainTarget{e.Target}
	if got := exec(e, "--target", "ecs", "--", "true"); got != 2 || e.ErrOut.String() != "error: --target ecs cannot run one-off tasks\n" {
		t.Errorf("exit %d, stderr %q", got, e.ErrOut)
	}
}

// A spec that sets command (the entrypoint) gets a note: the command to run becomes its
// arguments, on both targets.
func TestRunEntrypointNote(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	if err := os.WriteFile(e.File, []byte(cmdtest.Spec+"command: [/docker-entrypoint.sh]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Target.Session.Runs.Result = &target.RunResult{Target: "eks", App: "web", Status: target.RunSucceeded, Message: "web exited 0", ContainerExitCode: code(0)}
	if got := exec(e, "--target", "eks", "--", "migrate", "--noinput"); got != 0 {
		t.Fatalf("exit %d\n%s", got, e.ErrOut)
	}
	want := "note: the spec's command [\"/docker-entrypoint.sh\"] stays the entrypoint; [\"migrate\" \"--noinput\"] are its arguments (the spec's args are replaced)\n" +
		"✓ web on eks: Succeeded: web exited 0 (exit 0)\n"
	if e.ErrOut.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, want)
	}
}

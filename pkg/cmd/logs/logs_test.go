package logs_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmd/logs"
	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var at = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// ecsLines are what an ECS session reads: two tasks, two containers, one multi-line message
// (a stack trace the awslogs driver kept together) and characters JSON must not escape.
var ecsLines = []target.LogLine{
	{Time: at, Task: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Container: "web", Message: "listening on :8080\n"},
	{Time: at.Add(1500 * time.Millisecond), Task: "9a8b7c6d5e4f30211203f4e5d6c7b8a9", Container: "envoy", Message: "upstream <web> & friends ready"},
	{Time: at.Add(2 * time.Second).In(time.FixedZone("KST", 9*3600)), Task: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Container: "web", Message: "panic: boom\n\tmain.go:12\r\n"},
}

const ecsText = `2026-03-04T05:06:07.890Z [0f1e2d3c4b5a69788796a5b4c3d2e1f0/web] listening on :8080
2026-03-04T05:06:09.390Z [9a8b7c6d5e4f30211203f4e5d6c7b8a9/envoy] upstream <web> & friends ready
2026-03-04T05:06:09.890Z [0f1e2d3c4b5a69788796a5b4c3d2e1f0/web] panic: boom
2026-03-04T05:06:09.890Z [0f1e2d3c4b5a69788796a5b4c3d2e1f0/web] 	main.go:12
`

const ecsJSON = `{"time":"2026-03-04T05:06:07.89Z","task":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","container":"web","message":"listening on :8080"}
{"time":"2026-03-04T05:06:09.39Z","task":"9a8b7c6d5e4f30211203f4e5d6c7b8a9","container":"envoy","message":"upstream <web> & friends ready"}
{"time":"2026-03-04T05:06:09.89Z","task":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","container":"web","message":"panic: boom\n\tmain.go:12"}
`

var eksLines = []target.LogLine{
	{Time: at, Pod: "web-7d9f8c6b5-x2x9q", Container: "web", Message: "GET /healthz 200"},
	{Time: at.Add(time.Millisecond), Pod: "web-7d9f8c6b5-p4k7m", Container: "log-router", Message: "flushed 3 records"},
}

const eksText = `2026-03-04T05:06:07.890Z [web-7d9f8c6b5-x2x9q/web] GET /healthz 200
2026-03-04T05:06:07.891Z [web-7d9f8c6b5-p4k7m/log-router] flushed 3 records
`

const eksJSON = `{"time":"2026-03-04T05:06:07.89Z","pod":"web-7d9f8c6b5-x2x9q","container":"web","message":"GET /healthz 200"}
{"time":"2026-03-04T05:06:07.891Z","pod":"web-7d9f8c6b5-p4k7m","container":"log-router","message":"flushed 3 records"}
`

// TestOutput: exact stdout in text and JSON Lines for both targets' lines; notes go to stderr
// in both modes, so stdout stays data.
func TestOutput(t *testing.T) {
	for _, tc := range []struct {
		name, target, output string
		lines                []target.LogLine
		want                 string
	}{
		{"ecs text", "ecs", "text", ecsLines, ecsText},
		{"ecs json", "ecs", "json", ecsLines, ecsJSON},
		{"eks text", "eks", "text", eksLines, eksText},
		{"eks json", "eks", "json", eksLines, eksJSON},
		{"nothing", "ecs", "json", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, tc.target, "")
			e.Target.Session.Logging.Lines = tc.lines
			e.Target.Session.Logging.Notes = []string{"container log_router logs through awsfirelens, not awslogs"}
			code := root.ExecuteFactory(context.Background(), e.Factory, []string{"logs", "--target", tc.target, "-f", e.File, "-o", tc.output})
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, e.ErrOut)
			}
			if got := e.Out.String(); got != tc.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tc.want)
			}
			if got, want := e.ErrOut.String(), "note: container log_router logs through awsfirelens, not awslogs\n"; got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
		})
	}
}

// TestFlags: each flag reaches the session as it was given, and the command's time bound is
// --timeout, else 2m, else none with --follow.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		want  target.LogsOptions
		limit time.Duration
	}{
		{"defaults", nil, target.LogsOptions{}, 2 * time.Minute},
		{"all", []string{"--since", "10m", "-c", "envoy", "--revision", "7"},
			target.LogsOptions{Since: 10 * time.Minute, Container: "envoy", Revision: "7"}, 2 * time.Minute},
		{"follow", []string{"--follow", "--container", "web"}, target.LogsOptions{Follow: true, Container: "web"}, 0},
		{"follow with timeout", []string{"--follow", "--timeout", "30s"}, target.LogsOptions{Follow: true}, 30 * time.Second},
		{"timeout", []string{"--timeout", "5s"}, target.LogsOptions{}, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "eks", "")
			var limit time.Duration
			e.Target.Session.Logging.Func = func(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
				limit, _ = target.Limit(ctx)
				return nil
			}
			code := root.ExecuteFactory(context.Background(), e.Factory, append([]string{"logs", "--target", "eks", "-f", e.File}, tc.args...))
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, e.ErrOut)
			}
			if got := e.Target.Session.Methods(); !slices.Equal(got, []string{"Logs"}) {
				t.Fatalf("calls %v", got)
			}
			if got := e.Target.Session.Calls[0].Options.(target.LogsOptions); got != tc.want {
				t.Errorf("options %+v, want %+v", got, tc.want)
			}
			if limit != tc.limit {
				t.Errorf("time bound %s, want %s", limit, tc.limit)
			}
		})
	}
}

// noLogs is a target whose sessions cannot read logs.
type noLogs struct{ target.Target }

type plainSession struct{ target.Session }

func (n noLogs) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	s, err := n.Target.Connect(ctx, app, opts)
	return plainSession{s}, err
}

// TestFailures: exact stderr and exit code of what can go wrong, and -o json's failure object.
func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		setup func(*cmdtest.Env)
		code  int
		out   string // stdout with -o json
		err   string // stderr in text mode
	}{
		{name: "negative since", args: []string{"--since", "-5m"}, code: 2,
			err: "error: --since -5m0s: give a positive duration, e.g. --since 10m\n"},
		{name: "target without logs", code: 2, setup: func(e *cmdtest.Env) { e.Factory.Targets["ecs"] = noLogs{e.Target} },
			err: "error: --target ecs cannot read logs\n"},
		{name: "not deployed", code: 1, setup: func(e *cmdtest.Env) {
			e.Target.Session.Logging.Err = errors.New("web is not deployed on ecs (cluster default in ap-northeast-2): no service web")
		}, err: "error: web is not deployed on ecs (cluster default in ap-northeast-2): no service web\n"},
		{name: "bad revision", args: []string{"--revision", "x"}, code: 2, setup: func(e *cmdtest.Env) {
			e.Target.Session.Logging.Err = &target.UsageError{Msg: "--revision x: give a task definition revision of web, e.g. --revision 7 or --revision web:7"}
		}, err: "error: --revision x: give a task definition revision of web, e.g. --revision 7 or --revision web:7\n"},
		{name: "lines then an error", code: 1, setup: func(e *cmdtest.Env) {
			e.Target.Session.Logging.Lines = ecsLines[:1]
			e.Target.Session.Logging.Err = errors.New("logs FilterLogEvents /ecs/web: ThrottlingException: Rate exceeded")
		}, out: `{"time":"2026-03-04T05:06:07.89Z","task":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","container":"web","message":"listening on :8080"}
`, err: "error: logs FilterLogEvents /ecs/web: ThrottlingException: Rate exceeded\n"},
	} {
		for _, output := range []string{"text", "json"} {
			t.Run(tc.name+" "+output, func(t *testing.T) {
				e := cmdtest.New(t, "ecs", "")
				if tc.setup != nil {
					tc.setup(e)
				}
				code := root.ExecuteFactory(context.Background(), e.Factory, append([]string{"logs", "--target", "ecs", "-f", e.File, "-o", output}, tc.args...))
				if code != tc.code {
					t.Errorf("exit %d, want %d", code, tc.code)
				}
				if e.ErrOut.String() != tc.err {
					t.Errorf("stderr %q, want %q", e.ErrOut, tc.err)
				}
				if output == "text" {
					return
				}
				// The last JSON object is the failure, as every failing command's.
				msg := strings.TrimPrefix(strings.TrimSuffix(tc.err, "\n"), "error: ")
				want := tc.out + "{\n  \"error\": " + quote(msg) + ",\n  \"exitCode\": " + itoa(tc.code) + ",\n  \"errors\": []\n}\n"
				if got := e.Out.String(); got != want {
					t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func itoa(n int) string { return string(rune('0' + n)) }

// TestFollowEnds: --follow runs until Ctrl-C (exit 130) or --timeout (exit 5), printing what
// came before; the message names what it was doing.
func TestFollowEnds(t *testing.T) {
	follow := func(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
		if err := sink.Line(eksLines[0]); err != nil {
			return err
		}
		<-ctx.Done()
		return context.Cause(ctx)
	}
	t.Run("timeout", func(t *testing.T) {
		e := cmdtest.New(t, "eks", "")
		e.Target.Session.Logging.Func = follow
		code := root.ExecuteFactory(context.Background(), e.Factory, []string{"logs", "--target", "eks", "-f", e.File, "--follow", "--timeout", "50ms"})
		if code != target.ExitTimedOut {
			t.Errorf("exit %d, want 5", code)
		}
		if e.Out.String() != eksText[:strings.Index(eksText, "\n")+1] {
			t.Errorf("stdout %q", e.Out)
		}
		if got, want := e.ErrOut.String(), "error: timed out after 50ms while following the logs of web\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		e := cmdtest.New(t, "eks", "")
		process, interrupt := context.WithCancelCause(context.Background())
		e.Target.Session.Logging.Func = func(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
			interrupt(errors.New("interrupted (SIGINT)"))
			return follow(ctx, app, opts, sink)
		}
		code := root.ExecuteFactory(process, e.Factory, []string{"logs", "--target", "eks", "-f", e.File, "--follow"})
		if code != target.ExitInterrupted {
			t.Errorf("exit %d, want 130", code)
		}
		if got, want := e.ErrOut.String(), "error: interrupted (SIGINT) while following the logs of web; nothing was written\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
}

// failingWriter is a reader that went away (a closed pipe).
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("write |1: broken pipe") }

// A reader that went away stops the command with that error (the session stops reading).
func TestClosedOutput(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.IOStreams.Out = failingWriter{}
	e.Target.Session.Logging.Lines = ecsLines
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	err := logs.Run(ctx, &logs.Options{IO: e.Factory.IOStreams, Global: e.Factory.Global, Targets: e.Factory.Targets, Target: "ecs"})
	if err == nil || err.Error() != "write |1: broken pipe" {
		t.Errorf("err %v", err)
	}
}

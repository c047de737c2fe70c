package cmdutil_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

func TestLookup(t *testing.T) {
	ts := cmdutil.Targets{"eks": targettest.New("eks"), "ecs": targettest.New("ecs")}
	if got, err := ts.Lookup("eks"); err != nil || got.Name() != "eks" {
		t.Errorf("eks: %v %v", got, err)
	}
	for name, want := range map[string]string{
		"":    "--target is required: one of ecs, eks",
		"k8s": "--target k8s: unknown target (use one of ecs, eks)",
	} {
		_, err := ts.Lookup(name)
		var usage *target.UsageError
		if !errors.As(err, &usage) || usage.Msg != want {
			t.Errorf("%q: %v, want %q", name, err, want)
		}
	}
}

func TestParseImages(t *testing.T) {
	got, err := cmdutil.ParseImages([]string{"web=r/web:1", "log=r/log@sha256:abc"})
	if err != nil || len(got) != 2 || got["web"] != "r/web:1" || got["log"] != "r/log@sha256:abc" {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"web", "=r/web:1", "web="} {
		if _, err := cmdutil.ParseImages([]string{bad}); target.ExitCode(err) != target.ExitInvalid || !strings.Contains(err.Error(), "expected NAME=REF") {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestCheckOutput(t *testing.T) {
	for out, ok := range map[string]bool{"text": true, "json": true, "yaml": false, "": false} {
		g := &cmdutil.GlobalOptions{Output: out}
		if err := g.CheckOutput(); (err == nil) != ok {
			t.Errorf("-o %q: %v", out, err)
		}
	}
}

// A silent error keeps its exit code and its cause.
func TestSilent(t *testing.T) {
	if cmdutil.Silent(nil) != nil {
		t.Error("Silent(nil) is not nil")
	}
	errs := spec.Errors{{Field: "name", Message: "is required"}}
	err := cmdutil.Silent(errs)
	var silent *cmdutil.SilentError
	if !errors.As(err, &silent) || target.ExitCode(err) != target.ExitInvalid || err.Error() != errs.Error() {
		t.Errorf("%v: exit %d", err, target.ExitCode(err))
	}
}

func TestStdinTTY(t *testing.T) {
	s := &cmdutil.IOStreams{In: strings.NewReader("")}
	if s.IsStdinTTY() {
		t.Error("a strings.Reader is a terminal")
	}
	yes := true
	s.StdinTTY = &yes
	if !s.IsStdinTTY() {
		t.Error("the override is ignored")
	}
}

func TestPrintVerdict(t *testing.T) {
	for _, tc := range []struct {
		v    target.Verdict
		json bool
		out  string
		code int
	}{
		{target.Verdict{Target: "ecs", App: "web", Phase: target.Succeeded, Message: "3/3"}, false, "✓ web on ecs: Succeeded: 3/3\n", 0},
		{target.Verdict{Target: "ecs", App: "web", Phase: target.RolledBack, Message: "back to 6"}, false, "✗ web on ecs: RolledBack: back to 6\n", target.ExitRolledBack},
		{target.Verdict{Target: "ecs", App: "web", Phase: target.Failed, Message: "crash"}, true, `"phase": "Failed"`, target.ExitFailed},
	} {
		var out, errOut bytes.Buffer
		g := &cmdutil.GlobalOptions{Output: "text"}
		if tc.json {
			g.Output = "json"
		}
		err := g.PrintVerdict(context.Background(), &cmdutil.IOStreams{Out: &out, ErrOut: &errOut}, &tc.v)
		if target.ExitCode(err) != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("%s: exit %d, stdout %q", tc.v.Phase, target.ExitCode(err), out.String())
		}
	}
}

// A watch cut by the command's time bound is a timeout (exit 5), not an interrupt.
func TestPrintVerdictOutOfTime(t *testing.T) {
	ctx, cancel := target.CommandContext(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	var out bytes.Buffer
	g := &cmdutil.GlobalOptions{Output: "text"}
	err := g.PrintVerdict(ctx, &cmdutil.IOStreams{Out: &out, ErrOut: &out}, &target.Verdict{App: "web", Target: "eks", Phase: target.Canceled, Message: "interrupted: 1/3 ready"})
	if target.ExitCode(err) != target.ExitTimedOut || !strings.Contains(out.String(), "TimedOut") || !strings.Contains(out.String(), "1/3 ready") {
		t.Errorf("exit %d, stdout %q", target.ExitCode(err), out.String())
	}
}

// A verdict made from the timeout itself (a deploy stopped before its watch) says it once, and
// without the bound's own cause at the end.
func TestPrintVerdictTimeoutSaidOnce(t *testing.T) {
	// The step is recorded while the bound runs (a step after it ran out is not): 200 ms is
	// ample for the next line, and the test then waits for the bound.
	ctx, cancel := target.CommandContext(context.Background(), 200*time.Millisecond)
	defer cancel()
	target.Step(ctx, "connecting to eks")
	<-ctx.Done()
	te := cmdutil.Stopped(ctx, fmt.Errorf("reaching the API server: %w", context.Cause(ctx)))
	var out bytes.Buffer
	g := &cmdutil.GlobalOptions{Output: "text"}
	_ = g.PrintVerdict(ctx, &cmdutil.IOStreams{Out: &out, ErrOut: &out}, &target.Verdict{App: "web", Target: "eks", Phase: target.TimedOut, Message: te.Error()})
	want := "✗ web on eks: TimedOut: timed out after 200ms while connecting to eks: reaching the API server\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

func TestStopped(t *testing.T) {
	if cmdutil.Stopped(context.Background(), nil) != nil {
		t.Error("nil is not nil")
	}
	plain := errors.New("boom")
	if got := cmdutil.Stopped(context.Background(), plain); got != plain {
		t.Errorf("plain error became %v", got)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cctx, stop := target.CommandContext(ctx, 0)
	defer stop()
	target.Step(cctx, "applying")
	cancel(cmdutil.Interrupt{Signal: syscall.SIGTERM})
	<-cctx.Done()
	err := cmdutil.Stopped(cctx, plain)
	var ie *target.InterruptError
	if !errors.As(err, &ie) || target.ExitCode(err) != target.ExitInterrupted {
		t.Fatalf("%v, want an interrupt", err)
	}
	if !strings.Contains(err.Error(), "SIGTERM") || !strings.Contains(err.Error(), "applying") {
		t.Errorf("%q does not name the signal and the step", err)
	}
	rollout := &target.VerdictError{Phase: target.Failed, Message: "crash"}
	if got := cmdutil.Stopped(cctx, rollout); got != rollout {
		t.Errorf("a rollout error became %v", got)
	}
}

func TestSignalName(t *testing.T) {
	for s, want := range map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "hangup"} {
		if got := cmdutil.SignalName(s); got != want {
			t.Errorf("%v: %q, want %q", s, got, want)
		}
	}
	if got := fmt.Sprint(cmdutil.Interrupt{Signal: os.Interrupt}); got != "interrupted (SIGINT)" {
		t.Errorf("%q", got)
	}
}

// Connect passes the access flags to the target, and a spec with errors never reaches it.
func TestLoadForAndConnect(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shipit.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nname: web\nimage: r/web:1\nport: 80\nreplicas: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := targettest.New("eks")
	ts := cmdutil.Targets{"eks": fake}
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	g := &cmdutil.GlobalOptions{File: file, Output: "text", Region: "eu-west-1", Context: "kind", RequestTimeout: time.Second,
		Getenv: func(string) (string, bool) { return "", false }}
	_, app, s, err := g.Connect(context.Background(), io, ts, "eks", []string{"web=r/web:2"})
	if err != nil {
		t.Fatal(err)
	}
	if s != fake.Session || app.Name != "web" {
		t.Errorf("session %v app %v", s, app.Name)
	}
	if got := fake.Session.Connects; len(got) != 1 || got[0] != (target.ConnectOptions{Region: "eu-west-1", Context: "kind", RequestTimeout: time.Second}) {
		t.Errorf("connect options %+v", got)
	}

	if err := os.WriteFile(file, []byte("version: 1\nname: Web_App\nimage: r/web:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake = targettest.New("eks")
	_, _, _, err = g.Connect(context.Background(), io, cmdutil.Targets{"eks": fake}, "eks", nil)
	var errs spec.Errors
	if !errors.As(err, &errs) || len(fake.Session.Connects) != 0 {
		t.Errorf("invalid spec: %v, connects %d", err, len(fake.Session.Connects))
	}
	fake.ConnectErr = errors.New("no credentials")
	if err := os.WriteFile(file, []byte("version: 1\nname: web\nimage: r/web:1\nport: 80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := g.Connect(context.Background(), io, cmdutil.Targets{"eks": fake}, "eks", nil); err == nil || err.Error() != "no credentials" {
		t.Errorf("connect error: %v", err)
	}
}

func TestDeployBound(t *testing.T) {
	if got := cmdutil.DeployBound(10 * time.Minute); got != 25*time.Minute {
		t.Errorf("%v", got)
	}
}

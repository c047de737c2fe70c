package diff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

func run(t *testing.T, e *cmdtest.Env, noExitCode bool) error {
	t.Helper()
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	return Run(ctx, &Options{IO: e.Factory.IOStreams, Global: e.Factory.Global, Targets: e.Factory.Targets, Target: "eks", NoExitCode: noExitCode, Timeout: time.Minute})
}

const change = "--- live Deployment/web\n+++ spec Deployment/web\n-  replicas: 2\n+  replicas: 3\n"

// Differences print the diff on stdout and exit 6; --dry-run (NoExitCode) shows them and
// exits 0; no differences say so on stderr and exit 0.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		diff       target.DiffResult
		noExitCode bool
		json       bool
		code       int
		out, err   string
	}{
		{"changed", target.DiffResult{Changed: true, Diff: change}, false, false, target.ExitDiff, change, ""},
		{"changed, dry run", target.DiffResult{Changed: true, Diff: change}, true, false, target.ExitOK, change, ""},
		{"unchanged", target.DiffResult{}, false, false, target.ExitOK, "", "web on eks: no differences\n"},
		{"changed, json", target.DiffResult{Changed: true, Diff: change}, false, true, target.ExitDiff, `"changed": true`, ""},
		{"unchanged, json", target.DiffResult{}, false, true, target.ExitOK, `"changed": false`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "eks", "")
			e.Target.Session.DiffResult = &tc.diff
			if tc.json {
				e.Factory.Global.Output = "json"
			}
			err := run(t, e, tc.noExitCode)
			if code := target.ExitCode(err); code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			if tc.json && !strings.Contains(e.Out.String(), tc.out) || !tc.json && e.Out.String() != tc.out {
				t.Errorf("stdout %q, want %q", e.Out, tc.out)
			}
			if e.ErrOut.String() != tc.err {
				t.Errorf("stderr %q, want %q", e.ErrOut, tc.err)
			}
		})
	}
}

// A failing read, an unknown target and a bad -o never reach a diff.
func TestErrors(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	e.Target.Session.DiffErr = errors.New("forbidden")
	if err := run(t, e, false); err == nil || err.Error() != "forbidden" {
		t.Errorf("err %v, want the session's", err)
	}

	e = cmdtest.New(t, "eks", "")
	e.Factory.Global.Output = "yaml"
	if err := run(t, e, false); target.ExitCode(err) != target.ExitInvalid {
		t.Errorf("-o yaml: %v, want a usage error", err)
	}
	e = cmdtest.New(t, "ecs", "")
	err := run(t, e, false)
	var usage *target.UsageError
	if !errors.As(err, &usage) || !strings.Contains(usage.Msg, "--target eks: unknown target (use one of ecs)") {
		t.Errorf("unknown target: %v", err)
	}
	if len(e.Target.Session.Calls) != 0 {
		t.Errorf("calls %v, want none", e.Target.Session.Calls)
	}
}

// The flags land in the options; a positional argument is a usage error.
func TestFlags(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	var got *Options
	cmd := NewCmd(e.Factory, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--target", "eks", "--image", "web=r/web:2", "--timeout", "30s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Target != "eks" || len(got.Images) != 1 || got.Images[0] != "web=r/web:2" || got.Timeout != 30*time.Second || got.NoExitCode {
		t.Errorf("options %+v", got)
	}
	cmd = NewCmd(e.Factory, nil)
	cmd.SetArgs([]string{"--target", "eks"})
	e.Target.Session.DiffResult = &target.DiffResult{Changed: true, Diff: change}
	if err := cmd.Execute(); target.ExitCode(err) != target.ExitDiff {
		t.Errorf("diff through the command: %v, want exit 6", err)
	}
}

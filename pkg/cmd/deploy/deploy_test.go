package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// An interrupted deploy says what it left behind; "applied whole" only when something was.
func TestInterruptedNote(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    target.Verdict
		want string
	}{
		{"applied", target.Verdict{Applied: []string{"Deployment/web", "Service/web"}},
			"every object was applied whole, the rollout goes on.\napplied: Deployment/web, Service/web\n"},
		{"unchanged", target.Verdict{Unchanged: true}, "nothing was applied (the live app already matched the spec)"},
		{"nothing written", target.Verdict{}, "interrupted before anything was written; the live app is as it was."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := interruptedNote(context.Background(), &tc.v, "eks", "shipit.yaml")
			if !strings.Contains(got, tc.want) || !strings.HasSuffix(got, "check it with: shipit status --target eks -f shipit.yaml\n") {
				t.Errorf("got %q, want it to hold %q and the status command", got, tc.want)
			}
		})
	}
}

// deploy passes its flags to the session and exits with the verdict's code; --dry-run only
// diffs, and differences are not a failure there.
func TestDeployThroughFake(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		v     *target.Verdict
		code  int
		calls []string
	}{
		{"succeeded", []string{"--no-wait", "--force-conflicts", "--image", "web=r/web:2"}, nil, target.ExitOK, []string{"Deploy"}},
		{"rolled back", nil, &target.Verdict{App: "web", Phase: target.RolledBack, Message: "back to 6", RolledBackTo: "6"}, target.ExitRolledBack, []string{"Deploy"}},
		{"dry run", []string{"--dry-run"}, nil, target.ExitOK, []string{"Diff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "eks", "")
			e.Target.Session.Verdict = tc.v
			e.Target.Session.DiffResult = &target.DiffResult{Changed: true, Diff: "-a\n+b\n"}
			cmd := NewCmd(e.Factory, nil)
			cmd.SetArgs(append([]string{"--target", "eks"}, tc.args...))
			ctx, cancel := target.CommandContext(context.Background(), 0)
			defer cancel()
			err := cmd.ExecuteContext(ctx)
			if code := target.ExitCode(err); code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			if got := e.Target.Session.Methods(); !slices.Equal(got, tc.calls) {
				t.Fatalf("calls %v, want %v", got, tc.calls)
			}
			if tc.name == "succeeded" {
				if got := e.Target.Session.Calls[0].Options.(target.DeployOptions); !got.NoWait || !got.ForceConflicts {
					t.Errorf("options %+v", got)
				}
				if !strings.Contains(e.Out.String(), "✓ web on") {
					t.Errorf("stdout %q", e.Out)
				}
			}
		})
	}
}

// A deploy whose session fails because the command ran out of time is a timed-out verdict.
func TestDeployOutOfTime(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	e.Target.Session.DeployFunc = func(ctx context.Context, _ *spec.App, _ target.DeployOptions, _ target.Reporter) (*target.Verdict, error) {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	}
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	err := Run(ctx, &Options{IO: e.Factory.IOStreams, Global: e.Factory.Global, Targets: e.Factory.Targets, Target: "eks", Timeout: time.Millisecond})
	if code := target.ExitCode(err); code != target.ExitTimedOut {
		t.Errorf("exit %d (%v), want 5", code, err)
	}
	if !strings.Contains(e.Out.String(), "TimedOut") || !strings.Contains(e.ErrOut.String(), "check what is live with: shipit status --target eks") {
		t.Errorf("stdout %q stderr %q", e.Out, e.ErrOut)
	}
}

package destroy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

func run(t *testing.T, e *cmdtest.Env, yes bool) error {
	t.Helper()
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	o := &Options{IO: e.Factory.IOStreams, Global: e.Factory.Global, Targets: e.Factory.Targets, Target: "ecs", Yes: yes, Timeout: time.Minute}
	return Run(ctx, o)
}

func plan(e *cmdtest.Env) {
	e.Target.Session.Plan = &target.DestroyResult{Deleted: []string{"service web", "task definitions web"}, Kept: []string{"log group /ecs/web"}}
	e.Target.Session.Destroyed = &target.DestroyResult{Deleted: []string{"service web", "task definitions web"}, Kept: []string{"log group /ecs/web"}}
}

// The flags land in the options; the global ones stay the factory's.
func TestFlags(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	var got *Options
	cmd := NewCmd(e.Factory, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--target", "ecs", "--yes", "--purge-logs", "--timeout", "42s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Target != "ecs" || !got.Yes || !got.PurgeLogs || got.Timeout != 42*time.Second || got.Global != e.Factory.Global {
		t.Errorf("options %+v", got)
	}
	cmd = NewCmd(e.Factory, func(context.Context, *Options) error { t.Fatal("ran with a positional argument"); return nil })
	cmd.SetArgs([]string{"web"})
	var usage *target.UsageError
	if err := cmd.Execute(); !errors.As(err, &usage) {
		t.Errorf("positional argument: %v, want a usage error", err)
	}
}

// Without --yes and without a terminal, destroy refuses and deletes nothing, naming what it
// would delete.
func TestNoTerminalRefuses(t *testing.T) {
	e := cmdtest.New(t, "ecs", "web\n")
	e.SetStdinTTY(false)
	plan(e)
	err := run(t, e, false)
	var usage *target.UsageError
	if !errors.As(err, &usage) || !strings.Contains(usage.Msg, "pass --yes to delete service web, task definitions web") {
		t.Fatalf("err %v, want a usage error asking for --yes", err)
	}
	if got := e.Target.Session.Methods(); !slices.Equal(got, []string{"Destroy"}) {
		t.Errorf("calls %v, want the plan only", got)
	}
	if !e.Target.Session.Calls[0].Options.(target.DestroyOptions).Plan {
		t.Error("the only Destroy call was not a plan")
	}
}

// On a terminal, a wrong answer deletes nothing; the app's name deletes.
func TestConfirmation(t *testing.T) {
	for _, tc := range []struct {
		answer  string
		deletes bool
	}{
		{"web\n", true},
		{"  web  \n", true},
		{"yes\n", false},
		{"", false},
		{"WEB\n", false},
	} {
		t.Run(strings.TrimSpace(tc.answer), func(t *testing.T) {
			e := cmdtest.New(t, "ecs", tc.answer)
			e.SetStdinTTY(true)
			plan(e)
			err := run(t, e, false)
			prompt := e.ErrOut.String()
			for _, want := range []string{"This deletes from ecs:\n  service web\n  task definitions web\n", "and keeps:\n  log group /ecs/web\n", "Type the app's name (web) to continue: "} {
				if !strings.Contains(prompt, want) {
					t.Errorf("prompt %q lacks %q", prompt, want)
				}
			}
			calls := e.Target.Session.Methods()
			if !tc.deletes {
				var usage *target.UsageError
				if !errors.As(err, &usage) || usage.Msg != "not confirmed; nothing deleted" {
					t.Errorf("err %v, want not confirmed", err)
				}
				if len(calls) != 1 {
					t.Errorf("calls %v, want the plan only", calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 2 || e.Target.Session.Calls[1].Options.(target.DestroyOptions).Plan {
				t.Errorf("calls %+v, want a plan then a delete", e.Target.Session.Calls)
			}
			if got, want := e.Out.String(), "deleted service web\ndeleted task definitions web\nkept    log group /ecs/web\n"; got != want {
				t.Errorf("stdout %q, want %q", got, want)
			}
		})
	}
}

// --yes deletes without a plan or a question; an empty plan deletes nothing.
func TestYesAndNothingToDelete(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	plan(e)
	e.Factory.Global.Output = "json"
	if err := run(t, e, true); err != nil {
		t.Fatal(err)
	}
	if got := e.Target.Session.Methods(); !slices.Equal(got, []string{"Destroy"}) || e.Target.Session.Calls[0].Options.(target.DestroyOptions).Plan {
		t.Errorf("calls %+v, want one delete", e.Target.Session.Calls)
	}
	if !strings.Contains(e.Out.String(), `"deleted": [`) || e.ErrOut.Len() != 0 {
		t.Errorf("stdout %q stderr %q, want the JSON result only", e.Out, e.ErrOut)
	}

	e = cmdtest.New(t, "ecs", "")
	e.SetStdinTTY(true)
	if err := run(t, e, false); err != nil {
		t.Fatal(err)
	}
	if got := e.ErrOut.String(); !strings.Contains(got, "nothing of web's on ecs to delete") {
		t.Errorf("stderr %q", got)
	}
	if got := e.Target.Session.Methods(); len(got) != 1 {
		t.Errorf("calls %v, want the plan only", got)
	}
}

// A failing delete passes its error on.
func TestDestroyError(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Target.Session.DestroyErr = errors.New("AccessDenied")
	if err := run(t, e, true); err == nil || err.Error() != "AccessDenied" {
		t.Errorf("err %v", err)
	}
}

package root

import (
	"context"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// TestColour: on a terminal, deploy's progress phases (stderr) and its verdict (stdout) are in
// colour; each switch turns it off: --no-color, NO_COLOR set to anything but empty, CI=true,
// output that is not a terminal.
func TestColour(t *testing.T) {
	const (
		plainErr = "09:30:00 Progressing 1 of 2 tasks running\n09:30:00 Failed      2 tasks stopped: CannotPullContainerError\n"
		plainOut = "✗ web on ecs: Failed: 2 tasks stopped: CannotPullContainerError\n"
		colorErr = "09:30:00 \033[36mProgressing\033[0m 1 of 2 tasks running\n09:30:00 \033[31mFailed\033[0m      2 tasks stopped: CannotPullContainerError\n"
		colorOut = "\033[31m✗\033[0m web on ecs: \033[31mFailed\033[0m: 2 tasks stopped: CannotPullContainerError\n"
	)
	for _, c := range []struct {
		name     string
		tty      bool
		noColor  string // NO_COLOR
		ci       string // CI
		flag     bool   // --no-color
		out, err string
	}{
		{name: "terminal", tty: true, out: colorOut, err: colorErr},
		{name: "NO_COLOR empty is unset", tty: true, noColor: "", out: colorOut, err: colorErr},
		{name: "CI=false", tty: true, ci: "false", out: colorOut, err: colorErr},
		{name: "--no-color", tty: true, flag: true, out: plainOut, err: plainErr},
		{name: "NO_COLOR=1", tty: true, noColor: "1", out: plainOut, err: plainErr},
		{name: "NO_COLOR=false", tty: true, noColor: "false", out: plainOut, err: plainErr},
		{name: "CI=true", tty: true, ci: "true", out: plainOut, err: plainErr},
		{name: "not a terminal", tty: false, out: plainOut, err: plainErr},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", c.noColor)
			t.Setenv("CI", c.ci)
			e := cmdtest.New(t, "ecs", "")
			e.SetOutputTTY(c.tty)
			at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
			e.Target.Session.DeployFunc = func(_ context.Context, app *spec.App, _ target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
				r.Report(target.Event{Time: at, Phase: target.Progressing, Message: "1 of 2 tasks running"})
				r.Report(target.Event{Time: at, Phase: target.Failed, Message: "2 tasks stopped: CannotPullContainerError"})
				return &target.Verdict{Target: "ecs", App: app.Name, Phase: target.Failed, Message: "2 tasks stopped: CannotPullContainerError"}, nil
			}
			args := []string{"deploy", "--target", "ecs", "-f", e.File}
			if c.flag {
				args = append(args, "--no-color")
			}
			if code := ExecuteFactory(context.Background(), e.Factory, args); code != target.ExitFailed {
				t.Fatalf("exit %d, want 3: %s", code, e.ErrOut)
			}
			if e.Out.String() != c.out || e.ErrOut.String() != c.err {
				t.Errorf("stdout %q\nwant   %q\nstderr %q\nwant   %q", e.Out, c.out, e.ErrOut, c.err)
			}
		})
	}
}

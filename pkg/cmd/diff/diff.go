// Package diff is `shipit diff`: the render against what is live, normalised.
package diff

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// ErrDifferences makes diff exit 6 when the live app differs from the spec.
type ErrDifferences struct{}

func (ErrDifferences) Error() string { return "the live app differs from the spec" }

// DiffExitCode marks the error for target.ExitCode (exit 6).
func (ErrDifferences) DiffExitCode() {}

// Options are diff's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	Images  []string
	// NoExitCode: deploy --dry-run shows the diff but differences are not a failure.
	NoExitCode bool
	Timeout    time.Duration
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "diff --target ecs|eks",
		Short: "Show how the live app differs from the spec (exit 6 when it does)",
		Example: "  shipit diff --target eks\n" +
			"  shipit diff --target ecs --env production --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:3f9c2e1\n" +
			"  shipit diff --target eks -o json | jq -r .diff",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmdutil.ImageFlag(cmd, &o.Images)
	cmdutil.TimeoutFlag(cmd, &o.Timeout, cmdutil.DefaultReadTimeout)
	return cmd
}

// Run diffs.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	t, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, o.Images)
	if err != nil {
		return err
	}
	target.Step(ctx, "reading what is live")
	d, err := s.Diff(ctx, app)
	if err != nil {
		return err
	}
	var failed error
	if d.Changed && !o.NoExitCode {
		failed = ErrDifferences{}
	}
	if o.Global.JSON() {
		// Exit 6 carries the failure fields every non-zero exit's JSON result has.
		res := struct {
			*target.DiffResult
			*cmdutil.Failure
		}{d, cmdutil.FailureOf(failed)}
		if err := cmdutil.PrintJSON(o.IO.Out, res); err != nil {
			return err
		}
	} else if d.Changed {
		fmt.Fprint(o.IO.Out, d.Diff)
	} else {
		fmt.Fprintf(o.IO.ErrOut, "%s on %s: no differences\n", app.Name, t.Name())
	}
	return failed
}

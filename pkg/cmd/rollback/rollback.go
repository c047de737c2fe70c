// Package rollback is `shipit rollback`: back to the previous (or a given) revision, watched
// like a deploy.
package rollback

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are rollback's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	To      string
	Timeout time.Duration
	NoWait  bool
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "rollback --target ecs|eks [--to REVISION]",
		Short: "Return to the previous (or a given) revision and watch it",
		Example: "  shipit rollback --target eks\n" +
			"  shipit rollback --target ecs --to web:6\n" +
			"  shipit rollback --target eks --to 3 --timeout 5m -o json",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmd.Flags().StringVar(&o.To, "to", "", "`REVISION` to return to, as shipit history prints it (default: the previous one)")
	cmdutil.WatchFlags(cmd, &o.Timeout, &o.NoWait)
	return cmd
}

// Run rolls back.
func Run(ctx context.Context, o *Options) error {
	target.SetLimitWithGrace(ctx, o.Timeout, cmdutil.WatchGrace)
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, nil)
	if err != nil {
		return err
	}
	target.SetLimit(ctx, cmdutil.DeployBound(app.RolloutTimeout()))
	target.Step(ctx, "rolling back")
	v, err := s.Rollback(ctx, app, target.RollbackOptions{To: o.To, Timeout: o.Timeout, NoWait: o.NoWait}, o.Global.Reporter(o.IO))
	if err != nil {
		return err
	}
	return o.Global.PrintVerdict(ctx, o.IO, v)
}

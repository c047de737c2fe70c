// Package rollback is `shipit rollback`: back to the previous (or a given) revision, watched
// like a deploy.
package rollback

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are rollback's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Target  string
	To      string
	Timeout time.Duration
	NoWait  bool
}

// NewCmd builds the cobra command.
func NewCmd(io *cmdutil.IOStreams, g *cmdutil.GlobalOptions) *cobra.Command {
	o := &Options{IO: io, Global: g}
	cmd := &cobra.Command{
		Use:   "rollback --target ecs|eks [--to REVISION]",
		Short: "Return to the previous (or a given) revision and watch it",
		Args:  cmdutil.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return Run(cmd, o) },
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmd.Flags().StringVar(&o.To, "to", "", "revision to return to (default: the previous one)")
	cmdutil.WatchFlags(cmd, &o.Timeout, &o.NoWait)
	return cmd
}

// Run rolls back.
func Run(cmd *cobra.Command, o *Options) error {
	ctx := cmd.Context()
	target.SetLimitWithGrace(ctx, o.Timeout, cmdutil.WatchGrace)
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Target, nil)
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

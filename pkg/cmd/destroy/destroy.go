// Package destroy is `shipit destroy`: remove what shipit created for the app, after asking.
package destroy

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are destroy's inputs.
type Options struct {
	IO        *cmdutil.IOStreams
	Global    *cmdutil.GlobalOptions
	Targets   cmdutil.Targets
	Target    string
	Yes       bool
	PurgeLogs bool
	Timeout   time.Duration
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "destroy --target ecs|eks",
		Short: "Remove what shipit created for the app (never anything it did not create)",
		Example: "  shipit destroy --target eks\n" +
			"  shipit destroy --target ecs --env staging --yes\n" +
			"  shipit destroy --target ecs --yes --purge-logs",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&o.PurgeLogs, "purge-logs", false, "also delete the log group (ecs)")
	cmdutil.TimeoutFlag(cmd, &o.Timeout, cmdutil.DefaultDestroyTimeout)
	return cmd
}

// Run lists what would go, asks, then deletes.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	t, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, nil)
	if err != nil {
		return err
	}
	rep := o.Global.Reporter(o.IO)
	if !o.Yes {
		target.Step(ctx, "listing what destroy would delete")
		plan, err := s.Destroy(ctx, app, target.DestroyOptions{Plan: true, PurgeLogs: o.PurgeLogs}, rep)
		if err != nil {
			return err
		}
		if len(plan.Deleted) == 0 {
			fmt.Fprintf(o.IO.ErrOut, "nothing of %s's on %s to delete\n", app.Name, t.Name())
			return nil
		}
		if !o.IO.IsStdinTTY() {
			return &target.UsageError{Msg: "destroy asks for confirmation and stdin is not a terminal: pass --yes to delete " + strings.Join(plan.Deleted, ", ")}
		}
		fmt.Fprintf(o.IO.ErrOut, "This deletes from %s:\n  %s\n", t.Name(), strings.Join(plan.Deleted, "\n  "))
		if len(plan.Kept) > 0 {
			fmt.Fprintf(o.IO.ErrOut, "and keeps:\n  %s\n", strings.Join(plan.Kept, "\n  "))
		}
		fmt.Fprintf(o.IO.ErrOut, "Type the app's name (%s) to continue: ", app.Name)
		line, _ := bufio.NewReader(o.IO.In).ReadString('\n')
		if strings.TrimSpace(line) != app.Name {
			return &target.UsageError{Msg: "not confirmed; nothing deleted"}
		}
	}
	target.Step(ctx, "destroying")
	res, err := s.Destroy(ctx, app, target.DestroyOptions{PurgeLogs: o.PurgeLogs}, rep)
	if err != nil {
		if target.Interrupted(ctx) {
			return &target.InterruptError{Cause: context.Cause(ctx), Step: "destroying (see what is left with shipit status --target " + t.Name() + ", and run destroy again)", Err: err, Wrote: true}
		}
		return err
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, res)
	}
	for _, d := range res.Deleted {
		fmt.Fprintf(o.IO.Out, "deleted %s\n", d)
	}
	for _, k := range res.Kept {
		fmt.Fprintf(o.IO.Out, "kept    %s\n", k)
	}
	return nil
}

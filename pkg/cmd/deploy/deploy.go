// Package deploy is `shipit deploy`: apply the spec and watch the rollout to a verdict.
package deploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmd/diff"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are deploy's inputs.
type Options struct {
	IO             *cmdutil.IOStreams
	Global         *cmdutil.GlobalOptions
	Target         string
	Images         []string
	NoWait         bool
	DryRun         bool
	Timeout        time.Duration
	ForceConflicts bool
}

// NewCmd builds the cobra command.
func NewCmd(io *cmdutil.IOStreams, g *cmdutil.GlobalOptions) *cobra.Command {
	o := &Options{IO: io, Global: g}
	cmd := &cobra.Command{
		Use:   "deploy --target ecs|eks",
		Short: "Apply the spec and watch the rollout until it succeeds, fails, rolls back or times out",
		Example: "  shipit deploy --target eks -f examples/web-app/shipit.yaml\n" +
			"  shipit deploy --target ecs --env production --image web-app=123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.DryRun {
				return diff.Run(cmd, &diff.Options{IO: io, Global: g, Target: o.Target, Images: o.Images, NoExitCode: true})
			}
			return Run(cmd, o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmdutil.ImageFlag(cmd, &o.Images)
	cmdutil.WatchFlags(cmd, &o.Timeout, &o.NoWait)
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "render and diff against what is live; write nothing")
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "eks: take over fields another field manager owns, and another deploy's lock; ecs: deploy even while another deployment is in progress")
	return cmd
}

// Run deploys.
func Run(cmd *cobra.Command, o *Options) error {
	ctx := cmd.Context()
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Target, o.Images)
	if err != nil {
		return err
	}
	v, err := s.Deploy(ctx, app, target.DeployOptions{NoWait: o.NoWait, Timeout: o.Timeout, ForceConflicts: o.ForceConflicts}, o.Global.Reporter(o.IO))
	if err != nil {
		return err
	}
	if v.Phase == target.Canceled && !o.Global.JSON() {
		fmt.Fprint(o.IO.ErrOut, interruptedNote(v, o))
	}
	return o.Global.PrintVerdict(o.IO, v)
}

// interruptedNote tells what an interrupted deploy left behind and how to check it.
func interruptedNote(v *target.Verdict, o *Options) string {
	check := fmt.Sprintf("check it with: shipit status --target %s -f %s\n", o.Target, o.Global.File)
	switch {
	case len(v.Applied) > 0:
		return "interrupted: stopped watching; every object was applied whole, the rollout goes on.\napplied: " + strings.Join(v.Applied, ", ") + "\n" + check
	case v.Unchanged:
		return "interrupted: stopped watching; nothing was applied (the live app already matched the spec).\n" + check
	}
	return "interrupted before anything was written; the live app is as it was.\n" + check
}

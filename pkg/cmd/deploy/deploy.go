// Package deploy is `shipit deploy`: apply the spec and watch the rollout to a verdict.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmd/diff"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are deploy's inputs.
type Options struct {
	IO             *cmdutil.IOStreams
	Global         *cmdutil.GlobalOptions
	Targets        cmdutil.Targets
	Target         string
	Images         []string
	NoWait         bool
	DryRun         bool
	Timeout        time.Duration
	ForceConflicts bool
	// MaxParallel bounds how many apps deploy at once when -f names several (RunMany).
	MaxParallel int

	// now tells the time of the summary's durations; nil is time.Now (tests fix it).
	now func() time.Time
}

// DefaultMaxParallel is --max-parallel's default: enough to overlap the waiting of a typical
// batch, few enough not to hammer one control plane or API account.
const DefaultMaxParallel = 8

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests). A
// --dry-run runs diff.Run.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "deploy --target ecs|eks",
		Short: "Apply the spec and watch the rollout until it succeeds, fails, rolls back or times out",
		Example: "  shipit deploy --target eks -f examples/web-app/shipit.yaml\n" +
			"  shipit deploy --target ecs --env production --image web-app=123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1\n" +
			"  shipit deploy --target eks -f services/ --max-parallel 4          # every shipit.yaml below services/\n" +
			"  shipit deploy --target ecs -f api/shipit.yaml -f worker/shipit.yaml -o json",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			if o.Global.ManySpecs() {
				return RunMany(cmd.Context(), o)
			}
			if o.DryRun {
				timeout := o.Timeout
				if timeout <= 0 {
					timeout = cmdutil.DefaultReadTimeout
				}
				return diff.Run(cmd.Context(), &diff.Options{IO: o.IO, Global: o.Global, Targets: o.Targets, Target: o.Target, Images: o.Images, NoExitCode: true, Timeout: timeout})
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.DeployFilesFlag(cmd, o.Global)
	cmdutil.TargetFlag(cmd, &o.Target)
	cmdutil.ImageFlag(cmd, &o.Images)
	cmdutil.WatchFlags(cmd, &o.Timeout, &o.NoWait)
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "render and diff against what is live; write nothing")
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "eks: take over fields another field manager owns, and another deploy's lock; ecs: deploy even while another deployment is in progress")
	cmd.Flags().IntVar(&o.MaxParallel, "max-parallel", DefaultMaxParallel, "with several specs (-f repeated, or a directory): deploy at most this many apps at once")
	return cmd
}

// deployOptions are the flags a session's Deploy takes.
func (o *Options) deployOptions() target.DeployOptions {
	return target.DeployOptions{NoWait: o.NoWait, Timeout: o.Timeout, ForceConflicts: o.ForceConflicts}
}

// Run deploys one app.
func Run(ctx context.Context, o *Options) error {
	// --timeout bounds the whole command, the spec's reading included.
	target.SetLimitWithGrace(ctx, o.Timeout, cmdutil.WatchGrace)
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, o.Images)
	if err != nil {
		return o.stopped(ctx, app, err)
	}
	target.SetLimit(ctx, cmdutil.DeployBound(app.RolloutTimeout()))
	v, err := s.Deploy(ctx, app, o.deployOptions(), o.Global.Reporter(o.IO))
	if err != nil {
		return o.stopped(ctx, app, err)
	}
	nameInterrupt(ctx, v)
	if v.Phase == target.Canceled || target.OutOfTime(ctx, nil) != nil {
		if !o.Global.JSON() {
			fmt.Fprint(o.IO.ErrOut, interruptedNote(ctx, v, o.Target, o.Global.File))
		}
	}
	return o.Global.PrintVerdict(ctx, o.IO, v)
}

// nameInterrupt names the signal and the step it came in in the verdict of an interrupted
// deploy.
func nameInterrupt(ctx context.Context, v *target.Verdict) {
	if v.Phase != target.Canceled || !target.Interrupted(ctx) {
		return
	}
	prefix := (&target.InterruptError{Cause: context.Cause(ctx), Step: target.CurrentStep(ctx)}).Prefix()
	if strings.HasPrefix(v.Message, "interrupted before anything was written") {
		v.Message = prefix + "; nothing was written"
	} else {
		v.Message = strings.Replace(v.Message, "interrupted", prefix, 1)
	}
}

// stopped turns an error that an interrupt or the time bound caused into the verdict it
// is (so -o json still prints a verdict object); other errors pass through.
func (o *Options) stopped(ctx context.Context, app *spec.App, err error) error {
	v, err := stoppedVerdict(ctx, o.Target, app, err)
	if v == nil {
		return err
	}
	if !o.Global.JSON() {
		fmt.Fprint(o.IO.ErrOut, checkLive(o.Target, o.Global.File))
	}
	return o.Global.PrintVerdict(ctx, o.IO, v)
}

// stoppedVerdict is the verdict (TimedOut or Canceled) of a deploy that an interrupt or the
// time bound stopped with err; nil and err for any other error.
func stoppedVerdict(ctx context.Context, tgt string, app *spec.App, err error) (*target.Verdict, error) {
	err = cmdutil.Stopped(ctx, err)
	var te *target.TimeoutError
	var ie *target.InterruptError
	v := &target.Verdict{Target: tgt}
	if app != nil {
		v.App = app.Name
	}
	switch {
	case errors.As(err, &te):
		v.Phase, v.Message = target.TimedOut, err.Error()
	case errors.As(err, &ie):
		v.Phase, v.Message = target.Canceled, err.Error()
	default:
		return nil, err
	}
	return v, nil
}

// checkLive is the line that tells how to see what a deploy stopped by an error left live.
func checkLive(tgt, file string) string {
	return fmt.Sprintf("check what is live with: shipit status --target %s -f %s\n", tgt, file)
}

// interruptedNote tells what an interrupted (or timed out) deploy of the spec in file left
// behind and how to check it.
func interruptedNote(ctx context.Context, v *target.Verdict, tgt, file string) string {
	check := fmt.Sprintf("check it with: shipit status --target %s -f %s\n", tgt, file)
	what := "interrupted"
	if target.OutOfTime(ctx, nil) != nil {
		what = "timed out"
	}
	switch {
	case len(v.Applied) > 0:
		return what + ": stopped watching; every object was applied whole, the rollout goes on.\napplied: " + strings.Join(v.Applied, ", ") + "\n" + check
	case v.Unchanged:
		return what + ": stopped watching; nothing was applied (the live app already matched the spec).\n" + check
	}
	return what + " before anything was written; the live app is as it was.\n" + check
}

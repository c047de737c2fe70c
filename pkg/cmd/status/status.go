// Package status is `shipit status`: what is live for the app.
package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are status's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	Timeout time.Duration
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "status --target ecs|eks",
		Short: "Show what is live: revision, image, counts, conditions, last events",
		Example: "  shipit status --target ecs\n" +
			"  shipit status --target eks --env production -f deploy/shipit.yaml\n" +
			"  shipit status --target ecs --region eu-west-1 -o json | jq .revision",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmdutil.TimeoutFlag(cmd, &o.Timeout, cmdutil.DefaultReadTimeout)
	return cmd
}

// Run prints the status.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, nil)
	if err != nil {
		return err
	}
	target.Step(ctx, "reading what is live")
	st, err := s.Status(ctx, app)
	if err != nil {
		return err
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, st)
	}
	Print(o.IO.Out, st)
	return nil
}

// Print writes a status for people.
func Print(w io.Writer, st *target.Status) {
	if !st.Exists {
		fmt.Fprintf(w, "%s is not deployed on %s (%s)\n", st.App, st.Target, st.Where)
		return
	}
	fmt.Fprintf(w, "app:       %s on %s (%s)\n", st.App, st.Target, st.Where)
	fmt.Fprintf(w, "revision:  %s\n", st.Revision)
	img := st.Image
	if st.Digest != "" && !strings.Contains(img, "@") {
		img += " (" + st.Digest + ")"
	}
	fmt.Fprintf(w, "image:     %s\n", img)
	fmt.Fprintf(w, "replicas:  %d desired, %d updated, %d ready, %d available\n", st.Desired, st.Updated, st.Ready, st.Available)
	if st.SpecHash != "" {
		fmt.Fprintf(w, "spec hash: %s\n", st.SpecHash)
	}
	if st.InProgress != "" {
		fmt.Fprintf(w, "in progress: %s\n", st.InProgress)
	}
	if st.DisruptionBudget != "" {
		fmt.Fprintf(w, "disruption budget: %s\n", st.DisruptionBudget)
	}
	if len(st.Conditions) > 0 {
		fmt.Fprintln(w, "conditions:")
		for _, c := range st.Conditions {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	if len(st.Rollouts) > 0 {
		fmt.Fprintln(w, "rollouts:")
		for _, r := range st.Rollouts {
			extra := ""
			if r.RolloutState != "" {
				extra = " " + r.RolloutState
			}
			fmt.Fprintf(w, "  %-10s rev %-4s %d/%d running%s  %s\n", r.Status, r.Revision, r.Running, r.Desired, extra, r.ID)
		}
	}
	if len(st.Events) > 0 {
		fmt.Fprintln(w, "events:")
		for _, e := range st.Events {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

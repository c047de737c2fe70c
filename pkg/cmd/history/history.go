// Package history is `shipit history`: the revisions shipit deployed for the app, newest
// first, and which one is live; `shipit rollback --to` takes the revision as printed here.
package history

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// DefaultLimit is how many revisions history lists without --limit.
const DefaultLimit = 10

// shortHash is how many characters of the spec hash the table shows (JSON has all of it).
const shortHash = 8

// Options are history's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	Limit   int
	Timeout time.Duration
	// Now tells the time the ages in the table count from (tests fix it).
	Now func() time.Time
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "history --target ecs|eks [--limit N]",
		Short: "List the revisions shipit deployed, newest first, and which one is live",
		Long: "List the revisions shipit deployed for the app, newest first: ECS task definition revisions\n" +
			"registered for the app's cluster, or the ReplicaSets of its Kubernetes Deployment; each with\n" +
			"its image, when it was first deployed and the hash of its spec, and which one is live.\n" +
			"`shipit rollback --to` takes a REVISION as printed here.",
		Example: "  shipit history --target ecs\n" +
			"  shipit history --target eks --limit 0\n" +
			"  shipit history --target ecs -o json | jq -r '.[] | select(.live) | .revision'",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Limit < 0 {
				return &target.UsageError{Msg: fmt.Sprintf("--limit %d: want 0 (every revision) or more", o.Limit)}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmd.Flags().IntVar(&o.Limit, "limit", DefaultLimit, "list at most this many revisions, newest first (0: all); the live one is always listed")
	cmdutil.TimeoutFlag(cmd, &o.Timeout, cmdutil.DefaultReadTimeout)
	return cmd
}

// Run prints the history.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	t, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, nil)
	if err != nil {
		return err
	}
	hr, ok := s.(target.HistoryReader)
	if !ok {
		return fmt.Errorf("history: target %s cannot list the revisions it deployed", t.Name())
	}
	target.Step(ctx, "reading the revisions")
	h, err := hr.History(ctx, app, target.HistoryOptions{Limit: o.Limit})
	if err != nil {
		return err
	}
	if o.Global.JSON() {
		revs := h.Revisions
		if revs == nil {
			revs = []target.Revision{}
		}
		return cmdutil.PrintJSON(o.IO.Out, revs)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	return Print(o.IO.Out, h, now())
}

// Print writes a history for people: a heading, then one line per revision, ages counted
// from now.
func Print(w io.Writer, h *target.History, now time.Time) error {
	if len(h.Revisions) == 0 {
		_, err := fmt.Fprintf(w, "%s has no revisions on %s (%s)\n", h.App, h.Target, h.Where)
		return err
	}
	fmt.Fprintf(w, "%s on %s (%s)\n", h.App, h.Target, h.Where)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tLIVE\tIMAGE\tDEPLOYED\tSPEC HASH")
	for _, r := range h.Revisions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Revision, r.State, orDash(shortDigest(r.Image)), deployed(r.Deployed, now), orDash(short(r.SpecHash)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if h.More {
		_, err := fmt.Fprintln(w, "(older revisions not listed: --limit 0 lists them all)")
		return err
	}
	return nil
}

// deployed is "5m ago (2026-03-01 11:55:00 UTC)": the age as kubectl writes ages, then the
// time in UTC, the same wherever the command runs.
func deployed(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(max(now.Sub(t), 0)) + " ago (" + t.UTC().Format("2006-01-02 15:04:05 MST") + ")"
}

// shortDigest cuts a pinned image's digest to its first 12 hex digits (as docker shows image
// ids), so the table fits a terminal; -o json has the whole reference.
func shortDigest(image string) string {
	name, digest, ok := strings.Cut(image, "@sha256:")
	if !ok || len(digest) <= 12 {
		return image
	}
	return name + "@sha256:" + digest[:12]
}

// short cuts a hex hash to shortHash characters; anything else (Kubernetes' "rolled-back"
// marker) stays whole.
func short(hash string) string {
	if len(hash) <= shortHash || strings.Trim(hash, "0123456789abcdef") != "" {
		return hash
	}
	return hash[:shortHash]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

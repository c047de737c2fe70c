// Package logs is `shipit logs`: the app's log lines on either target, from every task or pod,
// each with where it came from.
package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are logs' inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	Logs    target.LogsOptions
	// Timeout bounds the command; 0 means cmdutil.DefaultReadTimeout, or no bound with
	// --follow (which runs until Ctrl-C).
	Timeout time.Duration
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "logs --target ecs|eks",
		Short: "Print the app's logs from every task or pod, each line with its task or pod and container",
		Long: "Reads the app's logs: on ECS from CloudWatch Logs (the awslogs streams of its tasks, as\n" +
			"the task definition names them), on Kubernetes from the pod log API of every pod of the\n" +
			"app. Each line says when, where from ([task/container] or [pod/container]) and what;\n" +
			"with -o json, one JSON object per line (time, task or pod, container, message).\n\n" +
			"--revision reads only the tasks or pods of one revision: the one a failed deploy names.\n" +
			"--follow goes on with new lines, and new tasks or pods, until Ctrl-C (or --timeout).",
		Example: "  shipit logs --target ecs --since 10m\n" +
			"  shipit logs --target eks --follow --container web\n" +
			"  shipit logs --target ecs --revision 7          # the tasks of the revision a deploy failed with\n" +
			"  shipit logs --target eks -o json | jq -r 'select(.message | test(\"ERROR\")) | .pod'",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	fl := cmd.Flags()
	fl.BoolVar(&o.Logs.Follow, "follow", false, "keep printing new lines (and those of new tasks or pods) until Ctrl-C")
	fl.DurationVar(&o.Logs.Since, "since", 0, "only lines newer than this, e.g. 10m or 2h (default: all there are)")
	fl.StringVarP(&o.Logs.Container, "container", "c", "", "only this container (default: every container)")
	fl.StringVar(&o.Logs.Revision, "revision", "", "only the tasks or pods of this revision (ECS: the task definition revision, 7 or family:7; Kubernetes: the Deployment revision)")
	fl.DurationVar(&o.Timeout, "timeout", 0, fmt.Sprintf("give up after this long (exit 5); default %s, and no bound with --follow", cmdutil.DefaultReadTimeout))
	return cmd
}

// Run prints the logs.
func Run(ctx context.Context, o *Options) error {
	switch {
	case o.Logs.Since < 0:
		return &target.UsageError{Msg: fmt.Sprintf("--since %s: give a positive duration, e.g. --since 10m", o.Logs.Since)}
	case o.Timeout < 0:
		return &target.UsageError{Msg: fmt.Sprintf("--timeout %s: give a positive duration, e.g. --timeout 5m", o.Timeout)}
	}
	switch {
	case o.Timeout > 0:
		target.SetLimit(ctx, o.Timeout)
	case !o.Logs.Follow:
		target.SetLimit(ctx, cmdutil.DefaultReadTimeout)
	}
	_, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, nil)
	if err != nil {
		return err
	}
	lr, ok := s.(target.LogReader)
	if !ok {
		return &target.UsageError{Msg: fmt.Sprintf("--target %s cannot read logs", o.Target)}
	}
	if o.Logs.Follow {
		target.Step(ctx, "following the logs of "+app.Name)
	} else {
		target.Step(ctx, "reading the logs of "+app.Name)
	}
	return lr.Logs(ctx, app, o.Logs, &printer{out: o.IO.Out, errOut: o.IO.ErrOut, json: o.Global.JSON()})
}

// printer writes log lines to stdout, as text or JSON Lines, and notes to stderr.
type printer struct {
	out, errOut io.Writer
	json        bool
}

// TimeFormat is how a line's time is printed: UTC, to the millisecond (CloudWatch keeps
// milliseconds), so lines from many sources line up.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Line prints one line: "TIME [source] message". A message of several lines (a stack trace
// the log driver kept together) gets the prefix on each, so grep finds where each came from.
func (p *printer) Line(l target.LogLine) error {
	l.Message = strings.TrimRight(l.Message, "\r\n")
	l.Time = l.Time.UTC()
	if p.json {
		// One compact object a line; <, > and & stay as they are (they are common in logs).
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(l); err != nil {
			return err
		}
		_, err := p.out.Write(b.Bytes())
		return err
	}
	prefix := l.Time.Format(TimeFormat) + " [" + l.Source() + "] "
	var b strings.Builder
	for line := range strings.SplitSeq(l.Message, "\n") {
		b.WriteString(prefix)
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(p.out, b.String())
	return err
}

// Note tells people about the sources on stderr, in both output modes (stdout stays data).
func (p *printer) Note(msg string) { fmt.Fprintf(p.errOut, "note: %s\n", msg) }

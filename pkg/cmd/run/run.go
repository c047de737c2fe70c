// Package run is `shipit run`: a one-off task with the app's image, env, secrets, role and
// network (a database migration before a deploy), waited for, its logs streamed, its exit
// code returned.
package run

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// DefaultTimeout bounds a run without --timeout: a migration may take long, but nothing
// waits for ever.
const DefaultTimeout = time.Hour

// Options are run's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	Target  string
	Images  []string
	Keep    bool
	Timeout time.Duration
	// Command is what follows --.
	Command []string
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "run --target ecs|eks [--image NAME=REF] [--keep] [--timeout 1h] -- CMD [ARG...]",
		Short: "Run a one-off task with the app's image, env, secrets, role and network, and return its exit code",
		Long: "Runs CMD ARG... once with the app's image, env, secrets, role and network (a database\n" +
			"migration before a deploy): on ECS a RunTask of the app's task definition in the service's\n" +
			"subnets and security groups, on Kubernetes a Job of the Deployment's pod template. CMD\n" +
			"replaces the image's CMD (the spec's args); the entrypoint stays. The container's logs are\n" +
			"streamed (to stdout; to stderr with -o json) until it stops.\n\n" +
			"Exit code: the command's own (0-255) when it ran; 3 when it never ran (image pull, secrets,\n" +
			"placement), 5 when --timeout ran out, 130 when interrupted (the task is stopped, the Job\n" +
			"deleted, in both cases), 1 and 2 as for every command. -o json says which in status and\n" +
			"containerExitCode.",
		Example: "  shipit run --target ecs -- ./manage.py migrate --noinput\n" +
			"  shipit run --target eks --env production --image web=123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1 -- bin/rails db:migrate\n" +
			"  shipit run --target eks --keep --timeout 20m -o json -- sh -c 'bundle exec rake data:backfill' | jq -s 'last | {status, containerExitCode}'",
		Args: commandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.TargetFlag(cmd, &o.Target)
	cmdutil.ImageFlag(cmd, &o.Images)
	cmd.Flags().BoolVar(&o.Keep, "keep", false, "eks: keep the finished Job and its pod (deleted by default); ecs keeps a stopped task visible for about an hour anyway")
	cmdutil.TimeoutFlag(cmd, &o.Timeout, DefaultTimeout)
	cmd.Flags().Lookup("timeout").Usage = "give up after this long and stop the task (exit 5)"
	return cmd
}

// commandArgs wants the command after --: a command's own flags (sh -c, --noinput) would
// otherwise be read as shipit's.
func commandArgs(cmd *cobra.Command, args []string) error {
	dash := cmd.ArgsLenAtDash()
	switch {
	case dash < 0 && len(args) > 0, dash > 0:
		return &target.UsageError{Msg: fmt.Sprintf("put the command after --, so that its flags stay its own: %s -- %s",
			cmd.CommandPath(), strings.Join(args, " "))}
	case len(args) == 0:
		return &target.UsageError{Msg: "no command to run: " + cmd.CommandPath() + " --target ecs|eks -- CMD [ARG...]"}
	}
	return nil
}

// Run runs the task and prints how it ended.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	t, app, s, err := o.Global.Connect(ctx, o.IO, o.Targets, o.Target, o.Images)
	if err != nil {
		return err
	}
	tr, ok := s.(target.TaskRunner)
	if !ok {
		return &target.UsageError{Msg: fmt.Sprintf("--target %s cannot run one-off tasks", t.Name())}
	}
	if len(app.Command) > 0 {
		// Never a silent surprise: the command is passed to the spec's entrypoint.
		fmt.Fprintf(o.IO.ErrOut, "note: the spec's command %q stays the entrypoint; %q are its arguments (the spec's args are replaced)\n",
			app.Command, o.Command)
	}
	if o.Keep && t.Name() == spec.TargetECS {
		fmt.Fprintln(o.IO.ErrOut, "warning: --keep keeps Kubernetes Jobs; ECS has nothing to delete (a stopped task stays visible for about an hour)")
	}
	// The container's output is run's result for people (stdout, as docker run prints it);
	// with -o json stdout is JSON only, so it goes to stderr.
	var logs io.Writer = o.IO.Out
	if o.Global.JSON() {
		logs = o.IO.ErrOut
	}
	limit, _ := target.Limit(ctx)
	target.Step(ctx, "running the one-off task")
	res, err := tr.RunTask(ctx, app, target.RunOptions{Command: o.Command, Keep: o.Keep, Timeout: limit, Logs: logs}, o.Global.Reporter(o.IO))
	if err != nil {
		return err
	}
	return cmdutil.Silent(o.print(res))
}

// phases colour a run's status as the rollout phases are coloured.
var phases = map[target.RunStatus]target.Phase{
	target.RunSucceeded:   target.Succeeded,
	target.RunFailed:      target.Failed,
	target.RunNotRun:      target.Failed,
	target.RunTimedOut:    target.TimedOut,
	target.RunInterrupted: target.Canceled,
}

// JSONResult is what -o json prints last: the result, its exitCode (always, 0 included), and
// on failure the error and errors every failing command's result carries.
type JSONResult struct {
	*target.RunResult
	*cmdutil.Failure
	// ExitCode shadows Failure's (the same value) so that a success has it too.
	ExitCode int `json:"exitCode"`
}

// print writes the result (stderr for people, stdout as JSON) and returns the error that
// carries its exit code.
func (o *Options) print(res *target.RunResult) error {
	err := res.Err()
	if o.Global.JSON() {
		if perr := cmdutil.PrintJSON(o.IO.Out, JSONResult{RunResult: res, Failure: cmdutil.FailureOf(err), ExitCode: res.ExitCode()}); perr != nil {
			fmt.Fprintf(o.IO.ErrOut, "could not print the result (%s: %s): %v\n", res.Status, res.Message, perr)
		}
		return err
	}
	mark := "✗"
	if res.Status == target.RunSucceeded {
		mark = "✓"
	}
	status := string(res.Status)
	if o.Global.Color(o.IO.IsErrOutTTY()) {
		mark, status = target.Paint(phases[res.Status], mark), target.Paint(phases[res.Status], status)
	}
	if res.Logs != "" {
		fmt.Fprintf(o.IO.ErrOut, "logs: %s\n", res.Logs)
	}
	fmt.Fprintf(o.IO.ErrOut, "%s %s on %s: %s: %s (exit %d)\n", mark, res.App, res.Target, status, res.Message, res.ExitCode())
	return err
}

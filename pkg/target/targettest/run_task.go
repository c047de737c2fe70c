package targettest

import (
	"context"
	"fmt"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// RunTasks is what a fake Session's RunTask answers: Func when set, else Err, else Result
// (a task whose command exited 0 when nil), after writing Logs to the options' Logs and
// reporting Events.
type RunTasks struct {
	Result *target.RunResult
	Err    error
	Func   func(ctx context.Context, app *spec.App, opts target.RunOptions, r target.Reporter) (*target.RunResult, error)
	// Logs are the log lines the fake task writes, in order.
	Logs []string
	// Events are reported before the answer.
	Events []target.Event
}

var _ target.TaskRunner = (*Session)(nil)

// RunTask records the call and answers from s.Runs.
func (s *Session) RunTask(ctx context.Context, app *spec.App, opts target.RunOptions, r target.Reporter) (*target.RunResult, error) {
	s.record("RunTask", app, opts)
	if s.Runs.Func != nil {
		return s.Runs.Func(ctx, app, opts, r)
	}
	for _, e := range s.Runs.Events {
		r.Report(e)
	}
	if opts.Logs != nil {
		for _, l := range s.Runs.Logs {
			fmt.Fprintln(opts.Logs, l)
		}
	}
	if s.Runs.Err != nil {
		return nil, s.Runs.Err
	}
	if s.Runs.Result != nil {
		return s.Runs.Result, nil
	}
	zero := 0
	return &target.RunResult{App: app.Name, Status: target.RunSucceeded, Message: "the command exited 0",
		Command: opts.Command, ContainerExitCode: &zero}, nil
}

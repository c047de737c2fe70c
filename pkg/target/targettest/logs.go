package targettest

import (
	"context"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Logs is what a fake Session's Logs answers: its notes, then its lines, then Err; Func,
// when set, answers instead (a test of --follow blocks there until ctx ends).
type Logs struct {
	Notes []string
	Lines []target.LogLine
	Err   error
	Func  func(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error
}

var _ target.LogReader = (*Session)(nil)

// Logs records the call (method "Logs", options target.LogsOptions) and answers from
// s.Logging. A line the sink refuses stops it with the sink's error, as a real reader does.
func (s *Session) Logs(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
	s.record("Logs", app, opts)
	l := s.Logging
	if l.Func != nil {
		return l.Func(ctx, app, opts, sink)
	}
	for _, n := range l.Notes {
		sink.Note(n)
	}
	for _, line := range l.Lines {
		if err := sink.Line(line); err != nil {
			return err
		}
	}
	return l.Err
}

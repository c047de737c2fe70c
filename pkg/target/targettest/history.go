package targettest

import (
	"context"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.HistoryReader = (*Session)(nil)

// History returns s.HistoryResult (no revisions when nil) and s.HistoryErr.
func (s *Session) History(ctx context.Context, app *spec.App, opts target.HistoryOptions) (*target.History, error) {
	s.record("History", app, opts)
	if s.HistoryErr != nil {
		return nil, s.HistoryErr
	}
	if s.HistoryResult != nil {
		return s.HistoryResult, nil
	}
	return &target.History{App: app.Name, Where: "fake"}, nil
}

// Package targettest is a fake target.Target and target.Session for the tests of the
// commands: it answers with what the test gives it and records every call it gets.
package targettest

import (
	"context"
	"sync"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Target is a fake target. Name is the --target it answers to ("ecs" or "eks": the spec is
// validated for that target); every Connect returns Session.
type Target struct {
	TargetName string
	Session    *Session
	// ConnectErr, when set, is what Connect returns.
	ConnectErr error
	// Rendering is what Render returns (an empty one when nil).
	Rendering *target.Rendering
	// SessionKeyFunc answers SessionKey; nil gives every app a session of its own ("").
	SessionKeyFunc func(app *spec.App, opts target.ConnectOptions) string
}

var _ target.SessionSharer = (*Target)(nil)

// SessionKey asks SessionKeyFunc.
func (t *Target) SessionKey(app *spec.App, opts target.ConnectOptions) string {
	if t.SessionKeyFunc == nil {
		return ""
	}
	return t.SessionKeyFunc(app, opts)
}

// New returns a fake target named name with a fresh Session.
func New(name string) *Target { return &Target{TargetName: name, Session: &Session{}} }

// Name is the --target value.
func (t *Target) Name() string { return t.TargetName }

// Render returns t.Rendering.
func (t *Target) Render(app *spec.App, opts target.RenderOptions) (*target.Rendering, error) {
	if t.Rendering != nil {
		return t.Rendering, nil
	}
	return &target.Rendering{Text: []byte(app.Name + "\n"), Document: map[string]string{"app": app.Name}}, nil
}

// Connect returns t.Session, or t.ConnectErr.
func (t *Target) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	if t.ConnectErr != nil {
		return nil, t.ConnectErr
	}
	t.Session.mu.Lock()
	t.Session.Connects = append(t.Session.Connects, opts)
	t.Session.mu.Unlock()
	return t.Session, nil
}

// Call is one call a Session got.
type Call struct {
	// Method is "Deploy", "Status", "Diff", "Rollback", "Destroy" or "History".
	Method string
	App    string
	// Options are the call's options (target.DeployOptions, target.RollbackOptions,
	// target.DestroyOptions, target.HistoryOptions), nil for Status and Diff.
	Options any
}

// Session is a fake connected target. Each method returns its field (or a zero result) and
// the matching error; the Func fields, when set, answer instead.
type Session struct {
	mu       sync.Mutex
	Calls    []Call
	Connects []target.ConnectOptions

	Verdict    *target.Verdict
	DeployErr  error
	DeployFunc func(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error)

	StatusResult *target.Status
	StatusErr    error

	DiffResult *target.DiffResult
	DiffErr    error

	RollbackVerdict *target.Verdict
	RollbackErr     error

	// Plan is what Destroy returns with Plan set; Destroyed what it returns otherwise.
	Plan       *target.DestroyResult
	Destroyed  *target.DestroyResult
	DestroyErr error

	// HistoryResult and HistoryErr answer History (history.go).
	HistoryResult *target.History
	HistoryErr    error
	// Logging is what the fake's LogReader answers (logs.go).
	Logging Logs
	// Runs answers RunTask (run_task.go).
	Runs RunTasks
}

var _ target.Session = (*Session)(nil)

func (s *Session) record(method string, app *spec.App, opts any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, Call{Method: method, App: app.Name, Options: opts})
}

// Methods lists the methods called, in order.
func (s *Session) Methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.Calls))
	for i, c := range s.Calls {
		out[i] = c.Method
	}
	return out
}

// Deploy returns s.Verdict (a success when nil) and s.DeployErr, or asks DeployFunc.
func (s *Session) Deploy(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
	s.record("Deploy", app, opts)
	if s.DeployFunc != nil {
		return s.DeployFunc(ctx, app, opts, r)
	}
	if s.DeployErr != nil {
		return nil, s.DeployErr
	}
	return verdict(s.Verdict, app), nil
}

// Status returns s.StatusResult (an app that is not deployed when nil) and s.StatusErr.
func (s *Session) Status(ctx context.Context, app *spec.App) (*target.Status, error) {
	s.record("Status", app, nil)
	if s.StatusErr != nil {
		return nil, s.StatusErr
	}
	if s.StatusResult != nil {
		return s.StatusResult, nil
	}
	return &target.Status{App: app.Name, Where: "fake"}, nil
}

// Diff returns s.DiffResult (no differences when nil) and s.DiffErr.
func (s *Session) Diff(ctx context.Context, app *spec.App) (*target.DiffResult, error) {
	s.record("Diff", app, nil)
	if s.DiffErr != nil {
		return nil, s.DiffErr
	}
	if s.DiffResult != nil {
		return s.DiffResult, nil
	}
	return &target.DiffResult{}, nil
}

// Rollback returns s.RollbackVerdict (a success when nil) and s.RollbackErr.
func (s *Session) Rollback(ctx context.Context, app *spec.App, opts target.RollbackOptions, r target.Reporter) (*target.Verdict, error) {
	s.record("Rollback", app, opts)
	if s.RollbackErr != nil {
		return nil, s.RollbackErr
	}
	return verdict(s.RollbackVerdict, app), nil
}

// Destroy returns s.Plan or s.Destroyed (nothing when nil) and s.DestroyErr.
func (s *Session) Destroy(ctx context.Context, app *spec.App, opts target.DestroyOptions, r target.Reporter) (*target.DestroyResult, error) {
	s.record("Destroy", app, opts)
	if s.DestroyErr != nil {
		return nil, s.DestroyErr
	}
	res := s.Destroyed
	if opts.Plan {
		res = s.Plan
	}
	if res == nil {
		res = &target.DestroyResult{}
	}
	return res, nil
}

func verdict(v *target.Verdict, app *spec.App) *target.Verdict {
	if v != nil {
		return v
	}
	return &target.Verdict{App: app.Name, Phase: target.Succeeded, Message: "fake rollout succeeded"}
}

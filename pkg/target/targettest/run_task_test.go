package targettest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

type collect []target.Event

func (c *collect) Report(e target.Event) { *c = append(*c, e) }

// TestFakeRunTask: RunTask records its call, reports the events, writes the log lines and
// answers with the result (a success by default), the error, or Func.
func TestFakeRunTask(t *testing.T) {
	app := &spec.App{Name: "web"}
	s := New("fake").Session
	var logs bytes.Buffer
	var evs collect
	s.Runs.Logs = []string{"migrating", "done"}
	s.Runs.Events = []target.Event{{Message: "started"}}
	res, err := s.RunTask(context.Background(), app, target.RunOptions{Command: []string{"migrate"}, Logs: &logs}, &evs)
	if err != nil || res.Status != target.RunSucceeded || *res.ContainerExitCode != 0 || !slices.Equal(res.Command, []string{"migrate"}) {
		t.Fatalf("default answer %+v, %v", res, err)
	}
	if logs.String() != "migrating\ndone\n" || len(evs) != 1 {
		t.Errorf("logs %q, events %v", logs.String(), evs)
	}
	s.Runs.Err = errors.New("boom")
	if _, err := s.RunTask(context.Background(), app, target.RunOptions{}, &evs); err == nil || err.Error() != "boom" {
		t.Errorf("err %v", err)
	}
	s.Runs.Func = func(context.Context, *spec.App, target.RunOptions, target.Reporter) (*target.RunResult, error) {
		return &target.RunResult{Status: target.RunNotRun}, nil
	}
	if res, _ := s.RunTask(context.Background(), app, target.RunOptions{}, &evs); res.Status != target.RunNotRun {
		t.Errorf("func answer %+v", res)
	}
	if got := s.Methods(); !slices.Equal(got, []string{"RunTask", "RunTask", "RunTask"}) {
		t.Errorf("calls %v", got)
	}
}

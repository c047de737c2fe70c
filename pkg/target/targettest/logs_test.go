package targettest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// sink records what it gets; it refuses lines after refuseAfter of them (when > 0).
type sink struct {
	lines       []target.LogLine
	notes       []string
	refuseAfter int
}

func (s *sink) Line(l target.LogLine) error {
	if s.refuseAfter > 0 && len(s.lines) == s.refuseAfter {
		return errors.New("closed")
	}
	s.lines = append(s.lines, l)
	return nil
}

func (s *sink) Note(msg string) { s.notes = append(s.notes, msg) }

// TestFakeLogs: the fake's LogReader records the call, sends its notes and lines, returns its
// error, stops at a sink's error, and lets Func answer instead.
func TestFakeLogs(t *testing.T) {
	app := &spec.App{Name: "web"}
	ft := New("ecs")
	lines := []target.LogLine{{Time: time.Unix(1, 0), Task: "t1", Container: "web", Message: "a"}, {Time: time.Unix(2, 0), Task: "t1", Container: "web", Message: "b"}}
	ft.Session.Logging = Logs{Notes: []string{"n"}, Lines: lines, Err: errors.New("boom")}
	opts := target.LogsOptions{Since: time.Minute, Revision: "7"}
	var got sink
	if err := ft.Session.Logs(context.Background(), app, opts, &got); err == nil || err.Error() != "boom" {
		t.Errorf("err %v", err)
	}
	if !reflect.DeepEqual(got.lines, lines) || !reflect.DeepEqual(got.notes, []string{"n"}) {
		t.Errorf("got %+v", got)
	}
	if c := ft.Session.Calls; len(c) != 1 || c[0].Method != "Logs" || c[0].Options != opts {
		t.Errorf("calls %+v", c)
	}
	refusing := sink{refuseAfter: 1}
	if err := ft.Session.Logs(context.Background(), app, opts, &refusing); err == nil || err.Error() != "closed" || len(refusing.lines) != 1 {
		t.Errorf("refused: %v, %d lines", err, len(refusing.lines))
	}
	ft.Session.Logging.Func = func(context.Context, *spec.App, target.LogsOptions, target.LogSink) error { return nil }
	if err := ft.Session.Logs(context.Background(), app, opts, &got); err != nil {
		t.Errorf("func: %v", err)
	}
	if l := (target.LogLine{Pod: "p", Task: "t", Container: "c"}).Source(); l != "p/c" {
		t.Errorf("source %q", l)
	}
}

package target

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTextReporterOneLinePerChange(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, "text", false)
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, e := range []Event{
		{Time: at, Phase: Pending, Message: "applying"},
		{Time: at, Phase: Progressing, Message: "waiting", Desired: 3, Updated: 1},
		{Time: at, Phase: Progressing, Message: "waiting", Desired: 3, Updated: 1}, // no change: not printed
		{Time: at, Phase: Succeeded, Message: "done", Desired: 3, Updated: 3, Ready: 3},
	} {
		r.Report(e)
	}
	want := "09:30:00 Pending     applying\n" +
		"09:30:00 Progressing waiting  [1/3 updated, 0/3 ready]\n" +
		"09:30:00 Succeeded   done  [3/3 updated, 3/3 ready]\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("non-TTY output redraws")
	}
}

func TestLiveReporterRedrawsProgressOnly(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, "text", true)
	r.Report(Event{Phase: Progressing, Message: "a", Desired: 2})
	r.Report(Event{Phase: Progressing, Message: "b", Desired: 2})
	r.Report(Event{Phase: Succeeded, Message: "done", Desired: 2, Ready: 2})
	out := buf.String()
	if strings.Count(out, "\r\033[K") != 2 || !strings.HasSuffix(out, "done  [0/2 updated, 2/2 ready]\n") {
		t.Errorf("live output %q", out)
	}
}

func TestJSONReporterWritesJSONLines(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, "json", false)
	r.Report(Event{Target: "eks", App: "web", Phase: Progressing, Message: "m", Desired: 3, Updated: 2, Ready: 1})
	r.Report(Event{Target: "eks", App: "web", Phase: Progressing, Message: "m", Desired: 3, Updated: 2, Ready: 1})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want every event", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "target", "app", "phase", "message", "desired", "updated", "ready"} {
		if _, ok := m[k]; !ok {
			t.Errorf("event lacks %q: %s", k, lines[0])
		}
	}
}

// TestTextReporterColour: with colour, each phase is painted (the column still aligned), and
// nothing else; without, no escape at all.
func TestTextReporterColour(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	events := []Event{
		{Time: at, Phase: Pending, Message: "applying"},
		{Time: at, Phase: Progressing, Message: "waiting"},
		{Time: at, Phase: Succeeded, Message: "done"},
		{Time: at, Phase: Failed, Message: "2 tasks stopped"},
		{Time: at, Phase: RolledBack, Message: "back to web:6"},
		{Time: at, Phase: TimedOut, Message: "timed out"},
		{Time: at, Phase: Canceled, Message: "interrupted"},
	}
	var buf bytes.Buffer
	r := NewTextReporter(&buf, false, true)
	for _, e := range events {
		r.Report(e)
	}
	want := "09:30:00 Pending     applying\n" +
		"09:30:00 \033[36mProgressing\033[0m waiting\n" +
		"09:30:00 \033[32mSucceeded\033[0m   done\n" +
		"09:30:00 \033[31mFailed\033[0m      2 tasks stopped\n" +
		"09:30:00 \033[31mRolledBack\033[0m  back to web:6\n" +
		"09:30:00 \033[33mTimedOut\033[0m    timed out\n" +
		"09:30:00 \033[33mCanceled\033[0m    interrupted\n"
	if buf.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", buf.String(), want)
	}
	buf.Reset()
	r = NewTextReporter(&buf, false, false)
	for _, e := range events {
		r.Report(e)
	}
	if strings.Contains(buf.String(), "\033") {
		t.Errorf("colour off, escapes written: %q", buf.String())
	}
}

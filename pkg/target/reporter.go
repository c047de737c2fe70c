package target

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Reporter receives rollout events. Implementations print them for people or machines.
type Reporter interface {
	Report(e Event)
}

// NewReporter prints events as JSON Lines (json), as a redrawn status line on a terminal, or
// as one timestamped line per change otherwise (CI logs: never a redraw).
func NewReporter(w io.Writer, format string, live bool) Reporter {
	if format == "json" {
		return &jsonReporter{w: w}
	}
	return NewTextReporter(w, live, false)
}

// NewTextReporter prints events for people: a redrawn status line when live, one timestamped
// line per change otherwise; with color, each phase in its colour (Paint).
func NewTextReporter(w io.Writer, live, color bool) Reporter {
	return &textReporter{w: w, live: live, color: color, now: time.Now}
}

// phaseColors are the ANSI colours of the phases: success green, failure red, a timeout or an
// interrupt yellow, a rollout under way cyan; Pending stays plain.
var phaseColors = map[Phase]string{
	Progressing: "36",
	Succeeded:   "32",
	Failed:      "31",
	RolledBack:  "31",
	TimedOut:    "33",
	Canceled:    "33",
}

// Paint wraps s in the colour of phase p (an ANSI escape, for a terminal).
func Paint(p Phase, s string) string {
	c, ok := phaseColors[p]
	if !ok {
		return s
	}
	return "\033[" + c + "m" + s + "\033[0m"
}

type jsonReporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *jsonReporter) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(e)
	fmt.Fprintf(r.w, "%s\n", b)
}

type textReporter struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	color   bool
	now     func() time.Time
	last    string
	pending bool // a live line is on screen without its newline
}

func (r *textReporter) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := e.Message
	if e.Desired > 0 || e.Updated > 0 || e.Ready > 0 {
		line = fmt.Sprintf("%s  [%d/%d updated, %d/%d ready]", e.Message, e.Updated, e.Desired, e.Ready, e.Desired)
	}
	if line == r.last {
		return // one line per change
	}
	r.last = line
	t := e.Time
	if t.IsZero() {
		t = r.now()
	}
	phase := fmt.Sprintf("%-11s", e.Phase)
	if r.color {
		phase = Paint(e.Phase, string(e.Phase)) + phase[len(e.Phase):]
	}
	text := t.Format("15:04:05") + " " + phase + " " + line
	if !r.live {
		fmt.Fprintln(r.w, text)
		return
	}
	// A progress line redraws in place; anything else (events, verdicts) is kept on screen.
	if r.pending {
		fmt.Fprint(r.w, "\r\033[K")
	}
	if e.Phase == Progressing && e.Desired > 0 {
		fmt.Fprint(r.w, text)
		r.pending = true
		return
	}
	fmt.Fprintln(r.w, text)
	r.pending = false
}

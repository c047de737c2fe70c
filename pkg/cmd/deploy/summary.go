package deploy

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// The end of a many-app deploy: one summary of every app's verdict, a table for people or
// one JSON object for machines, and one exit code, the worst of the apps' (target.WorstExit).

// verdictError is the VERDICT of an app that got no rollout verdict: an error (API, auth,
// network, a usage problem of its own such as a missing region) stopped it.
const verdictError = "Error"

// appResult is one app's row of the summary, and its object in -o json.
type appResult struct {
	App    string `json:"app"`
	File   string `json:"file"`
	Target string `json:"target"`
	// Verdict is the rollout's terminal phase, or "Error".
	Verdict      string   `json:"verdict"`
	ExitCode     int      `json:"exitCode"`
	Revision     string   `json:"revision,omitempty"`
	Image        string   `json:"image,omitempty"`
	Desired      int      `json:"desired"`
	Ready        int      `json:"ready"`
	Unchanged    bool     `json:"unchanged,omitempty"`
	Applied      []string `json:"applied,omitempty"`
	RolledBackTo string   `json:"rolledBackTo,omitempty"`
	// DurationSeconds is how long the app's deploy took (0: it never started).
	DurationSeconds float64 `json:"durationSeconds"`
	Message         string  `json:"message"`

	label   string
	started bool
	took    time.Duration
	err     error // what carries the exit code out of the command
}

// summary is the -o json result of a many-app deploy: every app, then the worst exit code;
// when that is not 0, the failure fields every failing command's result carries.
type summary struct {
	Apps     []appResult `json:"apps"`
	ExitCode int         `json:"exitCode"`
	*failure
}

// failure is cmdutil.Failure without the exit code, which summary always has.
type failure struct {
	Error string `json:"error"`
	// Errors is always empty: spec errors stop a batch before it starts (loadAll).
	Errors []spec.FieldError `json:"errors"`
}

// resultOf is a finished job's row.
func resultOf(j *job, tgt string) appResult {
	r := appResult{App: j.app.Name, File: j.file, Target: tgt, label: j.label, started: j.started, took: j.took,
		DurationSeconds: float64(j.took.Round(time.Millisecond).Milliseconds()) / 1000} // 2.994, not 2.9939999999999998
	if j.verdict == nil {
		r.Verdict, r.err = verdictError, j.err
		r.ExitCode, r.Message = target.ExitCode(j.err), j.err.Error()
		return r
	}
	v := j.verdict
	r.Verdict, r.err = string(v.Phase), v.Err()
	r.ExitCode, r.Message = target.ExitCode(r.err), v.Message
	r.Revision, r.Image, r.Desired, r.Ready = v.Revision, v.Image, v.Desired, v.Ready
	r.Unchanged, r.Applied, r.RolledBackTo = v.Unchanged, v.Applied, v.RolledBackTo
	return r
}

// worst is the row whose exit code is the worst (the first of them); nil when all succeeded.
func worst(rows []appResult) *appResult {
	var w *appResult
	for i := range rows {
		if rows[i].ExitCode != target.ExitOK && (w == nil || target.WorseExit(rows[i].ExitCode, w.ExitCode)) {
			w = &rows[i]
		}
	}
	return w
}

// failedMessage names the apps that did not succeed: "2 of 3 apps did not succeed: api
// (Failed), worker (Error)".
func failedMessage(rows []appResult) string {
	var names []string
	for _, r := range rows {
		if r.ExitCode != target.ExitOK {
			names = append(names, fmt.Sprintf("%s (%s)", r.label, r.Verdict))
		}
	}
	return fmt.Sprintf("%d of %s did not succeed: %s", len(names), apps(len(rows)), strings.Join(names, ", "))
}

// printSummaryJSON prints the summary object.
func printSummaryJSON(w io.Writer, rows []appResult) error {
	s := summary{Apps: rows}
	if wr := worst(rows); wr != nil {
		s.ExitCode = wr.ExitCode
		s.failure = &failure{Error: failedMessage(rows), Errors: []spec.FieldError{}}
	}
	return cmdutil.PrintJSON(w, s)
}

// summaryColumns are the table's columns.
var summaryColumns = []string{"APP", "TARGET", "VERDICT", "REVISION", "DURATION", "MESSAGE"}

// printSummaryTable prints one row per app, in the order of the specs, and a last line with
// the count of each verdict and the exit code; with color, verdicts in their colours.
func printSummaryTable(w io.Writer, rows []appResult, color bool) error {
	cells := [][]string{summaryColumns}
	for _, r := range rows {
		took := "-"
		if r.started {
			took = r.took.Round(100 * time.Millisecond).String()
		}
		rev := r.Revision
		if rev == "" {
			rev = "-"
		}
		cells = append(cells, []string{r.label, r.Target, r.Verdict, rev, took, oneLine(r.Message)})
	}
	widths := make([]int, len(summaryColumns))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for n, row := range cells {
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			cell := padRight(c, widths[i]+2)
			if i == 2 && n > 0 && color {
				// Padding first, then the colour: escapes must not count as width.
				cell = paintVerdict(c) + cell[len(c):]
			}
			b.WriteString(cell)
		}
		b.WriteString("\n")
	}
	b.WriteString(tally(rows))
	_, err := io.WriteString(w, b.String())
	return err
}

// tally is the summary's last line: "3 apps: 2 Succeeded, 1 Failed; exit 3" (verdicts in the
// order they first appear).
func tally(rows []appResult) string {
	counts := map[string]int{}
	var order []string
	for _, r := range rows {
		if counts[r.Verdict] == 0 {
			order = append(order, r.Verdict)
		}
		counts[r.Verdict]++
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[v], v)
	}
	code := target.ExitOK
	if wr := worst(rows); wr != nil {
		code = wr.ExitCode
	}
	return fmt.Sprintf("%s: %s; exit %d\n", apps(len(rows)), strings.Join(parts, ", "), code)
}

// apps is "1 app", "3 apps".
func apps(n int) string {
	if n == 1 {
		return "1 app"
	}
	return fmt.Sprintf("%d apps", n)
}

// paintVerdict colours a verdict as a single deploy's verdict is; an error is red.
func paintVerdict(v string) string {
	if v == verdictError {
		return target.Paint(target.Failed, v)
	}
	return target.Paint(target.Phase(v), v)
}

// oneLine keeps a message on its row: line breaks become spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// Package lint checks a valid spec for the classic ECS and EKS mistakes: each rule has an id,
// a severity, the place in the spec and the fix. A rule can be switched off per spec under
// lint.disable, with the reason.
package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Severities.
const (
	Error   = "error"
	Warning = "warning"
)

// Finding is one rule tripped at one place.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Field    string `json:"field,omitempty"`
	// Target is set when the finding is about one target only.
	Target  string `json:"target,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// String is file:line:col: severity rule-id: field: message (fix), one line.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", f.Line, f.Column)
	}
	fmt.Fprintf(&b, ": %s %s: ", f.Severity, f.Rule)
	if f.Field != "" {
		b.WriteString(f.Field + ": ")
	}
	if f.Target != "" {
		fmt.Fprintf(&b, "[%s] ", f.Target)
	}
	b.WriteString(f.Message)
	if f.Fix != "" {
		fmt.Fprintf(&b, " (%s)", f.Fix)
	}
	return b.String()
}

// Input is what the rules look at.
type Input struct {
	App *spec.App
	// Raw is the spec file as written, before ${VAR} expansion.
	Raw []byte
	// Targets are the targets being linted (the spec's, or --target).
	Targets []string
	// Environment is --env; rules about production look at it.
	Environment string
}

// Production reports whether the environment is a production one by its name.
func (in *Input) Production() bool {
	e := strings.ToLower(in.Environment)
	return e == "prod" || e == "production" || strings.HasPrefix(e, "prod-") || strings.HasSuffix(e, "-prod") || strings.HasSuffix(e, "-production")
}

func (in *Input) has(target string) bool {
	for _, t := range in.Targets {
		if t == target {
			return true
		}
	}
	return false
}

// report collects one rule's findings with their positions.
type report struct {
	in   *Input
	rule Rule
	out  *[]Finding
}

func (r report) at(field, target, fix, format string, args ...any) {
	pos := r.in.App.Source.Position(field)
	*r.out = append(*r.out, Finding{Rule: r.rule.ID, Severity: r.rule.Severity, File: r.in.App.Source.File,
		Line: pos.Line, Column: pos.Column, Field: field, Target: target, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// Rule is one check.
type Rule struct {
	ID       string
	Severity string
	// Summary is the one line the README and `shipit lint --rules` list.
	Summary string
	check   func(in *Input, r report)
}

// Rules lists every rule, in the order they run.
func Rules() []Rule { return rules }

func ruleByID(id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Run checks the app with every rule not disabled in its lint: block; strict turns warnings
// into errors. Findings come sorted by position, then rule.
func Run(in *Input, strict bool) []Finding {
	var out []Finding
	disabled := map[string]bool{}
	if l := in.App.Lint; l != nil {
		ids := make([]string, 0, len(l.Disable))
		for id := range l.Disable {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			field := "lint.disable." + id
			pos := in.App.Source.Position(field)
			bad := func(msg, fix string) {
				out = append(out, Finding{Rule: "lint-config", Severity: Error, File: in.App.Source.File, Line: pos.Line, Column: pos.Column, Field: field, Message: msg, Fix: fix})
			}
			if _, ok := ruleByID(id); !ok {
				bad(fmt.Sprintf("no rule %q", id), "known rules: "+strings.Join(ruleIDs(), ", "))
				continue
			}
			if strings.TrimSpace(l.Disable[id]) == "" {
				bad("a disabled rule needs its reason", "write why the rule does not apply here, e.g. "+id+": \"<why>\"")
				continue
			}
			disabled[id] = true
		}
	}
	for _, rule := range rules {
		if !disabled[rule.ID] {
			rule.check(in, report{in: in, rule: rule, out: &out})
		}
	}
	if strict {
		for i := range out {
			out[i].Severity = Error
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
	return out
}

func ruleIDs() []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return ids
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

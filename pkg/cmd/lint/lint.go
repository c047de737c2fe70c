// Package lint is `shipit lint`: the classic ECS and EKS mistakes in a valid spec, each with
// its rule id, severity, place and fix.
package lint

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/lint"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// Options are lint's inputs.
type Options struct {
	IO       *cmdutil.IOStreams
	Global   *cmdutil.GlobalOptions
	Registry cmdutil.Targets
	// Target limits the rules to one target; empty means the targets the spec configures.
	Target string
	Strict bool
}

// Result is what -o json prints.
type Result struct {
	File         string         `json:"file"`
	Environments []string       `json:"environments"`
	Findings     []lint.Finding `json:"findings"`
	// Errors are what makes lint fail: the spec's own errors (then no rule ran), else the
	// findings of severity error.
	Errors  []spec.FieldError `json:"errors"`
	Errored bool              `json:"failed"`
	// Error and ExitCode are set when lint fails: with Errors, the fields every failing
	// command's JSON result carries (cmdutil.Failure).
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"`
}

// NewCmd builds the cobra command; runF replaces Run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Global: f.Global, Registry: f.Targets}
	var listRules bool
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Find the classic ECS and EKS mistakes in a spec",
		Long: "Checks a valid spec with rules for what bites ECS and EKS teams: secrets in plain text,\n" +
			"shared roles, no health check, one replica in production, mutable image tags, data on\n" +
			"ephemeral storage, settings one target cannot honour, and more (--rules lists them).\n" +
			"Each finding has a rule id, a severity, file:line:col and the fix. Without --env, the base\n" +
			"spec and every environment are linted. Exit 0 when clean or only warnings, 2 on errors\n" +
			"(--strict: on warnings too). A rule that does not apply is switched off in the spec,\n" +
			"with its reason: lint: {disable: {RULE: \"why\"}}.",
		Example: "  shipit lint\n  shipit lint --env production --strict\n  shipit lint --target ecs -o json\n  shipit lint --rules",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if listRules {
				return printRules(opts)
			}
			if opts.Target != "" {
				if _, err := opts.Registry.Lookup(opts.Target); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Target, "target", "", "lint for this target only (ecs or eks)")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat warnings as errors (exit 2)")
	cmd.Flags().BoolVar(&listRules, "rules", false, "list the rules and exit")
	return cmd
}

func printRules(o *Options) error {
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	type row struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
	}
	var rows []row
	for _, r := range lint.Rules() {
		rows = append(rows, row{r.ID, r.Severity, r.Summary})
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, rows)
	}
	for _, r := range rows {
		fmt.Fprintf(o.IO.Out, "%-34s %-8s %s\n", r.ID, r.Severity, r.Summary)
	}
	return nil
}

// Run lints the spec (every environment without --env) and prints the findings.
func Run(ctx context.Context, o *Options) error {
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	raw, err := o.Global.ReadSpec(ctx, o.IO.In)
	if err != nil {
		return err
	}
	doc, err := spec.ParseDocument(o.Global.File, raw)
	if err != nil {
		return o.report(&Result{File: o.Global.File}, err)
	}
	envs := []string{o.Global.Env}
	if o.Global.Env == "" {
		envs = append(envs, doc.Environments()...)
	}
	res := &Result{File: o.Global.File, Findings: []lint.Finding{}, Errors: []spec.FieldError{}}
	seen := map[string]bool{}
	var invalid spec.Errors
	for _, env := range envs {
		name := env
		if name == "" {
			name = "(base)"
		}
		res.Environments = append(res.Environments, name)
		app, err := doc.Load(spec.Options{Environment: env, Getenv: o.Global.Getenv, Target: o.Target})
		if err != nil {
			if errs, ok := err.(spec.Errors); ok {
				invalid = append(invalid, errs...)
				continue
			}
			return err
		}
		targets := app.Targets()
		if o.Target != "" {
			targets = []string{o.Target}
		}
		valid := true
		for _, t := range targets {
			if errs, _ := app.Validate(t); len(errs) > 0 {
				invalid, valid = append(invalid, errs...), false
			}
		}
		if !valid {
			continue
		}
		for _, f := range lint.Run(&lint.Input{App: app, Raw: raw, Targets: targets, Environment: env}, o.Strict) {
			if k := f.String(); !seen[k] {
				seen[k] = true
				res.Findings = append(res.Findings, f)
			}
		}
	}
	if len(invalid) > 0 {
		var uniq spec.Errors
		dup := map[string]bool{}
		for _, e := range invalid {
			if k := e.Error(); !dup[k] {
				dup[k] = true
				uniq = append(uniq, e)
			}
		}
		return o.report(res, uniq)
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	var err2 error
	if lint.HasErrors(res.Findings) {
		res.Errored = true
		err2 = findingsError(res.Findings)
	}
	return o.report(res, err2)
}

// findingsError carries lint's errors out as spec errors: exit 2, like an invalid spec.
func findingsError(fs []lint.Finding) spec.Errors {
	var out spec.Errors
	for _, f := range fs {
		if f.Severity == lint.Error {
			out = append(out, spec.FieldError{File: f.File, Line: f.Line, Column: f.Column, Field: f.Field, Target: f.Target, Message: f.Rule + ": " + f.Message, Fix: f.Fix})
		}
	}
	return out
}

func (o *Options) report(res *Result, err error) error {
	if errs, ok := err.(spec.Errors); ok && len(res.Findings) == 0 && !res.Errored {
		res.Errors = errs // the spec is invalid: validate's errors, no rule ran
		res.Errored = true
	}
	if o.Global.JSON() {
		if res.Environments == nil {
			res.Environments = []string{}
		}
		if res.Findings == nil {
			res.Findings = []lint.Finding{}
		}
		if res.Errors == nil {
			res.Errors = []spec.FieldError{}
		}
		if f := cmdutil.FailureOf(err); f != nil {
			res.Error, res.ExitCode, res.Errors = f.Error, f.ExitCode, f.Errors
		}
		if perr := cmdutil.PrintJSON(o.IO.Out, res); perr != nil {
			return perr
		}
		return cmdutil.Silent(err) // the JSON result lists the errors
	}
	if len(res.Errors) > 0 {
		return err // printed by the caller as spec errors, one per line
	}
	for _, f := range res.Findings {
		fmt.Fprintln(o.IO.Out, f.String())
	}
	fmt.Fprintln(o.IO.ErrOut, summary(res))
	return cmdutil.Silent(err) // the findings above are the output
}

func summary(res *Result) string {
	var errs, warns int
	for _, f := range res.Findings {
		if f.Severity == lint.Error {
			errs++
		} else {
			warns++
		}
	}
	if errs+warns == 0 {
		return fmt.Sprintf("%s: no findings (%s)", res.File, cmdutil.EnvironmentList(res.Environments))
	}
	return fmt.Sprintf("%s: %d error(s), %d warning(s) (%s)", res.File, errs, warns, cmdutil.EnvironmentList(res.Environments))
}

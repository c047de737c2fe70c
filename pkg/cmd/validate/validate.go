// Package validate is `shipit validate`: load the spec and check it for every target it
// configures (and, without --env, for every environment it defines).
package validate

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are validate's inputs.
type Options struct {
	IO     *cmdutil.IOStreams
	Global *cmdutil.GlobalOptions
	// Registry are the targets shipit can check for.
	Registry cmdutil.Targets
	// Targets limits the check to these targets; empty means those the spec configures.
	Targets []string
}

// Result is what -o json prints.
type Result struct {
	File         string            `json:"file"`
	Valid        bool              `json:"valid"`
	Environments []string          `json:"environments"`
	Targets      []string          `json:"targets"`
	Errors       []spec.FieldError `json:"errors"`
	Warnings     []spec.FieldError `json:"warnings"`
	// Error and ExitCode are set when the spec is invalid: with Errors, the fields every
	// failing command's JSON result carries (cmdutil.Failure).
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"`
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Global: f.Global, Registry: f.Targets}
	var tgt string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a spec for every target it configures",
		Long: "Loads shipit.yaml (strict fields, ${VAR} expansion, environments, defaults) and checks it for\n" +
			"each target it configures: the ecs: and eks: blocks, or both when it has neither. Without\n" +
			"--env, the base spec and every environment are checked.",
		Example: "  shipit validate\n" +
			"  shipit validate -f deploy/shipit.yaml --env production\n" +
			"  shipit validate --target ecs -o json | jq -r '.errors[].message'",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if tgt != "" {
				if _, err := opts.Registry.Lookup(tgt); err != nil {
					return err
				}
				opts.Targets = []string{tgt}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&tgt, "target", "", "check only this target (ecs or eks)")
	return cmd
}

// Run validates and prints the result; a spec.Errors error means exit 2.
func Run(ctx context.Context, o *Options) error {
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	// The spec is read and parsed once, however many environments it has.
	doc, err := o.Global.LoadDocument(ctx, o.IO.In)
	if err != nil {
		return o.report(nil, nil, err)
	}
	envs := []string{o.Global.Env}
	if o.Global.Env == "" {
		envs = append(envs, doc.Environments()...)
	}
	res := &Result{File: o.Global.File, Valid: true, Targets: []string{}, Errors: []spec.FieldError{}, Warnings: []spec.FieldError{}}
	seen := map[string]bool{}
	targets := map[string]bool{}
	keep := func(list *[]spec.FieldError, ds []spec.FieldError) {
		for _, d := range ds {
			if k := d.Error(); !seen[k] {
				seen[k] = true
				*list = append(*list, d)
			}
		}
	}
	only := "" // validate --target T expands only T's block, as a deploy to T does
	if len(o.Targets) == 1 {
		only = o.Targets[0]
	}
	for _, env := range envs {
		app, err := doc.Load(spec.Options{Environment: env, Getenv: o.Global.Getenv, Target: only})
		if err != nil {
			if errs, ok := err.(spec.Errors); ok {
				keep(&res.Errors, errs)
				continue
			}
			return err
		}
		keep(&res.Warnings, app.Warnings())
		ts := o.Targets
		if len(ts) == 0 {
			ts = app.Targets()
		}
		for _, t := range ts {
			targets[t] = true
			errs, warns := app.Validate(t)
			keep(&res.Errors, errs)
			keep(&res.Warnings, warns)
			if t == spec.TargetEKS && only == spec.TargetEKS {
				keep(&res.Warnings, ecsOnlyWarnings(o, doc, env))
			}
			if len(errs) == 0 {
				keep(&res.Errors, renderLimits(o, t, app))
			}
		}
	}
	for _, e := range envs {
		if e == "" {
			e = "(base)"
		}
		res.Environments = append(res.Environments, e)
	}
	for t := range targets {
		res.Targets = append(res.Targets, t)
	}
	sort.Strings(res.Targets)
	res.Valid = len(res.Errors) == 0
	err = nil
	if !res.Valid {
		err = spec.Errors(res.Errors)
	}
	return o.report(res, res.Warnings, err)
}

func (o *Options) report(res *Result, warns []spec.FieldError, err error) error {
	if res == nil { // the spec did not load at all
		res = &Result{File: o.Global.File, Environments: []string{}, Targets: []string{}, Errors: []spec.FieldError{}, Warnings: []spec.FieldError{}}
		errs, ok := err.(spec.Errors)
		if !ok {
			return err
		}
		res.Errors = errs
	}
	if o.Global.JSON() {
		if f := cmdutil.FailureOf(err); f != nil {
			res.Error, res.ExitCode, res.Errors = f.Error, f.ExitCode, f.Errors
		}
		if perr := cmdutil.PrintJSON(o.IO.Out, res); perr != nil {
			return perr
		}
		// The JSON result lists the errors already.
		return cmdutil.Silent(err)
	}
	cmdutil.PrintDiagnostics(o.IO.ErrOut, "warning: ", warns)
	if err == nil {
		fmt.Fprintf(o.IO.Out, "%s: valid for %s (%s)\n", res.File, strings.Join(res.Targets, ", "), cmdutil.EnvironmentList(res.Environments))
	}
	return err
}

// renderLimits renders the app offline for a target and returns the problems only a render
// shows (ECS's 64 KiB task definition limit). It renders for the region a deploy would use
// (--region, else the spec's); the region only fills awslogs-region, so one is assumed when
// neither names it.
func renderLimits(o *Options, name string, app *spec.App) []spec.FieldError {
	t, err := o.Registry.Lookup(name)
	if err != nil {
		return nil
	}
	if _, err := t.Render(app, target.RenderOptions{Region: o.Global.Region, DefaultRegion: "us-east-1"}); err != nil {
		if errs, ok := err.(spec.Errors); ok {
			return errs
		}
	}
	return nil
}

// ecsOnlyWarnings are the warnings about ecs: settings with no Kubernetes counterpart, for
// validate --target eks, whose load leaves the ecs: block out: it loads the spec again with it,
// an unset ${VAR} read as a stand-in value (only the settings' presence matters here).
func ecsOnlyWarnings(o *Options, doc *spec.Document, env string) []spec.FieldError {
	lookup := o.Global.Getenv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	getenv := func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, true
		}
		return "unset", true
	}
	full, err := doc.Load(spec.Options{Environment: env, Getenv: getenv})
	if err != nil {
		return nil
	}
	return full.ECSOnlyWarnings()
}

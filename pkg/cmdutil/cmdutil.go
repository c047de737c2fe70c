// Package cmdutil holds what every command shares: IO streams, the global flags, loading the
// spec they name, and printing results in text or JSON.
package cmdutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// IOStreams are a command's input and outputs: results go to Out, progress and diagnostics
// to ErrOut. Tests pass buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// System returns the process's standard streams.
func System() *IOStreams { return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	File       string
	Env        string
	Output     string
	Region     string
	Profile    string
	Kubeconfig string
	Context    string
	NoColor    bool
	Verbose    int
	// Getenv looks up ${VAR} in specs; nil means the process environment.
	Getenv func(string) (string, bool)
	// ErrorsInOutput is set by a command whose JSON result already lists the spec errors.
	ErrorsInOutput bool
}

// JSON reports whether -o json was asked for.
func (g *GlobalOptions) JSON() bool { return g.Output == "json" }

// CheckOutput validates -o.
func (g *GlobalOptions) CheckOutput() error {
	if g.Output != "text" && g.Output != "json" {
		return &target.UsageError{Msg: fmt.Sprintf("-o %s: unknown output format (use text or json)", g.Output)}
	}
	return nil
}

// Targets are the implementations the CLI can drive, by --target name.
var Targets = map[string]target.Target{
	spec.TargetECS: ecs.Target{},
	spec.TargetEKS: eks.Target{},
}

// LookupTarget returns the implementation for a --target value.
func LookupTarget(name string) (target.Target, error) {
	if t, ok := Targets[name]; ok {
		return t, nil
	}
	names := make([]string, 0, len(Targets))
	for n := range Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	if name == "" {
		return nil, &target.UsageError{Msg: "--target is required: one of " + strings.Join(names, ", ")}
	}
	return nil, &target.UsageError{Msg: fmt.Sprintf("--target %s: unknown target (use one of %s)", name, strings.Join(names, ", "))}
}

// ParseImages reads repeated --image NAME=REF flags.
func ParseImages(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, ref, ok := strings.Cut(f, "=")
		if !ok || name == "" || ref == "" {
			return nil, &target.UsageError{Msg: fmt.Sprintf("--image %s: expected NAME=REF, e.g. --image web=123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1", f)}
		}
		out[name] = ref
	}
	return out, nil
}

// LoadSpec loads the spec named by -f with --env and the given image overrides.
func (g *GlobalOptions) LoadSpec(images map[string]string) (*spec.App, error) {
	return spec.Load(g.File, spec.Options{Environment: g.Env, Getenv: g.Getenv, Images: images})
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PrintDiagnostics writes warnings (and, in text mode, errors) one per line to ErrOut.
func PrintDiagnostics(w io.Writer, prefix string, ds []spec.FieldError) {
	for _, d := range ds {
		fmt.Fprintf(w, "%s%s\n", prefix, d.Error())
	}
}

// LoadFor loads the spec and validates it for one target, printing warnings to ErrOut. A
// spec with errors never reaches a target.
func (g *GlobalOptions) LoadFor(io *IOStreams, targetName string, imageFlags []string) (target.Target, *spec.App, error) {
	if err := g.CheckOutput(); err != nil {
		return nil, nil, err
	}
	t, err := LookupTarget(targetName)
	if err != nil {
		return nil, nil, err
	}
	images, err := ParseImages(imageFlags)
	if err != nil {
		return nil, nil, err
	}
	app, err := g.LoadSpec(images)
	if err != nil {
		return nil, nil, err
	}
	errs, warns := app.Validate(t.Name())
	PrintDiagnostics(io.ErrOut, "warning: ", append(app.Warnings(), warns...))
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return t, app, nil
}

// Connect loads and validates the spec for a target, then connects to the target: the start
// of every command that talks to a live system.
func (g *GlobalOptions) Connect(ctx context.Context, io *IOStreams, targetName string, imageFlags []string) (target.Target, *spec.App, target.Session, error) {
	t, app, err := g.LoadFor(io, targetName, imageFlags)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := t.Connect(ctx, app, g.ConnectOptions())
	if err != nil {
		return nil, nil, nil, err
	}
	return t, app, s, nil
}

// ConnectOptions are the access flags as the targets take them.
func (g *GlobalOptions) ConnectOptions() target.ConnectOptions {
	return target.ConnectOptions{Region: g.Region, Profile: g.Profile, Kubeconfig: g.Kubeconfig, Context: g.Context}
}

// Reporter prints rollout progress: JSON Lines on Out with -o json, else text on ErrOut
// (a live line on a terminal unless CI=true or --no-color).
func (g *GlobalOptions) Reporter(io *IOStreams) target.Reporter {
	if g.JSON() {
		return target.NewReporter(io.Out, "json", false)
	}
	return target.NewReporter(io.ErrOut, "text", !g.NoColor && IsTerminal(io.ErrOut) && os.Getenv("CI") != "true")
}

// PrintVerdict prints how a deploy or rollback ended and returns the error carrying its exit
// code.
func (g *GlobalOptions) PrintVerdict(io *IOStreams, v *target.Verdict) error {
	if g.JSON() {
		if err := PrintJSON(io.Out, v); err != nil {
			// The exit code still tells the rollout's verdict, even to a reader that went away.
			fmt.Fprintf(io.ErrOut, "could not print the verdict (%s: %s): %v\n", v.Phase, v.Message, err)
		}
		return v.Err()
	}
	mark := "✗"
	if v.Phase == target.Succeeded {
		mark = "✓"
	}
	fmt.Fprintf(io.Out, "%s %s on %s: %s: %s\n", mark, v.App, v.Target, v.Phase, v.Message)
	return v.Err()
}

// NoArgs rejects positional arguments as a usage error (exit 2).
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &target.UsageError{Msg: fmt.Sprintf("%s takes no arguments, got %q (the spec is given with -f)", cmd.CommandPath(), args)}
	}
	return nil
}

// TargetFlag adds --target, which every command that renders or talks to a target takes.
func TargetFlag(cmd *cobra.Command, into *string) {
	cmd.Flags().StringVar(into, "target", "", "ecs or eks (required)")
}

// WatchFlags adds --timeout and --no-wait, which every command that watches a rollout takes.
func WatchFlags(cmd *cobra.Command, timeout *time.Duration, noWait *bool) {
	cmd.Flags().DurationVar(timeout, "timeout", 0, "give up watching after this long (default rollout.timeout)")
	cmd.Flags().BoolVar(noWait, "no-wait", false, "apply and return without watching the rollout")
}

// ImageFlag adds the repeatable --image NAME=REF override.
func ImageFlag(cmd *cobra.Command, into *[]string) {
	cmd.Flags().StringArrayVar(into, "image", nil, "override a container's image: NAME=REF (repeatable)")
}

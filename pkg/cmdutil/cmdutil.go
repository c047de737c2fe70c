package cmdutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// IOStreams are a command's input and outputs: results go to Out, progress and diagnostics
// to ErrOut. Tests pass buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// StdinTTY overrides whether In is an interactive terminal (tests set it); nil means ask
	// the terminal.
	StdinTTY *bool
	// OutTTY and ErrOutTTY override whether Out and ErrOut are terminals (tests set them); nil
	// means ask the terminal.
	OutTTY, ErrOutTTY *bool
}

// IsOutTTY reports whether Out is a terminal.
func (s *IOStreams) IsOutTTY() bool {
	if s.OutTTY != nil {
		return *s.OutTTY
	}
	return IsTerminal(s.Out)
}

// IsErrOutTTY reports whether ErrOut is a terminal.
func (s *IOStreams) IsErrOutTTY() bool {
	if s.ErrOutTTY != nil {
		return *s.ErrOutTTY
	}
	return IsTerminal(s.ErrOut)
}

// IsStdinTTY reports whether In is an interactive terminal, one a command may ask questions on.
func (s *IOStreams) IsStdinTTY() bool {
	if s.StdinTTY != nil {
		return *s.StdinTTY
	}
	return IsTerminalReader(s.In)
}

// SilentError wraps an error whose message the command has already printed (a JSON result
// that lists the spec errors, say): the exit code is still Err's, and nothing more is printed.
type SilentError struct{ Err error }

func (e *SilentError) Error() string { return e.Err.Error() }
func (e *SilentError) Unwrap() error { return e.Err }

// Silent marks err as already printed; nil stays nil.
func Silent(err error) error {
	if err == nil {
		return nil
	}
	return &SilentError{Err: err}
}

// System returns the process's standard streams.
func System() *IOStreams { return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	// File is the spec file (-f); for deploy, the first of Files.
	File string
	// Files are deploy's -f values when given (DeployFilesFlag): files and directories.
	Files      []string
	Env        string
	Output     string
	Region     string
	Profile    string
	Kubeconfig string
	Context    string
	NoColor    bool
	Verbose    int
	// RequestTimeout bounds each API request (the AWS SDK retries within the command's
	// bound); 0 means no per-request bound.
	RequestTimeout time.Duration
	// Getenv looks up ${VAR} in specs; nil means the process environment.
	Getenv func(string) (string, bool)
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

// Factory is what every command is built from: its streams, the global flags and the
// targets it can drive. main builds one with the real targets (pkg/cmd/factory); tests build
// one with buffers and a fake target (pkg/target/targettest).
type Factory struct {
	IOStreams *IOStreams
	Global    *GlobalOptions
	Targets   Targets
}

// Targets are the implementations the CLI can drive, by --target name.
type Targets map[string]target.Target

// Lookup returns the implementation for a --target value.
func (ts Targets) Lookup(name string) (target.Target, error) {
	if t, ok := ts[name]; ok {
		return t, nil
	}
	names := slices.Sorted(maps.Keys(ts))
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

// ReadSpec reads the spec named by -f once ("-" is stdin), giving up when ctx ends: a FIFO
// nobody writes to waits only until Ctrl-C or the command's time bound.
func (g *GlobalOptions) ReadSpec(ctx context.Context, in io.Reader) ([]byte, error) {
	target.Step(ctx, "reading the spec "+g.File)
	return ReadSpecFile(ctx, g.File, in)
}

// ReadSpecFile reads one spec file once ("-" is stdin), giving up when ctx ends.
func ReadSpecFile(ctx context.Context, file string, in io.Reader) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		data, err := spec.Read(file, in)
		ch <- result{data, err}
	}()
	select {
	case r := <-ch:
		return r.data, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// LoadDocument reads and parses the spec named by -f, once.
func (g *GlobalOptions) LoadDocument(ctx context.Context, in io.Reader) (*spec.Document, error) {
	data, err := g.ReadSpec(ctx, in)
	if err != nil {
		return nil, err
	}
	target.Step(ctx, "loading the spec "+g.File)
	return spec.ParseDocument(g.File, data)
}

// LoadSpec loads the spec named by -f with --env and the given image overrides, for one
// target (only that target's block is expanded).
func (g *GlobalOptions) LoadSpec(ctx context.Context, in io.Reader, targetName string, images map[string]string) (*spec.App, error) {
	doc, err := g.LoadDocument(ctx, in)
	if err != nil {
		return nil, err
	}
	return doc.Load(spec.Options{Environment: g.Env, Getenv: g.Getenv, Images: images, Target: targetName})
}

// Failure is what every command's JSON result carries when the command fails (exits non-zero),
// whatever else the result holds: the error, the exit code, and the spec errors behind it.
// Root prints it alone for a failure with no result of its own; validate and lint add it to
// their results, deploy and rollback to their verdict, diff to its differences.
type Failure struct {
	// Error is the error message; for spec errors, the first one (and how many more there are).
	Error string `json:"error"`
	// ExitCode is the process's exit code (docs/architecture.md, "Exit codes").
	ExitCode int `json:"exitCode"`
	// Errors are the spec errors behind the failure (an invalid spec, lint's error findings),
	// each with its file, line, column, field, message and fix; empty for any other failure.
	Errors []spec.FieldError `json:"errors"`
}

// FailureOf is err as a JSON result's failure fields; nil for nil.
func FailureOf(err error) *Failure {
	if err == nil {
		return nil
	}
	f := &Failure{Error: err.Error(), ExitCode: target.ExitCode(err), Errors: []spec.FieldError{}}
	var errs spec.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		f.Errors = errs
		f.Error = errs[0].Error()
		if len(errs) > 1 {
			f.Error += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	return f
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
func (g *GlobalOptions) LoadFor(ctx context.Context, io *IOStreams, targets Targets, targetName string, imageFlags []string) (target.Target, *spec.App, error) {
	if err := g.CheckOutput(); err != nil {
		return nil, nil, err
	}
	t, err := targets.Lookup(targetName)
	if err != nil {
		return nil, nil, err
	}
	images, err := ParseImages(imageFlags)
	if err != nil {
		return nil, nil, err
	}
	app, err := g.LoadSpec(ctx, io.In, t.Name(), images)
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
func (g *GlobalOptions) Connect(ctx context.Context, io *IOStreams, targets Targets, targetName string, imageFlags []string) (target.Target, *spec.App, target.Session, error) {
	t, app, err := g.LoadFor(ctx, io, targets, targetName, imageFlags)
	if err != nil {
		return nil, nil, nil, err
	}
	target.Step(ctx, "connecting to "+t.Name())
	s, err := t.Connect(ctx, app, g.ConnectOptions())
	if err != nil {
		return nil, app, nil, err
	}
	return t, app, s, nil
}

// ConnectOptions are the access flags as the targets take them.
func (g *GlobalOptions) ConnectOptions() target.ConnectOptions {
	return target.ConnectOptions{Region: g.Region, Profile: g.Profile, Kubeconfig: g.Kubeconfig, Context: g.Context, RequestTimeout: g.RequestTimeout}
}

// Reporter prints rollout progress: JSON Lines on Out with -o json, else text on ErrOut
// (a live line on a terminal unless CI=true or --no-color; phases in colour as Color says).
func (g *GlobalOptions) Reporter(io *IOStreams) target.Reporter {
	if g.JSON() {
		return target.NewReporter(io.Out, "json", false)
	}
	tty := io.IsErrOutTTY()
	return target.NewTextReporter(io.ErrOut, !g.NoColor && tty && os.Getenv("CI") != "true", g.Color(tty))
}

// Color reports whether output to a stream (a terminal or not) is coloured: only on a
// terminal, and never with --no-color, NO_COLOR set to anything but empty (no-color.org) or
// CI=true.
func (g *GlobalOptions) Color(tty bool) bool {
	return tty && !g.NoColor && os.Getenv("NO_COLOR") == "" && os.Getenv("CI") != "true"
}

// PrintVerdict prints how a deploy or rollback ended and returns the error carrying its exit
// code. A watch that stopped because the command's time bound ran out is a timeout (exit 5)
// naming the step it was in, not an interrupt.
func (g *GlobalOptions) PrintVerdict(ctx context.Context, io *IOStreams, v *target.Verdict) error {
	SettleVerdict(ctx, v)
	v.Hint = g.logsHint(v)
	if g.JSON() {
		// A verdict that is not a success carries the failure fields every failing command's
		// JSON result has.
		res := struct {
			*target.Verdict
			*Failure
		}{v, FailureOf(v.Err())}
		if err := PrintJSON(io.Out, res); err != nil {
			// The exit code still tells the rollout's verdict, even to a reader that went away.
			fmt.Fprintf(io.ErrOut, "could not print the verdict (%s: %s): %v\n", v.Phase, v.Message, err)
		}
		return v.Err()
	}
	mark := "✗"
	if v.Phase == target.Succeeded {
		mark = "✓"
	}
	phase := string(v.Phase)
	if g.Color(io.IsOutTTY()) {
		mark, phase = target.Paint(v.Phase, mark), target.Paint(v.Phase, phase)
	}
	fmt.Fprintf(io.Out, "%s %s on %s: %s: %s\n", mark, v.App, v.Target, phase, v.Message)
	if v.Hint != "" {
		fmt.Fprintf(io.Out, "  logs of revision %s: %s\n", v.FailedRevision, v.Hint)
	}
	return v.Err()
}

// SettleVerdict makes a verdict whose watch stopped because the command's time bound ran out
// a timeout (exit 5) naming the step it was in, not an interrupt.
func SettleVerdict(ctx context.Context, v *target.Verdict) {
	if te := target.OutOfTime(ctx, nil); te != nil && (v.Phase == target.Canceled || v.Phase == target.TimedOut) {
		v.Phase = target.TimedOut
		// a verdict made from the TimeoutError itself says it already
		if !strings.HasPrefix(v.Message, te.Error()) {
			v.Message = te.Error() + "; " + strings.TrimPrefix(strings.TrimPrefix(v.Message, "interrupted: "), "interrupted ")
		}
	}
}

// logsHint is the command that shows the logs of the revision a rollout failed with: what to
// run next after a failed, rolled back or timed out deploy. The spec file and environment are
// carried over, so it can be pasted as it is.
func (g *GlobalOptions) logsHint(v *target.Verdict) string {
	if v.FailedRevision == "" || (v.Phase != target.Failed && v.Phase != target.RolledBack && v.Phase != target.TimedOut) {
		return ""
	}
	hint := fmt.Sprintf("shipit logs --target %s --revision %s", v.Target, v.FailedRevision)
	if g.File != "" && g.File != "shipit.yaml" {
		hint += " -f " + shellQuote(g.File)
	}
	if g.Env != "" {
		hint += " --env " + shellQuote(g.Env)
	}
	return hint
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Stopped turns an error of a command that an interrupt or its time bound stopped into the
// error that says so (exit 130 or 5), naming the step it was in. Other errors pass through.
func Stopped(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var rollout *target.VerdictError
	var ie *target.InterruptError
	var silent *SilentError
	// A result already printed (a verdict, a summary) keeps the exit code it printed.
	if errors.As(err, &rollout) || errors.As(err, &ie) || errors.As(err, &silent) {
		return err
	}
	if te := target.OutOfTime(ctx, err); te != nil {
		return te
	}
	if target.Interrupted(ctx) {
		return &target.InterruptError{Cause: context.Cause(ctx), Step: target.CurrentStep(ctx), Err: err}
	}
	return err
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
	cmd.Flags().DurationVar(timeout, "timeout", 0, "give up after this long: the whole command, apply, watch and automatic rollback (exit 5); default: rollout.timeout for each watch, and twice that plus 5m for the whole command")
	cmd.Flags().BoolVar(noWait, "no-wait", false, "apply and return without watching the rollout")
}

// TimeoutFlag adds --timeout to a command that only reads or deletes, with its default bound.
func TimeoutFlag(cmd *cobra.Command, into *time.Duration, def time.Duration) {
	cmd.Flags().DurationVar(into, "timeout", def, "give up after this long (exit 5)")
}

// Default time bounds of the commands that do not watch a rollout.
const (
	DefaultReadTimeout    = 2 * time.Minute // status, diff, deploy --dry-run
	DefaultDestroyTimeout = 5 * time.Minute
	// DefaultRequestTimeout bounds each API request unless --request-timeout says otherwise.
	DefaultRequestTimeout = 30 * time.Second
)

// WatchGrace is how long past --timeout a deploy or rollback may take at most: its watch runs
// out at --timeout and reports its own verdict (the last state it saw) in that time.
const WatchGrace = 2 * time.Second

// DeployBound is the time bound of a deploy or rollback without --timeout: each watch may
// take the rollout's timeout, and an automatic rollback watches a second time.
func DeployBound(watch time.Duration) time.Duration { return 2*watch + 5*time.Minute }

// ImageFlag adds the repeatable --image NAME=REF override.
func ImageFlag(cmd *cobra.Command, into *[]string) {
	cmd.Flags().StringArrayVar(into, "image", nil, "override a container's image: NAME=REF (repeatable)")
}

// EnvironmentList is the environments a command went through, for text output: the spec's
// own settings, JSON's "(base)", read as "base" (inside a sentence's parentheses already).
func EnvironmentList(envs []string) string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e
		if e == "(base)" {
			out[i] = "base"
		}
	}
	return strings.Join(out, ", ")
}

// Package root assembles shipit's command tree and turns errors into exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmd/cost"
	"github.com/shipit-dev/shipit/pkg/cmd/deploy"
	"github.com/shipit-dev/shipit/pkg/cmd/destroy"
	"github.com/shipit-dev/shipit/pkg/cmd/diff"
	"github.com/shipit-dev/shipit/pkg/cmd/factory"
	"github.com/shipit-dev/shipit/pkg/cmd/history"
	"github.com/shipit-dev/shipit/pkg/cmd/importcmd"
	initcmd "github.com/shipit-dev/shipit/pkg/cmd/init"
	"github.com/shipit-dev/shipit/pkg/cmd/lint"
	"github.com/shipit-dev/shipit/pkg/cmd/logs"
	"github.com/shipit-dev/shipit/pkg/cmd/render"
	"github.com/shipit-dev/shipit/pkg/cmd/rollback"
	"github.com/shipit-dev/shipit/pkg/cmd/run"
	"github.com/shipit-dev/shipit/pkg/cmd/status"
	"github.com/shipit-dev/shipit/pkg/cmd/validate"
	"github.com/shipit-dev/shipit/pkg/cmd/version"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// NewCmd builds the root command with every subcommand and the global flags.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	io, g := f.IOStreams, f.Global
	cmd := &cobra.Command{
		Use:   "shipit",
		Short: "Deploy one app spec to AWS ECS (Fargate) or Kubernetes on EKS",
		Long: "shipit turns one neutral app spec (shipit.yaml) into ECS or Kubernetes objects.\n\n" +
			"Exit codes: 0 ok · 1 error · 2 invalid spec or usage · 3 rollout failed ·\n" +
			"4 rolled back · 5 timed out · 6 diff found differences · 130 interrupted (Ctrl-C or SIGTERM);\n" +
			"run: its command's own exit code when the command ran.",
		SilenceUsage:  true,
		SilenceErrors: true,
		// A mistyped subcommand is a usage error (exit 2). With Args set, cobra hands the
		// arguments here instead of building its own untyped "unknown command" error.
		Args:                       unknownCommand,
		SuggestionsMinimumDistance: 2,
		RunE:                       func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	// Usage mistakes (unknown flag, bad argument) exit 2 like an invalid spec.
	cmd.PersistentPreRun = func(*cobra.Command, []string) { cmdutil.QuietKlog(io.ErrOut, g.Verbose) }
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &target.UsageError{Msg: err.Error() + "\nsee '" + c.CommandPath() + " --help'"}
	})
	pf := cmd.PersistentFlags()
	cmdutil.FileFlag(pf, g)
	pf.StringVar(&g.Env, "env", "", "merge environments.NAME over the base spec")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.Region, "region", "", "AWS region: beats ecs.region, which beats AWS_REGION and the AWS default chain")
	pf.StringVar(&g.Profile, "profile", "", "AWS shared config profile")
	pf.StringVar(&g.Kubeconfig, "kubeconfig", "", "path to a kubeconfig (else KUBECONFIG, else ~/.kube/config)")
	pf.StringVar(&g.Context, "context", "", "kubeconfig context: beats eks.context, which beats the kubeconfig's current context")
	pf.BoolVar(&g.NoColor, "no-color", false, "never use colour (nor with NO_COLOR set, CI=true, or output that is not a terminal)")
	pf.CountVarP(&g.Verbose, "verbose", "v", "more detail (repeatable)")
	pf.DurationVar(&g.RequestTimeout, "request-timeout", cmdutil.DefaultRequestTimeout, "give up on one API request after this long (0: no per-request bound); the AWS SDK retries within --timeout")

	cmd.AddCommand(
		initcmd.NewCmd(f, nil),
		importcmd.NewCmd(f, nil),
		validate.NewCmd(f, nil),
		render.NewCmd(f, nil),
		diff.NewCmd(f, nil),
		deploy.NewCmd(f, nil),
		status.NewCmd(f, nil),
		history.NewCmd(f, nil),
		logs.NewCmd(f, nil),
		rollback.NewCmd(f, nil),
		destroy.NewCmd(f, nil),
		run.NewCmd(f, nil),
		lint.NewCmd(f, nil),
		cost.NewCmd(f, nil),
		version.NewCmd(f),
	)
	builtinExamples(cmd)
	registerCompletions(cmd, f)
	return cmd
}

// registerCompletions gives the flags people type most their values on Tab: -o's formats,
// --target's names (every command that takes it), --env from the spec -f names, --context from
// the kubeconfig; -f and --kubeconfig complete file names (-f YAML ones).
func registerCompletions(root *cobra.Command, f *cmdutil.Factory) {
	g := f.Global
	must := func(err error) {
		if err != nil {
			panic(err) // a flag name below is wrong: a programming error, caught by the tests
		}
	}
	must(root.RegisterFlagCompletionFunc("output", cmdutil.CompleteOutput))
	must(root.RegisterFlagCompletionFunc("env", g.CompleteEnv))
	must(root.RegisterFlagCompletionFunc("context", g.CompleteContext))
	must(root.MarkPersistentFlagFilename("file", "yaml", "yml"))
	must(root.MarkPersistentFlagFilename("kubeconfig"))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.LocalNonPersistentFlags().Lookup("target") != nil {
			must(c.RegisterFlagCompletionFunc("target", cmdutil.CompleteTargets(f.Targets)))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// builtinExamples adds cobra's help and completion commands now (cobra would add them when it
// runs) so that they carry examples too, as every command does.
func builtinExamples(cmd *cobra.Command) {
	cmd.InitDefaultHelpCmd()
	cmd.InitDefaultCompletionCmd()
	examples := map[string]string{
		"help": "  shipit help deploy\n  shipit help completion zsh",
		"completion": "  shipit completion bash > ~/.local/share/bash-completion/completions/shipit\n" +
			"  shipit completion zsh > \"${fpath[1]}/_shipit\"",
		"completion bash":       "  source <(shipit completion bash)\n  shipit completion bash > /etc/bash_completion.d/shipit",
		"completion zsh":        "  source <(shipit completion zsh)\n  shipit completion zsh > \"${fpath[1]}/_shipit\"",
		"completion fish":       "  shipit completion fish | source\n  shipit completion fish > ~/.config/fish/completions/shipit.fish",
		"completion powershell": "  shipit completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range cmd.Commands() {
		if ex, ok := examples[c.Name()]; ok && c.Example == "" {
			c.Example = ex
		}
		for _, sub := range c.Commands() {
			if ex, ok := examples[c.Name()+" "+sub.Name()]; ok && sub.Example == "" {
				sub.Example = ex
			}
		}
	}
}

// Execute runs shipit with args and returns the process exit code. Errors are printed here,
// once: spec errors one per line as file:line:col: field: message (fix).
func Execute(ctx context.Context, io *cmdutil.IOStreams, args []string) int {
	return ExecuteFactory(ctx, factory.New(io), args)
}

// ExecuteFactory is Execute with the targets and streams of f (tests pass a fake target).
func ExecuteFactory(ctx context.Context, f *cmdutil.Factory, args []string) int {
	io, g := f.IOStreams, f.Global
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	// The command's context: the first interrupt cancels it, and its time bound (set by the
	// command: --timeout or its default) ends it.
	cctx, cancel := target.CommandContext(ctx, 0)
	defer cancel()
	err := cmdutil.Stopped(cctx, cmd.ExecuteContext(cctx))
	if err == nil {
		return target.ExitOK
	}
	code := target.ExitCode(err)
	var specErrs spec.Errors
	var usage *target.UsageError
	var rollout *target.VerdictError
	var silent *cmdutil.SilentError
	switch {
	case errors.As(err, &rollout), code == target.ExitDiff, errors.As(err, &silent):
		// The verdict, the diff or the JSON result is already printed.
		return code
	case errors.As(err, &specErrs):
		cmdutil.PrintDiagnostics(io.ErrOut, "", specErrs)
	case errors.As(err, &usage):
		fmt.Fprintf(io.ErrOut, "error: %s\n", usage.Msg)
	default:
		fmt.Fprintf(io.ErrOut, "error: %s\n", err)
	}
	if g.JSON() {
		// Machines get the failure as the command's JSON result too, in the shape every
		// failing command's result has.
		_ = cmdutil.PrintJSON(io.Out, cmdutil.FailureOf(err))
	}
	return code
}

// unknownCommand rejects an argument to shipit itself: it names no subcommand.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &target.UsageError{Msg: msg + "\nsee '" + cmd.CommandPath() + " --help'"}
}

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
	initcmd "github.com/shipit-dev/shipit/pkg/cmd/init"
	"github.com/shipit-dev/shipit/pkg/cmd/lint"
	"github.com/shipit-dev/shipit/pkg/cmd/render"
	"github.com/shipit-dev/shipit/pkg/cmd/rollback"
	"github.com/shipit-dev/shipit/pkg/cmd/status"
	"github.com/shipit-dev/shipit/pkg/cmd/validate"
	"github.com/shipit-dev/shipit/pkg/cmd/version"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// NewCmd builds the root command with every subcommand and the global flags.
func NewCmd(io *cmdutil.IOStreams, g *cmdutil.GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shipit",
		Short: "Deploy one app spec to AWS ECS (Fargate) or Kubernetes on EKS",
		Long: "shipit turns one neutral app spec (shipit.yaml) into ECS or Kubernetes objects.\n\n" +
			"Exit codes: 0 ok · 1 error · 2 invalid spec or usage · 3 rollout failed ·\n" +
			"4 rolled back · 5 timed out · 6 diff found differences · 130 interrupted (Ctrl-C or SIGTERM).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	// Usage mistakes (unknown flag, bad argument) exit 2 like an invalid spec.
	cmd.PersistentPreRun = func(*cobra.Command, []string) { cmdutil.QuietKlog(io.ErrOut, g.Verbose) }
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &target.UsageError{Msg: err.Error() + "\nsee '" + c.CommandPath() + " --help'"}
	})
	f := cmd.PersistentFlags()
	f.StringVarP(&g.File, "file", "f", "shipit.yaml", "the spec file")
	f.StringVar(&g.Env, "env", "", "merge environments.NAME over the base spec")
	f.StringVarP(&g.Output, "output", "o", "text", "output format: text or json")
	f.StringVar(&g.Region, "region", "", "AWS region (else ecs.region, else the AWS default chain)")
	f.StringVar(&g.Profile, "profile", "", "AWS shared config profile")
	f.StringVar(&g.Kubeconfig, "kubeconfig", "", "path to a kubeconfig (else KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&g.Context, "context", "", "kubeconfig context (else eks.context, else the current context)")
	f.BoolVar(&g.NoColor, "no-color", false, "never use colour")
	f.CountVarP(&g.Verbose, "verbose", "v", "more detail (repeatable)")
	f.DurationVar(&g.RequestTimeout, "request-timeout", cmdutil.DefaultRequestTimeout, "give up on one API request after this long (0: no per-request bound); the AWS SDK retries within --timeout")

	cmd.AddCommand(
		initcmd.NewCmd(io, g),
		validate.NewCmd(io, g),
		render.NewCmd(io, g),
		diff.NewCmd(io, g),
		deploy.NewCmd(io, g),
		status.NewCmd(io, g),
		rollback.NewCmd(io, g),
		destroy.NewCmd(io, g),
		lint.NewCmd(io, g),
		cost.NewCmd(io, g),
		version.NewCmd(io, g),
	)
	return cmd
}

// Execute runs shipit with args and returns the process exit code. Errors are printed here,
// once: spec errors one per line as file:line:col: field: message (fix).
func Execute(ctx context.Context, io *cmdutil.IOStreams, args []string) int {
	g := &cmdutil.GlobalOptions{}
	cmd := NewCmd(io, g)
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
	var rollout *target.RolloutError
	switch {
	case errors.As(err, &rollout), code == target.ExitDiff, g.ErrorsInOutput:
		// The verdict, the diff or the JSON result is already printed.
		return code
	case errors.As(err, &specErrs):
		cmdutil.PrintDiagnostics(io.ErrOut, "", specErrs)
	case errors.As(err, &usage):
		fmt.Fprintf(io.ErrOut, "error: %s\n", usage.Msg)
	case strings.HasPrefix(err.Error(), "unknown command"):
		// cobra's own error for a mistyped subcommand: a usage error.
		fmt.Fprintf(io.ErrOut, "error: %s\n", err)
		code = target.ExitInvalid
	default:
		fmt.Fprintf(io.ErrOut, "error: %s\n", err)
	}
	if g.JSON() {
		// Machines get the failure as the command's JSON result too.
		res := map[string]any{"error": err.Error(), "exitCode": code}
		if len(specErrs) > 0 {
			res["errors"] = specErrs
		}
		_ = cmdutil.PrintJSON(io.Out, res)
	}
	return code
}

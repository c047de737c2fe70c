// Package render is `shipit render`: the exact objects a deploy would send, offline.
package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are render's inputs.
type Options struct {
	IO        *cmdutil.IOStreams
	Global    *cmdutil.GlobalOptions
	Target    string
	OutputDir string
	Images    []string
}

// NewCmd builds the cobra command.
func NewCmd(io *cmdutil.IOStreams, g *cmdutil.GlobalOptions) *cobra.Command {
	opts := &Options{IO: io, Global: g}
	cmd := &cobra.Command{
		Use:   "render --target ecs|eks",
		Short: "Print (or write) what a deploy would send, without touching any cloud",
		Long: "Renders the spec for one target, deterministically and offline.\n\n" +
			"  ecs: task-definition.json, service.json and (with autoscale) scaling.json, in the shapes\n" +
			"       `aws ecs register-task-definition --cli-input-json` and `aws ecs create-service\n" +
			"       --cli-input-json` accept; to stdout as one JSON document.\n" +
			"  eks: one multi-document YAML that `kubectl apply -f` accepts (kubernetes.yaml).",
		Example: "  shipit render --target ecs -f examples/web-app/shipit.yaml --output-dir out/\n" +
			"  shipit render --target eks --env staging",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return Run(cmd.Context(), opts) },
	}
	cmdutil.TargetFlag(cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.OutputDir, "output-dir", "", "write files into this folder instead of printing")
	cmdutil.ImageFlag(cmd, &opts.Images)
	return cmd
}

// Run renders and prints or writes.
func Run(ctx context.Context, o *Options) error {
	t, app, err := o.Global.LoadFor(ctx, o.IO, o.Target, o.Images)
	if err != nil {
		return err
	}
	region := o.Global.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	r, err := t.Render(app, target.RenderOptions{Region: region})
	if err != nil {
		return err
	}
	if o.OutputDir == "" {
		if o.Global.JSON() {
			return cmdutil.PrintJSON(o.IO.Out, r.Document)
		}
		_, err := o.IO.Out.Write(r.Text)
		return err
	}
	return writeFiles(o, app, r)
}

func writeFiles(o *Options, app *spec.App, r *target.Rendering) error {
	if err := os.MkdirAll(o.OutputDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", o.OutputDir, err)
	}
	var written []string
	for _, f := range r.Files {
		p := filepath.Join(o.OutputDir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		written = append(written, p)
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, map[string]any{"app": app.Name, "target": o.Target, "specHash": app.HashFor(o.Target), "files": written})
	}
	for _, p := range written {
		fmt.Fprintln(o.IO.Out, p)
	}
	return nil
}

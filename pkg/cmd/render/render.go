// Package render is `shipit render`: the exact objects a deploy would send, offline.
package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are render's inputs.
type Options struct {
	IO        *cmdutil.IOStreams
	Global    *cmdutil.GlobalOptions
	Targets   cmdutil.Targets
	Target    string
	OutputDir string
	Images    []string
}

// NewCmd builds the cobra command; runF, when not nil, runs instead of Run (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.TargetFlag(cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.OutputDir, "output-dir", "", "write files into this folder instead of printing")
	cmdutil.ImageFlag(cmd, &opts.Images)
	return cmd
}

// Run renders and prints or writes.
func Run(ctx context.Context, o *Options) error {
	t, app, err := o.Global.LoadFor(ctx, o.IO, o.Targets, o.Target, o.Images)
	if err != nil {
		return err
	}
	// --region beats the spec's region; AWS_REGION only stands in when neither names one.
	r, err := t.Render(app, target.RenderOptions{Region: o.Global.Region, DefaultRegion: os.Getenv("AWS_REGION")})
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

// fileNames are the names a render of each target writes: the only files --output-dir ever
// replaces or removes.
var fileNames = map[string][]string{
	spec.TargetECS: {ecs.TaskDefinitionFile, ecs.ServiceFile, ecs.ScalingFile},
	spec.TargetEKS: {eks.ManifestFile},
}

// writeFiles writes the render into --output-dir as one change: every file is written into a
// temporary directory next to it first (a failed write leaves the directory as it was), then
// renamed into place; files of an earlier render of the same target that this one does not
// produce (scaling.json after autoscale went) are removed. Symbolic links are never followed:
// an output directory or a file of shipit's that is a link is refused.
func writeFiles(o *Options, app *spec.App, r *target.Rendering) error {
	dir := filepath.Clean(o.OutputDir)
	st, err := os.Lstat(dir)
	switch {
	case err == nil && st.Mode()&os.ModeSymlink != 0:
		return &target.UsageError{Msg: fmt.Sprintf("--output-dir %s is a symbolic link; shipit does not write through links (pass the real directory)", dir)}
	case err == nil && !st.IsDir():
		return &target.UsageError{Msg: fmt.Sprintf("--output-dir %s exists and is not a directory", dir)}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--output-dir %s: %w", dir, err)
	}
	exists := err == nil
	own := fileNames[o.Target]
	produced := map[string]bool{}
	for _, f := range r.Files {
		produced[f.Name] = true
	}
	if exists {
		for _, name := range own {
			p := filepath.Join(dir, name)
			if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() {
				return &target.UsageError{Msg: fmt.Sprintf("%s is not a regular file (a symbolic link?); shipit does not write through it: remove it first", p)}
			}
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".shipit-render-")
	if err != nil {
		return fmt.Errorf("creating a temporary directory in %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range r.Files {
		if err := writeFile(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return err
		}
	}
	if !exists {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("moving the render into %s: %w", dir, err)
		}
	} else {
		for _, f := range r.Files {
			if err := os.Rename(filepath.Join(tmp, f.Name), filepath.Join(dir, f.Name)); err != nil {
				return fmt.Errorf("moving %s into %s: %w", f.Name, dir, err)
			}
		}
		for _, name := range own {
			if !produced[name] {
				if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("removing %s of an earlier render: %w", name, err)
				}
			}
		}
	}
	var written []string
	for _, f := range r.Files {
		written = append(written, filepath.Join(o.OutputDir, f.Name))
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, map[string]any{"app": app.Name, "target": o.Target, "specHash": app.HashFor(o.Target), "files": written})
	}
	for _, p := range written {
		fmt.Fprintln(o.IO.Out, p)
	}
	return nil
}

// writeFile writes a new file (never through an existing one) and syncs it.
func writeFile(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return f.Close()
}

// Package initcmd is `shipit init`: a commented starter shipit.yaml, valid for both targets,
// from flags or from the app's Dockerfile.
package initcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/starter"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are init's inputs.
type Options struct {
	IO     *cmdutil.IOStreams
	Global *cmdutil.GlobalOptions
	Name   string
	Image  string
	Port   int
	// Dockerfile, when set, is read for EXPOSE and HEALTHCHECK.
	Dockerfile string
	Force      bool
	// Getwd names the app after the working directory; os.Getwd when nil.
	Getwd func() (string, error)
}

// Result is what -o json prints.
type Result struct {
	File   string   `json:"file"`
	Name   string   `json:"name"`
	Image  string   `json:"image,omitempty"`
	Port   int      `json:"port,omitempty"`
	Health []string `json:"health,omitempty"`
	Source string   `json:"source"`
}

// NewCmd builds the cobra command; runF replaces Run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Global: f.Global}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter shipit.yaml, valid for both targets",
		Long: "Writes a commented starter spec to -f (shipit.yaml; - for stdout): the app's name (else the\n" +
			"directory's), image and port, a health check, and ecs:/eks: blocks whose network and\n" +
			"roles are ${VAR:-placeholder}s a pipeline sets. It validates for ECS and EKS as written.\n" +
			"--from-dockerfile reads EXPOSE and HEALTHCHECK from the Dockerfile. The first line points\n" +
			"editors at the JSON Schema, for completion. An existing file is kept unless --force.",
		Example: "  shipit init --name web --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.0.0 --port 8080\n" +
			"  shipit init --from-dockerfile\n" +
			"  shipit init --from-dockerfile build/Dockerfile -f deploy/shipit.yaml\n" +
			"  shipit init --name worker -f -",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "the app's name (a DNS label; default: the directory's name)")
	fl.StringVar(&opts.Image, "image", "", "the image reference (default: ${IMAGE:-<name>:1})")
	fl.IntVar(&opts.Port, "port", 0, "the container port (default: the Dockerfile's EXPOSE, else none)")
	fl.StringVar(&opts.Dockerfile, "from-dockerfile", "", "read EXPOSE and HEALTHCHECK from this Dockerfile")
	fl.Lookup("from-dockerfile").NoOptDefVal = "Dockerfile"
	fl.BoolVar(&opts.Force, "force", false, "replace an existing file")
	return cmd
}

// Run writes the starter.
func Run(o *Options) error {
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	so := starter.Options{Name: o.Name, Image: o.Image, Port: o.Port, Source: "flags"}
	if o.Dockerfile != "" {
		b, err := os.ReadFile(o.Dockerfile)
		if err != nil {
			return &target.UsageError{Msg: fmt.Sprintf("--from-dockerfile: %v", err)}
		}
		port, health := starter.FromDockerfile(b)
		if so.Port == 0 {
			so.Port = port
		}
		so.Health, so.Source = health, o.Dockerfile
	}
	if so.Name == "" {
		getwd := o.Getwd
		if getwd == nil {
			getwd = os.Getwd
		}
		dir, err := getwd()
		if err != nil {
			return err
		}
		if o.Dockerfile != "" {
			if abs, err := filepath.Abs(filepath.Join(dir, filepath.Dir(o.Dockerfile))); err == nil {
				dir = abs
			}
		}
		so.Name = starter.Name(filepath.Base(dir))
	}
	data, err := starter.Render(so)
	if err != nil {
		return &target.UsageError{Msg: err.Error()}
	}
	file := o.Global.File
	if file == "-" {
		_, err := o.IO.Out.Write(data)
		return err
	}
	if err := cmdutil.WriteNewFile(file, data, o.Force, "-f"); err != nil {
		return err
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, Result{File: file, Name: so.Name, Image: o.Image, Port: so.Port, Health: so.Health, Source: so.Source})
	}
	fmt.Fprintf(o.IO.Out, "wrote %s for %s (from %s); next: shipit validate -f %s\n", file, so.Name, so.Source, file)
	return nil
}

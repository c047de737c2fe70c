// Package importcmd is `shipit import`: a shipit.yaml from what already runs, read from
// files (an ECS task definition and service, Kubernetes manifests) or from the live system.
package importcmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/importer"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are import's inputs.
type Options struct {
	IO      *cmdutil.IOStreams
	Global  *cmdutil.GlobalOptions
	Targets cmdutil.Targets
	// Files are the definitions to import; empty means a live import.
	Files []string
	// Target, with Ref, names a live app.
	Target  string
	Ref     target.LiveRef
	Timeout time.Duration
	// Force replaces an existing -o FILE.
	Force bool
}

// JSONResult is what -o json prints.
type JSONResult struct {
	From   string          `json:"from"`
	Target string          `json:"target"`
	Spec   string          `json:"spec"`
	Lost   []importer.Loss `json:"lost"`
}

// NewCmd builds the cobra command; runF replaces Run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Global: f.Global, Targets: f.Targets}
	cmd := &cobra.Command{
		Use:   "import [FILE...] | --target ecs --cluster C --service S | --target eks --deployment D",
		Short: "Write a shipit.yaml from an existing ECS service or Kubernetes Deployment",
		Long: "Reads what already runs and writes the shipit.yaml that renders it back: neutral fields\n" +
			"where they reproduce the original, ecs:/eks: blocks where only one target has the setting,\n" +
			"ecs.overrides / eks.patches for the rest. Anything still not carried is listed on stderr\n" +
			"(and under lost in -o json), never dropped without a word.\n\n" +
			"From files: an ECS task definition (register-task-definition input or\n" +
			"describe-task-definition output) and optionally its service (create-service input or\n" +
			"describe-services output); or Kubernetes manifests (Deployment, optionally Service, HPA,\n" +
			"ServiceAccount, PodDisruptionBudget, Ingress) as multi-document YAML or a List.\n" +
			"Live: --target ecs --cluster C --service S, or --target eks [--namespace N] --deployment D.\n\n" +
			"The spec goes to stdout, or to -o FILE (kept if it exists, unless --force).",
		Example: "  shipit import task-definition.json service.json -o shipit.yaml\n" +
			"  shipit import k8s/deployment.yaml k8s/service.yaml k8s/hpa.yaml\n" +
			"  shipit import --target ecs --cluster prod --service web -o shipit.yaml\n" +
			"  shipit import --target eks --namespace shop --deployment cart -o json | jq .lost",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	cmdutil.TargetFlag(cmd, &o.Target)
	fl.Lookup("target").Usage = "ecs or eks: import the live app named by --cluster/--service or --deployment"
	fl.StringVar(&o.Ref.Cluster, "cluster", "", "live ECS: the cluster")
	fl.StringVar(&o.Ref.Service, "service", "", "live ECS: the service")
	fl.StringVarP(&o.Ref.Namespace, "namespace", "n", "", "live Kubernetes: the namespace (default: the context's)")
	fl.StringVar(&o.Ref.Deployment, "deployment", "", "live Kubernetes: the Deployment")
	fl.BoolVar(&o.Force, "force", false, "replace an existing -o FILE")
	cmdutil.TimeoutFlag(cmd, &o.Timeout, cmdutil.DefaultReadTimeout)
	return cmd
}

// Run imports and writes the spec.
func Run(ctx context.Context, o *Options) error {
	target.SetLimit(ctx, o.Timeout)
	docs, err := o.read(ctx)
	if err != nil {
		return err
	}
	res, err := importer.FromDocuments(docs)
	if err != nil {
		return &target.UsageError{Msg: err.Error()}
	}
	data, err := res.YAML()
	if err != nil {
		return err
	}
	if o.Global.JSON() {
		lost := res.Lost
		if lost == nil {
			lost = []importer.Loss{}
		}
		return cmdutil.PrintJSON(o.IO.Out, JSONResult{From: res.From, Target: res.Target, Spec: string(data), Lost: lost})
	}
	for _, l := range res.Lost {
		fmt.Fprintf(o.IO.ErrOut, "not carried: %s\n", l)
	}
	if o.Global.Output == "text" {
		_, err := o.IO.Out.Write(data)
		return err
	}
	return o.writeFile(o.Global.Output, data, res)
}

// read gathers the definitions: the named files, or the live app.
func (o *Options) read(ctx context.Context) ([]target.Document, error) {
	live := o.Ref != (target.LiveRef{})
	switch {
	case len(o.Files) > 0 && (live || o.Target != ""):
		return nil, &target.UsageError{Msg: "import reads files or a live app, not both: drop the files or --target"}
	case len(o.Files) > 0:
		var docs []target.Document
		for _, name := range o.Files {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, &target.UsageError{Msg: err.Error()}
			}
			docs = append(docs, target.Document{Name: name, Data: b})
		}
		return docs, nil
	}
	t, err := o.Targets.Lookup(o.Target)
	if err != nil {
		return nil, err
	}
	lr, ok := t.(target.LiveReader)
	if !ok {
		return nil, &target.UsageError{Msg: fmt.Sprintf("--target %s cannot import a live app", t.Name())}
	}
	return lr.ReadLive(ctx, o.Ref, o.Global.ConnectOptions())
}

// writeFile writes the spec to -o FILE, never over someone's file without --force.
func (o *Options) writeFile(file string, data []byte, res *importer.Result) error {
	if err := cmdutil.WriteNewFile(file, data, o.Force, "-o"); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "wrote %s for %s (from %s, %d not carried); next: shipit validate -f %s --target %s\n", file, res.App.Name, res.From, len(res.Lost), file, res.Target)
	return nil
}

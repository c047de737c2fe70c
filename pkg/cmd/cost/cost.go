// Package cost is `shipit cost`: what the app would cost a month on ECS and on EKS, side by
// side, from the spec and a dated price file, before anything is deployed.
package cost

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/cost"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Options are cost's inputs.
type Options struct {
	IO       *cmdutil.IOStreams
	Global   *cmdutil.GlobalOptions
	Registry cmdutil.Targets
	// Target limits the estimate to one target; empty prices both.
	Target         string
	PricesFile     string
	Hours          float64
	AppsPerCluster int
	EKSCompute     string
}

// NewCmd builds the cobra command; runF replaces Run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Global: f.Global, Registry: f.Targets}
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Estimate the app's monthly cost on ECS and on EKS, side by side",
		Long: "Prices the app as a deploy would run it: the ECS task size on Fargate (on-demand, Spot or\n" +
			"the capacity mix of ecs.capacityProviders, x86 or ARM64, ephemeral storage above the free\n" +
			"20 GiB), and on EKS the control plane's share plus the pods on Fargate (requests + 256 MiB,\n" +
			"rounded up to a Fargate size, as EKS sizes them) or a share of a reference node. Replicas\n" +
			"are replicas:, or autoscale min to max as a range. The region is --region, else ecs.region,\n" +
			"else AWS_REGION. Prices come from a dated file with its sources (printed with -o json);\n" +
			"--prices FILE takes one of the same shape. Estimates only: no data transfer, load\n" +
			"balancers, NAT, CloudWatch, Savings Plans or taxes.",
		Example: "  shipit cost\n" +
			"  shipit cost --region ap-northeast-2 --apps-per-cluster 12\n" +
			"  shipit cost --eks-compute nodes -o json\n" +
			"  shipit cost --prices prices-2027-01.json",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "target", "", "price only this target (ecs or eks)")
	fl.StringVar(&opts.PricesFile, "prices", "", "a price file (JSON, the shape of the built-in one) instead of the built-in prices")
	fl.Float64Var(&opts.Hours, "hours", cost.HoursPerMonth, "hours in the month")
	fl.IntVar(&opts.AppsPerCluster, "apps-per-cluster", 1, "apps that share the EKS cluster and its control plane fee")
	fl.StringVar(&opts.EKSCompute, "eks-compute", cost.EKSFargate, "what runs the pods on EKS: fargate or nodes")
	return cmd
}

// placement fields say where the app runs, not what it needs: a spec without them yet can be
// priced, so their absence is no error here (deploy still requires them).
var placement = map[string]bool{
	"ecs.subnets": true, "ecs.securityGroups": true, "ecs.executionRole": true, "ecs.cluster": true,
	"ecs.region": true, "eks.cluster": true, "eks.context": true,
}

// Run loads the spec, prices it and prints the estimate.
func Run(ctx context.Context, o *Options) error {
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	if o.Hours <= 0 || o.Hours > 744 {
		return &target.UsageError{Msg: fmt.Sprintf("--hours %g: give the hours of a month, above 0 and at most 744 (31 days)", o.Hours)}
	}
	if o.AppsPerCluster < 1 {
		return &target.UsageError{Msg: fmt.Sprintf("--apps-per-cluster %d: give 1 or more", o.AppsPerCluster)}
	}
	if o.EKSCompute != cost.EKSFargate && o.EKSCompute != cost.EKSNodes {
		return &target.UsageError{Msg: fmt.Sprintf("--eks-compute %q: use %s or %s", o.EKSCompute, cost.EKSFargate, cost.EKSNodes)}
	}
	prices, err := loadPrices(o.PricesFile)
	if err != nil {
		return err
	}
	app, err := o.Global.LoadSpec(ctx, o.IO.In, o.Target, nil)
	if err != nil {
		return err
	}
	targets := []string{spec.TargetECS, spec.TargetEKS}
	if o.Target != "" {
		targets = []string{o.Target}
	}
	var errs spec.Errors
	var warns []spec.FieldError
	for _, t := range targets {
		es, ws := app.Validate(t)
		for _, e := range es {
			if !placement[e.Field] {
				errs = append(errs, e)
			}
		}
		warns = append(warns, ws...)
	}
	if len(errs) > 0 {
		return errs
	}
	if !o.Global.JSON() {
		cmdutil.PrintDiagnostics(o.IO.ErrOut, "warning: ", append(app.Warnings(), warns...))
	}
	region := o.Global.Region
	if region == "" {
		region = app.ECS.Region
	}
	if region == "" {
		getenv := o.Global.Getenv
		if getenv == nil {
			getenv = os.LookupEnv
		}
		region, _ = getenv("AWS_REGION")
	}
	if region == "" {
		return &target.UsageError{Msg: "cost needs a region: pass --region, set ecs.region or AWS_REGION"}
	}
	e, err := cost.Compare(app, targets, prices, cost.Options{Region: region, Hours: o.Hours, AppsPerCluster: o.AppsPerCluster, EKSCompute: o.EKSCompute})
	if err != nil {
		return err
	}
	if o.Global.JSON() {
		return cmdutil.PrintJSON(o.IO.Out, e)
	}
	return printText(o.IO.Out, e)
}

func loadPrices(file string) (*cost.Prices, error) {
	if file == "" {
		return cost.DefaultPrices()
	}
	return cost.LoadPrices(file)
}

func money(x float64) string { return fmt.Sprintf("$%.2f", x) }

func moneyRange(r cost.Range) string {
	if r.Min == r.Max {
		return money(r.Min)
	}
	return money(r.Min) + "–" + money(r.Max)
}

// printText writes the side-by-side table, the verdict and the notes.
func printText(w io.Writer, e *cost.Estimate) error {
	cols := []*cost.TargetCost{}
	for _, c := range []*cost.TargetCost{e.ECS, e.EKS} {
		if c != nil {
			cols = append(cols, c)
		}
	}
	fmt.Fprintf(w, "%s in %s, a %g-hour month, prices of %s (%s)\n\n", e.App, e.Region, e.Hours, e.PricesDate, e.Currency)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	row := func(label string, f func(*cost.TargetCost) string) {
		cells := []string{label}
		for _, c := range cols {
			cells = append(cells, f(c))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("", func(c *cost.TargetCost) string { return strings.ToUpper(c.Target) })
	row("compute", func(c *cost.TargetCost) string { return c.Compute })
	row("size", func(c *cost.TargetCost) string { return c.Size })
	row("replicas", func(c *cost.TargetCost) string {
		if c.Replicas.Min == c.Replicas.Max {
			return fmt.Sprint(c.Replicas.Min)
		}
		return fmt.Sprintf("%d–%d", c.Replicas.Min, c.Replicas.Max)
	})
	row("per replica", func(c *cost.TargetCost) string { return money(c.PerReplica) })
	row("compute cost", func(c *cost.TargetCost) string { return moneyRange(c.ComputeCost) })
	row("storage", func(c *cost.TargetCost) string { return moneyRange(c.StorageCost) })
	row("control plane", func(c *cost.TargetCost) string {
		if c.Target == spec.TargetECS {
			return "–"
		}
		return money(c.ControlPlane)
	})
	row("total a month", func(c *cost.TargetCost) string { return moneyRange(c.Total) })
	if err := tw.Flush(); err != nil {
		return err
	}
	if e.ECS != nil && e.EKS != nil {
		fmt.Fprintln(w)
		switch e.Cheaper {
		case spec.TargetECS:
			fmt.Fprintf(w, "cheaper: ECS, by %s a month\n", moneyRange(diff(e.EKS.Total, e.ECS.Total)))
		case spec.TargetEKS:
			fmt.Fprintf(w, "cheaper: EKS, by %s a month\n", moneyRange(diff(e.ECS.Total, e.EKS.Total)))
		default:
			fmt.Fprintln(w, "cheaper: it depends on the replica count (the ranges cross)")
		}
	}
	fmt.Fprintln(w)
	for _, c := range cols {
		for _, n := range c.Notes {
			fmt.Fprintf(w, "%s: %s\n", c.Target, n)
		}
	}
	fmt.Fprintln(w, "an estimate: no data transfer, load balancers, NAT, CloudWatch, Savings Plans or taxes; the price sources are in -o json")
	return nil
}

// diff is how much more a costs than b at each end of the range, in cents.
func diff(a, b cost.Range) cost.Range {
	return cost.Range{Min: float64(int64(a.Min*100+0.5)-int64(b.Min*100+0.5)) / 100, Max: float64(int64(a.Max*100+0.5)-int64(b.Max*100+0.5)) / 100}
}

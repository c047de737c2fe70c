package cost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	pcost "github.com/shipit-dev/shipit/pkg/cost"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// A spec with no subnets, roles or cluster yet: what it needs is known, so it can be priced.
const app = `version: 1
name: web
image: web:1
port: 8080
cpu: 0.5
memory: 1Gi
`

func run(t *testing.T, src string, o Options, env map[string]string) (string, string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if o.Global == nil {
		o.Global = &cmdutil.GlobalOptions{Output: "text"}
	}
	o.Global.File = file
	o.Global.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o.IO = &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	if o.Hours == 0 {
		o.Hours = pcost.HoursPerMonth
	}
	if o.AppsPerCluster == 0 {
		o.AppsPerCluster = 1
	}
	if o.EKSCompute == "" {
		o.EKSCompute = pcost.EKSFargate
	}
	err := Run(context.Background(), &o)
	return out.String(), errOut.String(), err
}

// TestSeedText: the whole text output for 0.5 vCPU / 1 GiB in ap-northeast-2 (region from
// AWS_REGION), exactly.
func TestSeedText(t *testing.T) {
	out, _, err := run(t, app, Options{}, map[string]string{"AWS_REGION": "ap-northeast-2"})
	if err != nil {
		t.Fatal(err)
	}
	want := `web in ap-northeast-2, a 730-hour month, prices of 2026-12-01 (USD)

                ECS                EKS
compute         Fargate            Fargate
size            0.5 vCPU / 1 GiB   0.5 vCPU / 2 GiB
replicas        1                  1
per replica     $18.02             $21.26
compute cost    $18.02             $21.26
storage         $0.00              $0.00
control plane   –                  $73.00
total a month   $18.02             $94.26

cheaper: ECS, by $76.24 a month

eks: control plane: $0.10 an hour per cluster, shared by 1 app(s) (--apps-per-cluster)
eks: Fargate pod size: requests 0.5 vCPU / 1 GiB, plus 256 MiB for the kubelet, kube-proxy and containerd, rounded up to a Fargate size
an estimate: no data transfer, load balancers, NAT, CloudWatch, Savings Plans or taxes; the price sources are in -o json
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// TestJSON: -o json carries the figures, the price date and the sources.
func TestJSON(t *testing.T) {
	g := &cmdutil.GlobalOptions{Output: "json", Region: "us-east-1"}
	out, _, err := run(t, app+"autoscale: {min: 2, max: 10, cpu: 60}\n", Options{Global: g, Target: "ecs"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var e pcost.Estimate
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if e.EKS != nil || e.ECS == nil || e.ECS.Total != (pcost.Range{Min: 36.04, Max: 180.2}) || e.Cheaper != "" {
		t.Errorf("got %+v", e)
	}
	if e.PricesDate == "" || len(e.Sources) == 0 || e.Hours != 730 || e.Region != "us-east-1" {
		t.Errorf("date %q sources %v hours %v region %q", e.PricesDate, e.Sources, e.Hours, e.Region)
	}
}

// TestRegionPrecedence: --region beats ecs.region, which beats AWS_REGION.
func TestRegionPrecedence(t *testing.T) {
	src := app + "ecs:\n  region: eu-west-1\n"
	env := map[string]string{"AWS_REGION": "ap-northeast-2"}
	out, _, _ := run(t, src, Options{}, env)
	if !strings.HasPrefix(out, "web in eu-west-1,") {
		t.Errorf("ecs.region over AWS_REGION: %q", firstLine(out))
	}
	out, _, _ = run(t, src, Options{Global: &cmdutil.GlobalOptions{Output: "text", Region: "us-east-1"}}, env)
	if !strings.HasPrefix(out, "web in us-east-1,") {
		t.Errorf("--region over ecs.region: %q", firstLine(out))
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestRefusals: what cannot be priced says why, with the exit code of its kind.
func TestRefusals(t *testing.T) {
	usage := func(err error) bool { var u *target.UsageError; return errors.As(err, &u) }
	for _, tc := range []struct {
		name string
		src  string
		o    Options
		env  map[string]string
		want string
		kind func(error) bool
	}{
		{"no region", app, Options{}, nil, "cost needs a region: pass --region, set ecs.region or AWS_REGION", usage},
		{"hours", app, Options{Hours: 1000}, map[string]string{"AWS_REGION": "us-east-1"}, "--hours 1000: give the hours of a month", usage},
		{"apps per cluster", app, Options{AppsPerCluster: -1}, map[string]string{"AWS_REGION": "us-east-1"}, "--apps-per-cluster -1: give 1 or more", usage},
		{"eks compute", app, Options{EKSCompute: "ec2"}, map[string]string{"AWS_REGION": "us-east-1"}, `--eks-compute "ec2": use fargate or nodes`, usage},
		{"unknown region", app, Options{}, map[string]string{"AWS_REGION": "sa-east-1"}, `no prices for region "sa-east-1"`, func(error) bool { return true }},
		{"a real spec error still counts", strings.Replace(app, "cpu: 0.5", "cpu: 0.6", 1), Options{}, map[string]string{"AWS_REGION": "us-east-1"},
			"not a size Fargate runs", func(err error) bool { _, ok := err.(spec.Errors); return ok }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.src, tc.o, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !tc.kind(err) {
				t.Errorf("got %v (%T), want %q", err, err, tc.want)
			}
		})
	}
}

// TestPricesFile: --prices replaces the built-in figures.
func TestPricesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(p, []byte(`{"date": "2027-01-01", "currency": "USD", "regions": {"us-east-1": {"fargate": {"x86": {"vcpuHour": 0.1, "gbHour": 0.01}}, "eksClusterHour": 0.2}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, app, Options{PricesFile: p}, map[string]string{"AWS_REGION": "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	// ECS: (0.5×0.1 + 1×0.01) × 730 = 43.80; EKS: 0.5 vCPU / 2 GiB → (0.05 + 0.02) × 730 = 51.10, + 146.00.
	for _, s := range []string{"prices of 2027-01-01", "total a month   $43.80             $197.10"} {
		if !strings.Contains(out, s) {
			t.Errorf("missing %q in:\n%s", s, out)
		}
	}
}

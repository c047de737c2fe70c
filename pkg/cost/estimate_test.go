package cost

import (
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func load(t *testing.T, src string) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(src), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{spec.TargetECS, spec.TargetEKS} {
		if errs, _ := app.Validate(tg); len(errs) > 0 {
			t.Fatal(errs)
		}
	}
	return app
}

const base = `version: 1
name: web
image: web:1
port: 8080
cpu: 0.5
memory: 1Gi
ecs:
  cluster: prod
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

func defaults(t *testing.T) *Prices {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeedCase: 0.5 vCPU and 1 GB in ap-northeast-2 at $0.04048 per vCPU-hour and $0.004445
// per GB-hour. Over AWS's 730-hour month that is 14.7752 + 3.24485 = $18.02; the $17.77 often
// quoted for this size is the same prices over 720 hours (30 days). The EKS control plane
// alone is 0.10 × 730 = $73.00.
func TestSeedCase(t *testing.T) {
	app := load(t, base)
	for _, tc := range []struct {
		hours float64
		want  float64
	}{{0, 18.02}, {730, 18.02}, {720, 17.77}} {
		e, err := Compare(app, []string{spec.TargetECS}, defaults(t), Options{Region: "ap-northeast-2", Hours: tc.hours})
		if err != nil {
			t.Fatal(err)
		}
		if e.ECS.Total != (Range{tc.want, tc.want}) || e.ECS.PerReplica != tc.want {
			t.Errorf("%g h: ECS total %+v per replica %v, want %v", tc.hours, e.ECS.Total, e.ECS.PerReplica, tc.want)
		}
		if e.ECS.Size != "0.5 vCPU / 1 GiB" || e.ECS.Compute != "Fargate" {
			t.Errorf("size %q compute %q", e.ECS.Size, e.ECS.Compute)
		}
	}
	e, err := Compare(app, []string{spec.TargetEKS}, defaults(t), Options{Region: "ap-northeast-2"})
	if err != nil {
		t.Fatal(err)
	}
	if e.EKS.ControlPlane != 73.00 {
		t.Errorf("EKS control plane %v, want 73.00", e.EKS.ControlPlane)
	}
}

// TestEstimates: exact figures for the shapes that change a price. us-east-1 prices.
func TestEstimates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string
		opts  Options
		ecs   *TargetCost // only the fields set are compared
		eks   *TargetCost
		cheap string
	}{
		{
			// The pod asks 0.5 vCPU / 1 GiB; Fargate adds 256 MiB and rounds up to 0.5 / 2 GiB:
			// (0.5×0.04048 + 2×0.004445) × 730 = 21.2648 a pod; + 73 for a cluster of its own.
			name:  "EKS Fargate rounds the pod up after its 256 MiB",
			ecs:   &TargetCost{Size: "0.5 vCPU / 1 GiB", PerReplica: 18.02, Total: Range{18.02, 18.02}},
			eks:   &TargetCost{Size: "0.5 vCPU / 2 GiB", PerReplica: 21.26, ControlPlane: 73, Total: Range{94.26, 94.26}},
			cheap: "ecs",
		},
		{
			name:  "autoscale gives a range; the control plane shared by 10 apps",
			extra: "autoscale: {min: 2, max: 10, cpu: 60}\n",
			opts:  Options{AppsPerCluster: 10},
			ecs:   &TargetCost{Replicas: Replicas{2, 10}, Total: Range{36.04, 180.2}},
			eks:   &TargetCost{Replicas: Replicas{2, 10}, ControlPlane: 7.3, Total: Range{49.83, 219.95}},
			cheap: "ecs",
		},
		{
			// All Spot: 0.5×0.01334053 + 1×0.00146489 = 0.008135155 an hour, × 730 = 5.9387.
			name:  "FARGATE_SPOT",
			extra: "replicas: 2\n",
			opts:  Options{},
			ecs:   &TargetCost{Compute: "Fargate with Spot", PerReplica: 18.02, Total: Range{11.88, 11.88}},
		},
		{
			// base 1 on FARGATE, then 1:3 FARGATE:FARGATE_SPOT. 5 tasks: 1 + 1 on-demand, 3 Spot:
			// 2 × 18.0201 + 3 × 5.93866 = 53.856.
			name:  "capacity mix with a base",
			extra: "replicas: 5\n",
			ecs:   &TargetCost{Total: Range{53.86, 53.86}},
		},
		{
			// ARM64: (0.5×0.03238 + 1×0.00356) × 730 = 14.4174.
			name: "ARM64",
			ecs:  &TargetCost{Compute: "Fargate ARM64", PerReplica: 14.42},
		},
		{
			// 50 GiB ephemeral storage: 30 GiB above the free 20 × 0.000111 × 730 = 2.4309 a task.
			name: "ephemeral storage above 20 GiB",
			ecs:  &TargetCost{StorageCost: Range{2.43, 2.43}, Total: Range{20.45, 20.45}},
		},
		{
			// On m5.large nodes (2 vCPU, 8 GiB, 0.096 an hour): the pod's larger share is CPU,
			// 0.5 / 2 = 0.25 of 0.096 × 730 = 17.52.
			name: "EKS on nodes",
			opts: Options{EKSCompute: EKSNodes},
			eks:  &TargetCost{Compute: "nodes (m5.large)", PerReplica: 17.52, Total: Range{90.52, 90.52}},
		},
		{
			// A 1 vCPU / 2 GiB task with a 0.25 vCPU / 512 MiB sidecar: the pod's requests add up
			// to the same 1 vCPU / 2 GiB, and the 256 MiB Fargate adds take it to 1 vCPU / 3 GiB:
			// (1×0.04048 + 3×0.004445) × 730 = 39.28495.
			name: "EKS sidecar requests add up",
			ecs:  &TargetCost{Size: "1 vCPU / 2 GiB", PerReplica: 36.04},
			eks:  &TargetCost{Size: "1 vCPU / 3 GiB", PerReplica: 39.28},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := base + tc.extra
			switch tc.name {
			case "FARGATE_SPOT":
				src = strings.Replace(src, "  cluster: prod\n", "  cluster: prod\n  capacity: FARGATE_SPOT\n", 1)
			case "capacity mix with a base":
				src = strings.Replace(src, "  cluster: prod\n", "  cluster: prod\n  capacityProviders:\n    - {name: FARGATE, base: 1, weight: 1}\n    - {name: FARGATE_SPOT, weight: 3}\n", 1)
			case "ARM64":
				src = strings.Replace(src, "  cluster: prod\n", "  cluster: prod\n  architecture: ARM64\n", 1)
			case "ephemeral storage above 20 GiB":
				src = strings.Replace(src, "  cluster: prod\n", "  cluster: prod\n  ephemeralStorage: 50Gi\n", 1)
			case "EKS sidecar requests add up":
				src = strings.Replace(src, "cpu: 0.5\nmemory: 1Gi\n", "cpu: 1\nmemory: 2Gi\n", 1) +
					"sidecars:\n  - {name: proxy, image: envoy:1, cpu: 0.25, memory: 512Mi}\n"
			}
			opts := tc.opts
			opts.Region = "us-east-1"
			e, err := Compare(load(t, src), []string{spec.TargetECS, spec.TargetEKS}, defaults(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got, want *TargetCost) {
				if want == nil {
					return
				}
				if want.Size != "" && got.Size != want.Size {
					t.Errorf("%s size %q, want %q", name, got.Size, want.Size)
				}
				if want.Compute != "" && got.Compute != want.Compute {
					t.Errorf("%s compute %q, want %q", name, got.Compute, want.Compute)
				}
				if want.PerReplica != 0 && got.PerReplica != want.PerReplica {
					t.Errorf("%s per replica %v, want %v", name, got.PerReplica, want.PerReplica)
				}
				if want.ControlPlane != 0 && got.ControlPlane != want.ControlPlane {
					t.Errorf("%s control plane %v, want %v", name, got.ControlPlane, want.ControlPlane)
				}
				if want.Replicas != (Replicas{}) && got.Replicas != want.Replicas {
					t.Errorf("%s replicas %+v, want %+v", name, got.Replicas, want.Replicas)
				}
				if want.StorageCost != (Range{}) && got.StorageCost != want.StorageCost {
					t.Errorf("%s storage %+v, want %+v", name, got.StorageCost, want.StorageCost)
				}
				if want.Total != (Range{}) && got.Total != want.Total {
					t.Errorf("%s total %+v, want %+v", name, got.Total, want.Total)
				}
			}
			check("ecs", e.ECS, tc.ecs)
			check("eks", e.EKS, tc.eks)
			if tc.cheap != "" && e.Cheaper != tc.cheap {
				t.Errorf("cheaper %q, want %q", e.Cheaper, tc.cheap)
			}
		})
	}
}

// TestPriceFileErrors: a price file that would price at zero, or a region it lacks, is an
// error naming what to fix, never a $0.00 estimate.
func TestPriceFileErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"regions": {}}`, "no regions"},
		{`{"regions": {"us-east-1": {"fargate": {"x86": {"vcpuHour": 0.04}}}}}`, "needs vcpuHour and gbHour above 0"},
		{`{"regions": {"us-east-1": {"fargate": {"x86": {"vcpuHour": 0.04, "gbHours": 0.004}}}}}`, `unknown field "gbHours"`},
	} {
		if _, err := parsePrices("p.json", []byte(tc.file)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.file, err, tc.want)
		}
	}
	_, err := Compare(load(t, base), []string{spec.TargetECS}, defaults(t), Options{Region: "sa-east-1"})
	if err == nil || !strings.Contains(err.Error(), `no prices for region "sa-east-1" (the price file has ap-northeast-2, eu-west-1, us-east-1)`) {
		t.Errorf("got %v", err)
	}
}

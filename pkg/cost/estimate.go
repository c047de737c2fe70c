// Package cost estimates what an app costs a month on each target, from its spec and a price
// file: Fargate on ECS (on-demand and Spot, x86 and ARM), and on EKS the control plane's share
// plus Fargate or a share of a node. It renders the app with the targets' own renderers, so the
// sizes priced are the ones a deploy would ask for.
package cost

import (
	"fmt"
	"math"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// HoursPerMonth is AWS's own figure for a month in its pricing examples (365 × 24 / 12).
const HoursPerMonth = 730

// freeStorageGiB is the ephemeral storage every Fargate task gets at no charge.
const freeStorageGiB = 20

// fargateK8sOverheadMiB is what Fargate adds to each EKS pod's memory for the kubelet,
// kube-proxy and containerd before it rounds the pod up to a Fargate size (EKS user guide,
// "Fargate Pod configuration details").
const fargateK8sOverheadMiB = 256

// EKS compute choices.
const (
	EKSFargate = "fargate"
	EKSNodes   = "nodes"
)

// Options are the estimate's inputs beside the spec and the prices.
type Options struct {
	Region string
	// Hours in the month; HoursPerMonth when 0.
	Hours float64
	// AppsPerCluster share the EKS control plane; 1 when 0.
	AppsPerCluster int
	// EKSCompute is EKSFargate (the default) or EKSNodes.
	EKSCompute string
}

// Range is a figure at the app's fewest and most replicas (equal without autoscale).
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Replicas is the replica count range: replicas, or autoscale min to max.
type Replicas struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// TargetCost is one target's monthly estimate, in the price file's currency.
type TargetCost struct {
	Target   string   `json:"target"`
	Compute  string   `json:"compute"`
	Size     string   `json:"size"`
	VCPU     float64  `json:"vcpu"`
	MemoryGB float64  `json:"memoryGB"`
	Replicas Replicas `json:"replicas"`
	// PerReplica is one task or pod for the month, on its compute (on-demand for a Spot mix).
	PerReplica   float64  `json:"perReplica"`
	ComputeCost  Range    `json:"computeCost"`
	StorageCost  Range    `json:"storageCost"`
	ControlPlane float64  `json:"controlPlane"`
	Total        Range    `json:"total"`
	Notes        []string `json:"notes,omitempty"`
}

// Estimate is the whole answer.
type Estimate struct {
	App        string      `json:"app"`
	Region     string      `json:"region"`
	Hours      float64     `json:"hours"`
	Currency   string      `json:"currency"`
	PricesDate string      `json:"pricesDate"`
	Sources    []string    `json:"sources"`
	ECS        *TargetCost `json:"ecs,omitempty"`
	EKS        *TargetCost `json:"eks,omitempty"`
	// Cheaper is "ecs" or "eks" when one target is cheaper at both ends of the replica
	// range, "" when it depends on the scale or only one target was priced.
	Cheaper string `json:"cheaper"`
}

func (o Options) hours() float64 {
	if o.Hours > 0 {
		return o.Hours
	}
	return HoursPerMonth
}

func (o Options) appsPerCluster() int {
	if o.AppsPerCluster > 0 {
		return o.AppsPerCluster
	}
	return 1
}

// replicas is the app's replica range as a deploy runs it.
func replicas(app *spec.App) Replicas {
	switch {
	case app.Autoscale != nil:
		return Replicas{app.Autoscale.Min, app.Autoscale.Max}
	case app.Replicas != nil:
		return Replicas{*app.Replicas, *app.Replicas}
	}
	return Replicas{1, 1}
}

// ForECS prices the app on ECS Fargate: the task size of its task definition, on the
// capacity its service asks for.
func ForECS(app *spec.App, p *Prices, o Options) (*TargetCost, error) {
	reg, err := p.Region(o.Region)
	if err != nil {
		return nil, err
	}
	r, err := ecs.Render(app, ecs.RenderOptions{Region: o.Region})
	if err != nil {
		return nil, err
	}
	td := r.TaskDefinition
	units, err1 := strconv.ParseFloat(deref(td.Cpu), 64)
	mib, err2 := strconv.ParseFloat(deref(td.Memory), 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("the task definition has no task size (cpu %q, memory %q)", deref(td.Cpu), deref(td.Memory))
	}
	c := &TargetCost{Target: spec.TargetECS, Compute: "Fargate", VCPU: units / 1024, MemoryGB: mib / 1024, Replicas: replicas(app)}
	c.Size = spec.FargateSize{CPUMillis: int64(units * 1000 / 1024), MemoryMiB: int64(mib)}.String()

	arm := td.RuntimePlatform != nil && td.RuntimePlatform.CpuArchitecture == types.CPUArchitectureArm64
	onDemand, spot := &reg.Fargate.X86, reg.Fargate.SpotX86
	if arm {
		c.Compute = "Fargate ARM64"
		if onDemand = reg.Fargate.ARM64; onDemand == nil {
			return nil, fmt.Errorf("the price file has no Fargate ARM64 price for %s: pass --prices FILE with one", o.Region)
		}
		spot = reg.Fargate.SpotARM64
	}
	h := o.hours()
	perHour := func(rate *Rate) float64 { return c.VCPU*rate.VCPUHour + c.MemoryGB*rate.GBHour }
	c.PerReplica = perHour(onDemand) * h

	// The capacity provider strategy: base tasks on their provider first, the rest split by
	// weight (ECS's documented placement of a strategy).
	spotShare := func(n int) float64 { return 0 }
	if strat := r.Service.CapacityProviderStrategy; len(strat) > 0 {
		var weights, spotWeight float64
		base, baseSpot := 0, false
		for _, s := range strat {
			weights += float64(s.Weight)
			if deref(s.CapacityProvider) == "FARGATE_SPOT" {
				spotWeight += float64(s.Weight)
			}
			if s.Base > 0 {
				base, baseSpot = int(s.Base), deref(s.CapacityProvider) == "FARGATE_SPOT"
			}
		}
		spotShare = func(n int) float64 {
			if n == 0 {
				return 0
			}
			onBase := min(base, n)
			tasks := float64(n - onBase)
			spotTasks := tasks * spotWeight / weights
			if baseSpot {
				spotTasks += float64(onBase)
			}
			return spotTasks / float64(n)
		}
		if spotWeight > 0 || baseSpot {
			if spot == nil {
				return nil, fmt.Errorf("the price file has no Fargate Spot price for %s (%s): pass --prices FILE with one", o.Region, c.Compute)
			}
			c.Compute += " with Spot"
		}
	}
	compute := func(n int) float64 {
		if n == 0 {
			return 0
		}
		s := spotShare(n)
		hourly := (1 - s) * perHour(onDemand)
		if s > 0 {
			hourly += s * perHour(spot)
		}
		return float64(n) * hourly * h
	}
	c.ComputeCost = Range{compute(c.Replicas.Min), compute(c.Replicas.Max)}
	if es := td.EphemeralStorage; es != nil && es.SizeInGiB > freeStorageGiB {
		extra := float64(es.SizeInGiB-freeStorageGiB) * reg.Fargate.StorageGBHour * h
		c.StorageCost = Range{float64(c.Replicas.Min) * extra, float64(c.Replicas.Max) * extra}
		c.Notes = append(c.Notes, fmt.Sprintf("ephemeral storage: %d GiB a task, %d GiB above the free %d", es.SizeInGiB, es.SizeInGiB-freeStorageGiB, freeStorageGiB))
	}
	c.Total = Range{c.ComputeCost.Min + c.StorageCost.Min, c.ComputeCost.Max + c.StorageCost.Max}
	return c, nil
}

// ForEKS prices the app on EKS: the control plane's share, and its pods on Fargate (sized
// the way EKS sizes a Fargate pod) or as a share of the reference node.
func ForEKS(app *spec.App, p *Prices, o Options) (*TargetCost, error) {
	reg, err := p.Region(o.Region)
	if err != nil {
		return nil, err
	}
	objs, err := eks.Render(app)
	if err != nil {
		return nil, err
	}
	var pod *corev1.PodSpec
	for _, obj := range objs {
		if d, ok := obj.(*appsv1.Deployment); ok {
			pod = &d.Spec.Template.Spec
		}
	}
	if pod == nil {
		return nil, fmt.Errorf("the render has no Deployment")
	}
	cpuMilli, memMiB := podRequests(pod)
	h := o.hours()
	c := &TargetCost{Target: spec.TargetEKS, Replicas: replicas(app)}
	c.ControlPlane = reg.EKSClusterHour * h / float64(o.appsPerCluster())
	c.Notes = append(c.Notes, fmt.Sprintf("control plane: $%.2f an hour per cluster, shared by %d app(s) (--apps-per-cluster)", reg.EKSClusterHour, o.appsPerCluster()))
	switch o.EKSCompute {
	case "", EKSFargate:
		size := spec.NearestFargateSize(cpuMilli, memMiB+fargateK8sOverheadMiB)
		if size.CPUMillis < cpuMilli || size.MemoryMiB < memMiB+fargateK8sOverheadMiB {
			return nil, fmt.Errorf("the pod requests %s / %s, more than the largest Fargate size (%s)", spec.FormatCPU(cpuMilli), spec.FormatMemory(memMiB), size)
		}
		c.Compute = "Fargate"
		c.VCPU, c.MemoryGB = float64(size.CPUMillis)/1000, float64(size.MemoryMiB)/1024
		c.Size = size.String()
		c.Notes = append(c.Notes, fmt.Sprintf("Fargate pod size: requests %s / %s, plus %d MiB for the kubelet, kube-proxy and containerd, rounded up to a Fargate size", spec.FormatCPU(cpuMilli), spec.FormatMemory(memMiB), fargateK8sOverheadMiB))
		c.PerReplica = (c.VCPU*reg.Fargate.X86.VCPUHour + c.MemoryGB*reg.Fargate.X86.GBHour) * h
	case EKSNodes:
		n := reg.Node
		if n == nil {
			return nil, fmt.Errorf("the price file has no reference node for %s: pass --prices FILE with one", o.Region)
		}
		c.Compute = "nodes (" + n.Type + ")"
		c.VCPU, c.MemoryGB = float64(cpuMilli)/1000, float64(memMiB)/1024
		c.Size = spec.FormatCPU(cpuMilli) + " / " + spec.FormatMemory(memMiB) + " requested"
		// A pod holds the larger of its CPU and memory shares of a node: the rest of that
		// dimension cannot be sold to another pod.
		share := math.Max(c.VCPU/n.VCPU, c.MemoryGB/n.MemoryGiB)
		c.PerReplica = share * n.Hour * h
		c.Notes = append(c.Notes, fmt.Sprintf("nodes: the pod's share of one %s (%g vCPU, %g GiB, $%.4f an hour), by the larger of its CPU and memory requests; no allowance for system reserve or unused room", n.Type, n.VCPU, n.MemoryGiB, n.Hour))
	default:
		return nil, fmt.Errorf("unknown EKS compute %q: use %s or %s", o.EKSCompute, EKSFargate, EKSNodes)
	}
	c.ComputeCost = Range{float64(c.Replicas.Min) * c.PerReplica, float64(c.Replicas.Max) * c.PerReplica}
	c.Total = Range{c.ComputeCost.Min + c.ControlPlane, c.ComputeCost.Max + c.ControlPlane}
	return c, nil
}

// podRequests is what a pod asks for, the way Fargate on EKS counts it: the long-running
// containers (native sidecars included) add up, the largest one-shot init container stands
// alone, and the larger of the two wins, per resource.
func podRequests(pod *corev1.PodSpec) (cpuMilli, memMiB int64) {
	var runCPU, runMem, initCPU, initMem int64
	add := func(c corev1.Container, cpu, mem *int64, sum bool) {
		q := c.Resources.Requests
		cv, mv := q.Cpu().MilliValue(), q.Memory().Value()>>20
		if sum {
			*cpu += cv
			*mem += mv
			return
		}
		*cpu, *mem = max(*cpu, cv), max(*mem, mv)
	}
	for _, c := range pod.Containers {
		add(c, &runCPU, &runMem, true)
	}
	for _, c := range pod.InitContainers {
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if sidecar {
			add(c, &runCPU, &runMem, true)
		} else {
			add(c, &initCPU, &initMem, false)
		}
	}
	return max(runCPU, initCPU), max(runMem, initMem)
}

// Compare prices the app on each target it can be validated for and says which is cheaper.
func Compare(app *spec.App, targets []string, p *Prices, o Options) (*Estimate, error) {
	e := &Estimate{App: app.Name, Region: o.Region, Hours: o.hours(), Currency: p.Currency, PricesDate: p.Date, Sources: p.Sources}
	for _, t := range targets {
		var err error
		switch t {
		case spec.TargetECS:
			e.ECS, err = ForECS(app, p, o)
		case spec.TargetEKS:
			e.EKS, err = ForEKS(app, p, o)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
	}
	if e.ECS != nil && e.EKS != nil {
		a, b := e.ECS.Total, e.EKS.Total
		switch {
		case round2(a.Min) < round2(b.Min) && round2(a.Max) < round2(b.Max):
			e.Cheaper = spec.TargetECS
		case round2(b.Min) < round2(a.Min) && round2(b.Max) < round2(a.Max):
			e.Cheaper = spec.TargetEKS
		}
	}
	e.round()
	return e, nil
}

// round2 rounds money to cents, half away from zero.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

func (r Range) round() Range { return Range{round2(r.Min), round2(r.Max)} }

// round leaves every money figure in cents: what is printed is what JSON says.
func (e *Estimate) round() {
	for _, c := range []*TargetCost{e.ECS, e.EKS} {
		if c == nil {
			continue
		}
		c.PerReplica, c.ControlPlane = round2(c.PerReplica), round2(c.ControlPlane)
		c.ComputeCost, c.StorageCost, c.Total = c.ComputeCost.round(), c.StorageCost.round(), c.Total.round()
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

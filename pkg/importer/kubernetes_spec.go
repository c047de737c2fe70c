package importer

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// Reading the spec's fields from the Deployment (with the API server's defaults filled in):
// each field is set only where its render gives back the original's value; the rest is left to
// the patches. Parts of the spec that a validation error named are switched off (off), so that
// a value the neutral field cannot take is carried by a patch instead.

// groups maps a spec field (by prefix) to the part of the import that sets it.
var groups = []struct{ prefix, group string }{
	{"health", "health"}, {"volumes", "volumes"}, {"sidecars", "sidecars"}, {"init", "init"},
	{"ports", "ports"}, {"expose", "ports"}, {"eks.serviceName", "ports"}, {"eks.serviceType", "ports"},
	{"eks.serviceAnnotations", "ports"},
	{"eks.publicService", "public"}, {"eks.publicVia", "public"}, {"eks.ingress", "public"},
	{"cpu", "resources"}, {"memory", "resources"}, {"requests", "resources"}, {"limits", "resources"},
	{"eks.extendedResources", "resources"},
	{"security", "security"}, {"eks.podSecurity", "security"},
	{"env", "env"}, {"eks.env", "env"}, {"eks.envFrom", "env"},
	{"labels", "labels"}, {"eks.selector", "labels"},
	{"eks.affinity", "sched"}, {"eks.topologySpread", "sched"}, {"eks.tolerations", "sched"}, {"eks.nodeSelector", "sched"},
	{"autoscale", "autoscale"}, {"replicas", "autoscale"},
	{"eks.disruptionBudget", "budget"},
	{"rollout", "rollout"}, {"eks.minReadySeconds", "rollout"}, {"eks.revisionHistoryLimit", "rollout"},
	{"stopGrace", "stop"}, {"stopCommand", "stop"},
	{"role", "account"}, {"eks.serviceAccount", "account"}, {"eks.createServiceAccount", "account"},
	{"eks.podAnnotations", "annotations"}, {"secrets", "secrets"}, {"eks.secretStore", "secrets"}, {"eks.parameterStore", "secrets"},
}

// failedGroups are the parts the errors name that are not off yet.
func failedGroups(errs spec.Errors, off map[string]bool) []string {
	var out []string
	for _, e := range errs {
		for _, g := range groups {
			if (e.Field == g.prefix || strings.HasPrefix(e.Field, g.prefix+".") || strings.HasPrefix(e.Field, g.prefix+"[")) && !off[g.group] {
				off2 := true
				for _, o := range out {
					off2 = off2 && o != g.group
				}
				if off2 {
					out = append(out, g.group)
				}
				break
			}
		}
	}
	return out
}

// build reads the spec's fields.
func (in *k8sApp) build(off map[string]bool) *spec.App {
	d := in.d
	ps := &d.Spec.Template.Spec
	main := &ps.Containers[in.main]
	a := &spec.App{Version: 1, Name: d.Name, Image: main.Image, Command: main.Command, Args: main.Args}
	if main.Name != d.Name {
		a.ContainerName = main.Name
	}
	if d.Namespace != "" && d.Namespace != spec.DefaultNamespace {
		a.EKS.Namespace = d.Namespace
	}
	on := func(g string) bool { return !off[g] }
	if on("labels") {
		in.labels(a)
	}
	if on("ports") {
		in.ports(a, main)
	}
	if on("public") {
		in.public(a)
	}
	if on("resources") {
		in.resources(a, ps, on("sidecars"))
	}
	if on("sidecars") {
		in.sidecars(a, ps, on("health"))
	}
	if on("init") {
		in.inits(a, ps)
	}
	if on("env") {
		k8sEnv(a, main, in.secretEnv(on("secrets")))
	}
	if on("health") {
		a.Health = k8sHealth(main, a.Ports)
	}
	if on("security") {
		a.Security = k8sSecurity(main.SecurityContext)
		if sc := ps.SecurityContext; sc != nil && (sc.RunAsUser != nil || sc.RunAsGroup != nil || sc.RunAsNonRoot != nil || sc.FSGroup != nil) {
			a.EKS.PodSecurity = &spec.Security{RunAsUser: sc.RunAsUser, RunAsGroup: sc.RunAsGroup, RunAsNonRoot: sc.RunAsNonRoot, FSGroup: sc.FSGroup}
		}
	}
	if on("volumes") {
		in.volumes(a, ps, on("sidecars"))
	}
	if on("autoscale") {
		in.scale(a)
	}
	if on("budget") && in.b != nil {
		b := in.b.Spec
		a.EKS.DisruptionBudget = &spec.DisruptionBudget{MinAvailable: intOrPercent(b.MinAvailable), MaxUnavailable: intOrPercent(b.MaxUnavailable)}
		if p := b.UnhealthyPodEvictionPolicy; p != nil {
			a.EKS.DisruptionBudget.UnhealthyPodEvictionPolicy = string(*p)
		}
	}
	if on("rollout") {
		in.rollout(a)
	}
	if on("stop") {
		if g := ps.TerminationGracePeriodSeconds; g != nil && *g != corev1.DefaultTerminationGracePeriodSeconds {
			a.StopGrace = fmt.Sprintf("%ds", *g)
		}
		if l := main.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Exec != nil {
			a.StopCommand = l.PreStop.Exec.Command
		}
	}
	if on("sched") {
		sched(a, ps, in.selector())
	}
	if on("account") {
		in.account(a, ps)
	}
	if on("annotations") {
		a.EKS.PodAnnotations = ownAnnotations(d.Spec.Template.Annotations, nil)
	}
	if on("secrets") {
		in.awsSecrets(a)
	}
	return a
}

// selector is the Deployment's selector labels (matchLabels).
func (in *k8sApp) selector() map[string]string {
	if s := in.d.Spec.Selector; s != nil {
		return s.MatchLabels
	}
	return nil
}

// labels are the pods' labels, which shipit puts on every object and on the pods; the
// selector is eks.selector unless it is shipit's own.
func (in *k8sApp) labels(a *spec.App) {
	for k, v := range in.d.Spec.Template.Labels {
		if k == eks.NameLabel || k == eks.ManagedByLabel {
			continue // shipit's own: it sets them
		}
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		a.Labels[k] = v
	}
	sel := in.selector()
	if len(sel) > 0 && !(len(sel) == 1 && sel[eks.NameLabel] == a.Name) {
		a.EKS.Selector = maps.Clone(sel)
	}
}

// ports are the app container's ports, with what the Service says of each: the service port
// and its name when they differ, the node port of a NodePort Service, and expose: false for a
// port the Service leaves out.
func (in *k8sApp) ports(a *spec.App, main *corev1.Container) {
	names := map[string]bool{}
	for _, p := range main.Ports {
		names[p.Name] = true
	}
	var own []string // the container's own name of each of a.Ports ("" when it has none)
	for _, p := range main.Ports {
		proto := strings.ToLower(string(p.Protocol))
		if proto != "tcp" && proto != "udp" {
			continue // SCTP: the patches carry it
		}
		name := p.Name
		if name == "" {
			// The spec names every port (the Service targets it by name); a patch takes the
			// name off the container again.
			name = "port-" + strconv.Itoa(int(p.ContainerPort))
			if !names["http"] && len(a.Ports) == 0 {
				name = "http"
			}
			names[name] = true
		}
		a.Ports = append(a.Ports, spec.Port{Name: name, Port: int(p.ContainerPort), Protocol: specProto(proto)})
		own = append(own, p.Name)
	}
	if in.s == nil {
		if len(a.Ports) > 0 {
			a.Expose = "none"
		}
		return
	}
	s := in.s.Spec
	exposed := map[int]bool{}
	for _, sp := range s.Ports {
		i := -1
		for j, p := range a.Ports {
			byName := sp.TargetPort.Type == intstr.String && own[j] != "" && sp.TargetPort.StrVal == own[j]
			byNum := sp.TargetPort.Type == intstr.Int && int(sp.TargetPort.IntVal) == p.Port
			if (byName || byNum) && strings.EqualFold(string(sp.Protocol), protoOf(p)) && !exposed[j] {
				i = j
				break
			}
		}
		if i < 0 && sp.TargetPort.Type == intstr.Int {
			// The Service sends to a port the container does not declare: the spec lists it
			// (the app listens there); a patch takes it off the container again.
			name := sp.Name
			if name == "" || names[name] {
				name = "port-" + strconv.Itoa(int(sp.TargetPort.IntVal))
			}
			names[name] = true
			a.Ports = append(a.Ports, spec.Port{Name: name, Port: int(sp.TargetPort.IntVal), Protocol: specProto(strings.ToLower(string(sp.Protocol)))})
			own = append(own, "")
			i = len(a.Ports) - 1
		}
		if i < 0 {
			continue // a named port the container does not have: the patches carry it
		}
		exposed[i] = true
		p := &a.Ports[i]
		if int(sp.Port) != p.Port {
			p.ServicePort = int(sp.Port)
		}
		if sp.Name != p.Name && sp.Name != "" {
			p.ServicePortName = sp.Name
		}
		if s.Type == corev1.ServiceTypeNodePort {
			p.NodePort = int(sp.NodePort)
		}
	}
	for i := range a.Ports {
		if !exposed[i] {
			f := false
			a.Ports[i].Expose = &f
		}
	}
	if len(exposed) == 0 {
		a.Expose = "none" // nothing of the Service could be said: it is lost
		return
	}
	switch s.Type {
	case corev1.ServiceTypeNodePort:
		a.EKS.ServiceType = "NodePort"
	case corev1.ServiceTypeLoadBalancer:
		a.Expose, a.EKS.PublicVia = "public", "nlb"
	}
	if in.svc.name != a.Name {
		a.EKS.ServiceName = in.svc.name
	}
	var nlb map[string]string
	if s.Type == corev1.ServiceTypeLoadBalancer {
		nlb = eks.NLBAnnotations()
	}
	a.EKS.ServiceAnnotations = ownAnnotations(in.s.Annotations, nlb)
}

// ownAnnotations are an object's annotations without shipit's spec hash and without those the
// render puts there itself with the same value.
func ownAnnotations(m, rendered map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if k == spec.HashAnnotation || (rendered != nil && rendered[k] == v) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// public reads the second, LoadBalancer Service (eks.publicService) or the Ingress (an ALB:
// eks.publicVia alb and eks.ingress).
func (in *k8sApp) public(a *spec.App) {
	if in.s == nil || a.Expose == "none" {
		return
	}
	if in.p != nil {
		a.Expose, a.EKS.PublicVia = "public", ""
		a.EKS.PublicService = &spec.PublicService{Name: in.pub.name, Annotations: ownAnnotations(in.p.Annotations, eks.NLBAnnotations())}
		return
	}
	if in.in == nil {
		return
	}
	const ann = "alb.ingress.kubernetes.io/"
	a.Expose, a.EKS.PublicVia = "public", "alb"
	ing := &spec.Ingress{Scheme: in.in.Annotations[ann+"scheme"], CertificateARN: in.in.Annotations[ann+"certificate-arn"]}
	if rs := in.in.Spec.Rules; len(rs) > 0 {
		ing.Host = rs[0].Host
	}
	if *ing != (spec.Ingress{}) {
		a.EKS.Ingress = ing
	}
}

// milli and mib write sizes the way the spec reads them.
func milli(n int64) string { return resource.NewMilliQuantity(n, resource.DecimalSI).String() }
func mibs(n int64) string  { return resource.NewQuantity(n<<20, resource.BinarySI).String() }

// size is a container's CPU (millicores) and memory (MiB): its limits, else its requests; ok
// is false when it states neither.
func size(r corev1.ResourceRequirements) (cpu, mem int64, ok bool) {
	pick := func(name corev1.ResourceName) (resource.Quantity, bool) {
		if q, ok := r.Limits[name]; ok {
			return q, true
		}
		q, ok := r.Requests[name]
		return q, ok
	}
	c, okC := pick(corev1.ResourceCPU)
	m, okM := pick(corev1.ResourceMemory)
	if okC {
		cpu = c.MilliValue()
	}
	if okM {
		mem = (m.Value() + 1<<20 - 1) >> 20
	}
	return cpu, mem, okC && okM && cpu > 0 && mem > 0
}

// resources: cpu and memory are the pod's total (the sidecars' sizes plus the app
// container's), limits what the app container has below it, requests what it is guaranteed.
func (in *k8sApp) resources(a *spec.App, ps *corev1.PodSpec, withSidecars bool) {
	main := ps.Containers[in.main]
	cpu, mem, ok := size(main.Resources)
	if !ok {
		return // the spec's default size; a patch gives the container what it has
	}
	var sc, sm int64
	if withSidecars {
		for i, c := range ps.Containers {
			if i != in.main {
				c, m := sidecarSize(c)
				sc, sm = sc+c, sm+m
			}
		}
	}
	// Sidecars leave the app container at least what shipit requires of it; below that,
	// limits: says what it has.
	const minCPU, minMem = 125, 128
	totalCPU, totalMem := cpu, mem
	if sc > 0 || sm > 0 {
		totalCPU, totalMem = sc+max(cpu, minCPU), sm+max(mem, minMem)
		if cpu < minCPU || mem < minMem {
			a.Limits = &spec.Limits{}
			if cpu < minCPU {
				a.Limits.CPU = milli(cpu)
			}
			if mem < minMem {
				a.Limits.Memory = mibs(mem)
			}
		}
	}
	a.CPU, a.Memory = milli(totalCPU), mibs(totalMem)
	req := &spec.Requests{}
	if q, ok := main.Resources.Requests[corev1.ResourceCPU]; ok && q.MilliValue() != cpu {
		req.CPU = milli(q.MilliValue())
	}
	if q, ok := main.Resources.Requests[corev1.ResourceMemory]; ok && (q.Value()+1<<20-1)>>20 != mem {
		req.Memory = mibs((q.Value() + 1<<20 - 1) >> 20)
	}
	if q, ok := main.Resources.Requests[corev1.ResourceEphemeralStorage]; ok {
		req.EphemeralStorage = q.String()
	}
	if *req != (spec.Requests{}) {
		a.Requests = req
	}
	if q, ok := main.Resources.Limits[corev1.ResourceEphemeralStorage]; ok {
		if a.Limits == nil {
			a.Limits = &spec.Limits{}
		}
		a.Limits.EphemeralStorage = q.String()
	}
	for name, q := range main.Resources.Limits {
		switch name {
		case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
			continue
		}
		if r, ok := main.Resources.Requests[name]; (ok && r.Cmp(q) != 0) || !q.IsZero() && q.Value()*1000 != q.MilliValue() {
			continue // a request apart from the limit, or a fraction: the patches carry it
		}
		if name == spec.NvidiaGPU {
			if a.Limits == nil {
				a.Limits = &spec.Limits{}
			}
			a.Limits.GPU = int(q.Value())
			continue
		}
		if a.EKS.ExtendedResources == nil {
			a.EKS.ExtendedResources = map[string]int64{}
		}
		a.EKS.ExtendedResources[string(name)] = q.Value()
	}
}

// sidecarSize is a sidecar's size; one that states none gets the least shipit allows (Kubernetes
// needs a limit), which a patch then takes off again.
func sidecarSize(c corev1.Container) (cpu, mem int64) {
	cpu, mem, _ = size(c.Resources)
	if cpu == 0 {
		cpu = 100
	}
	if mem == 0 {
		mem = 64
	}
	return cpu, mem
}

// scale reads the HorizontalPodAutoscaler: min, max and CPU and memory utilisation targets.
// Without an HPA, the replica count.
func (in *k8sApp) scale(a *spec.App) {
	if in.h == nil {
		if r := in.d.Spec.Replicas; r != nil {
			n := int(*r)
			a.Replicas = &n
		}
		return
	}
	s := in.h.Spec
	as := &spec.Autoscale{Max: int(s.MaxReplicas), Min: 1}
	if s.MinReplicas != nil {
		as.Min = int(*s.MinReplicas)
	}
	for _, m := range s.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType || m.Resource.Target.AverageUtilization == nil {
			continue
		}
		switch m.Resource.Name {
		case corev1.ResourceCPU:
			as.CPU = int(*m.Resource.Target.AverageUtilization)
		case corev1.ResourceMemory:
			as.Memory = int(*m.Resource.Target.AverageUtilization)
		}
	}
	if as.CPU == 0 && as.Memory == 0 {
		// Scaling on other metrics only: the spec needs a target of its own; the patch puts the
		// original's metrics in its place. 80 is what an HPA without metrics scales on.
		as.CPU = 80
	}
	a.Autoscale = as
}

// rollout reads the Deployment's strategy and timings.
func (in *k8sApp) rollout(a *spec.App) {
	s := in.d.Spec
	if ru := s.Strategy.RollingUpdate; s.Strategy.Type == "RollingUpdate" && ru != nil {
		if v, ok := percent(ru.MaxSurge); ok && v != spec.DefaultMaxSurge {
			a.Rollout.MaxSurge = v
		}
		if v, ok := percent(ru.MaxUnavailable); ok && v != spec.DefaultMaxUnavailable {
			a.Rollout.MaxUnavailable = v
		}
	}
	if p := s.ProgressDeadlineSeconds; p != nil && *p != 600 {
		a.Rollout.Timeout = fmt.Sprintf("%ds", *p)
	}
	if s.MinReadySeconds != 0 {
		n := int(s.MinReadySeconds)
		a.EKS.MinReadySeconds = &n
	}
	if r := s.RevisionHistoryLimit; r != nil && *r != 10 {
		n := int(*r)
		a.EKS.RevisionHistoryLimit = &n
	}
}

// percent is a surge or unavailability the spec can say: a percentage, or 0 (which is 0%).
func percent(v *intstr.IntOrString) (string, bool) {
	switch {
	case v == nil:
		return "", false
	case v.Type == intstr.String && strings.HasSuffix(v.StrVal, "%"):
		return v.StrVal, true
	case v.Type == intstr.Int && v.IntVal == 0:
		return "0%", true
	}
	return "", false
}

func intOrPercent(v *intstr.IntOrString) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// account reads the ServiceAccount: the app's own when it was read along (with the IAM role
// its eks.amazonaws.com/role-arn annotation names), an existing one otherwise.
func (in *k8sApp) account(a *spec.App, ps *corev1.PodSpec) {
	name := ps.ServiceAccountName
	if name == "" {
		return
	}
	a.EKS.ServiceAccount = name
	if in.acct == nil {
		f := false
		a.EKS.CreateServiceAccount = &f
		return
	}
	a.Role = in.acct.Annotations[eks.RoleAnnotation]
}

// specProto is a port's protocol as the spec writes it: tcp, the default, is left out.
func specProto(p string) string {
	if p == "tcp" {
		return ""
	}
	return p
}

func protoOf(p spec.Port) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// The pod template's containers: env, checks, security, sidecars, init containers, volumes and
// scheduling, read into the spec's fields where they render back as they are.

// envName is the spec's rule for a variable name; Kubernetes takes more (dots, dashes), which
// the patches carry.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// env reads the app container's variables: plain values into env, values Kubernetes supplies
// (the downward API, one key of a ConfigMap or Secret) into eks.env, and envFrom.
func k8sEnv(a *spec.App, c *corev1.Container, skip map[string]bool) {
	seen := map[string]bool{}
	for _, e := range c.Env {
		if seen[e.Name] || skip[e.Name] || !envName.MatchString(e.Name) {
			continue // the second of two variables of one name: only a patch can say that
		}
		seen[e.Name] = true
		v := e.ValueFrom
		var src spec.EnvSource
		switch {
		case v == nil:
			if a.Env == nil {
				a.Env = map[string]string{}
			}
			a.Env[e.Name] = e.Value
			continue
		case v.FieldRef != nil && v.FieldRef.APIVersion == "v1":
			src = spec.EnvSource{Field: v.FieldRef.FieldPath}
		case v.ConfigMapKeyRef != nil:
			r := v.ConfigMapKeyRef
			src = spec.EnvSource{ConfigMap: r.Name, Key: r.Key, Optional: ptr.Deref(r.Optional, false)}
		case v.SecretKeyRef != nil:
			r := v.SecretKeyRef
			src = spec.EnvSource{Secret: r.Name, Key: r.Key, Optional: ptr.Deref(r.Optional, false)}
		default:
			continue // a resource field or a file key: the patches carry it
		}
		if a.EKS.Env == nil {
			a.EKS.Env = map[string]spec.EnvSource{}
		}
		a.EKS.Env[e.Name] = src
	}
	for _, f := range c.EnvFrom {
		switch {
		case f.ConfigMapRef != nil && f.ConfigMapRef.Optional == nil:
			a.EKS.EnvFrom = append(a.EKS.EnvFrom, spec.EnvFrom{ConfigMap: f.ConfigMapRef.Name, Prefix: f.Prefix})
		case f.SecretRef != nil && f.SecretRef.Optional == nil:
			a.EKS.EnvFrom = append(a.EKS.EnvFrom, spec.EnvFrom{Secret: f.SecretRef.Name, Prefix: f.Prefix})
		}
	}
}

// plainEnv is a sidecar's (or init container's) env: plain values only.
func plainEnv(c *corev1.Container) map[string]string {
	var out map[string]string
	for _, e := range c.Env {
		if e.ValueFrom != nil || !envName.MatchString(e.Name) {
			continue
		}
		if _, dup := out[e.Name]; dup {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[e.Name] = e.Value
	}
	return out
}

func secs(n int32) string { return fmt.Sprintf("%ds", n) }

// check is one probe as the spec's check, every timing explicit. ok is false when the spec
// cannot say its handler (a port the container does not declare).
func check(p *corev1.Probe, c *corev1.Container, ports []spec.Port) (*spec.Health, bool) {
	h := &spec.Health{Interval: secs(p.PeriodSeconds), Timeout: secs(p.TimeoutSeconds), Failures: int(p.FailureThreshold),
		InitialDelay: secs(p.InitialDelaySeconds)}
	if p.SuccessThreshold > 1 {
		h.Successes = int(p.SuccessThreshold)
	}
	port := func(v intstr.IntOrString) (int, bool) {
		n := int(v.IntVal)
		if v.Type == intstr.String {
			n = 0
			for _, cp := range c.Ports {
				if cp.Name == v.StrVal {
					n = int(cp.ContainerPort)
				}
			}
		}
		for _, sp := range ports {
			if sp.Port == n {
				return n, true
			}
		}
		return 0, false
	}
	var ok bool
	switch x := p.ProbeHandler; {
	case x.HTTPGet != nil:
		h.Path = x.HTTPGet.Path
		h.Port, ok = port(x.HTTPGet.Port)
		for _, hd := range x.HTTPGet.HTTPHeaders {
			if _, dup := h.Headers[hd.Name]; dup {
				h.Headers = nil // two headers of one name: the patches carry the list
				break
			}
			if h.Headers == nil {
				h.Headers = map[string]string{}
			}
			h.Headers[hd.Name] = hd.Value
		}
	case x.TCPSocket != nil:
		h.TCP = true
		h.Port, ok = port(x.TCPSocket.Port)
	case x.GRPC != nil:
		h.GRPC = &spec.GRPC{Service: ptr.Deref(x.GRPC.Service, "")}
		h.Port, ok = port(intstr.FromInt32(x.GRPC.Port))
	case x.Exec != nil && len(x.Exec.Command) > 0:
		h.Command, ok = x.Exec.Command, true
	}
	return h, ok
}

// sameCheck reports whether two checks are one (successes aside: liveness has only 1).
func sameCheck(a, b *spec.Health) bool {
	x, y := *a, *b
	x.Successes, y.Successes = 0, 0
	return reflect.DeepEqual(x, y)
}

// health reads the app container's probes: readiness is health, liveness the same check
// unless it differs (then health.liveness, or off when there is none), startup its own.
// A container with liveness only gets it as health; a patch takes off the readiness probe
// the render then adds.
func k8sHealth(c *corev1.Container, ports []spec.Port) *spec.Health {
	r, l := c.ReadinessProbe, c.LivenessProbe
	base := r
	if base == nil {
		base = l
	}
	if base == nil {
		return nil
	}
	h, ok := check(base, c, ports)
	if !ok {
		return nil
	}
	switch {
	case r == nil:
	case l == nil:
		h.Liveness = &spec.Health{Off: true}
	default:
		lh, ok := check(l, c, ports)
		switch {
		case !ok:
			h.Liveness = &spec.Health{Off: true} // a patch adds the probe back
		case !sameCheck(lh, h):
			h.Liveness = inherit(lh, h, true)
		}
	}
	if s := c.StartupProbe; s != nil {
		if sh, ok := check(s, c, ports); ok {
			h.Startup = inherit(sh, h, false)
		}
	}
	compact(h)
	return h
}

// inherit leaves out of a liveness or startup check what it takes from health anyway:
// interval, timeout, failures and port; liveness takes health's initial delay too, so a
// liveness check without one says 0s.
func inherit(c, h *spec.Health, liveness bool) *spec.Health {
	out := *c
	if out.Interval == h.Interval {
		out.Interval = ""
	}
	if out.Timeout == h.Timeout {
		out.Timeout = ""
	}
	if out.Failures == h.Failures {
		out.Failures = 0
	}
	if out.Port == h.Port && (out.Path != "" || out.TCP || out.GRPC != nil) {
		out.Port = 0
	}
	switch {
	case !liveness && out.InitialDelay == "0s":
		out.InitialDelay = "" // a startup check never inherits the initial delay
	case liveness && out.InitialDelay == h.InitialDelay:
		out.InitialDelay = ""
	}
	out.Successes = 0
	return &out
}

// compact leaves out of health what the spec defaults to (10s interval, 5s timeout, 3
// failures, no initial delay).
func compact(h *spec.Health) {
	if h.Interval == spec.DefaultHealthInterval {
		h.Interval = ""
	}
	if h.Timeout == spec.DefaultHealthTimeout {
		h.Timeout = ""
	}
	if h.Failures == spec.DefaultHealthFailures {
		h.Failures = 0
	}
	if h.InitialDelay == "0s" {
		h.InitialDelay = ""
	}
}

// security reads a container's securityContext (allowPrivilegeEscalation false is shipit's
// own; anything else it has no field for goes to the patches).
func k8sSecurity(sc *corev1.SecurityContext) *spec.Security {
	if sc == nil {
		return nil
	}
	s := &spec.Security{RunAsUser: sc.RunAsUser, RunAsGroup: sc.RunAsGroup, RunAsNonRoot: sc.RunAsNonRoot, ReadOnlyRootFilesystem: sc.ReadOnlyRootFilesystem}
	if c := sc.Capabilities; c != nil && (len(c.Add) > 0 || len(c.Drop) > 0) {
		s.Capabilities = &spec.Capabilities{}
		for _, x := range c.Add {
			s.Capabilities.Add = append(s.Capabilities.Add, string(x))
		}
		for _, x := range c.Drop {
			s.Capabilities.Drop = append(s.Capabilities.Drop, string(x))
		}
	}
	if reflect.DeepEqual(*s, spec.Security{}) {
		return nil
	}
	return s
}

// container reads what sidecars and init containers share.
func container(c *corev1.Container) spec.Sidecar {
	s := spec.Sidecar{Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args, Env: plainEnv(c), Security: k8sSecurity(c.SecurityContext)}
	return s
}

// requests is what a container is guaranteed below its limits (cpu, memory), and its
// ephemeral storage request.
func requests(c *corev1.Container, cpu, mem int64) *spec.Requests {
	r := &spec.Requests{}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok && q.MilliValue() != cpu {
		r.CPU = milli(q.MilliValue())
	}
	if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && (q.Value()+1<<20-1)>>20 != mem {
		r.Memory = mibs((q.Value() + 1<<20 - 1) >> 20)
	}
	if q, ok := c.Resources.Requests[corev1.ResourceEphemeralStorage]; ok {
		r.EphemeralStorage = q.String()
	}
	if *r == (spec.Requests{}) {
		return nil
	}
	return r
}

// sidecars reads every container but the app's.
func (in *k8sApp) sidecars(a *spec.App, ps *corev1.PodSpec, withHealth bool) {
	for i := range ps.Containers {
		if i == in.main {
			continue
		}
		c := &ps.Containers[i]
		s := container(c)
		cpu, mem := sidecarSize(*c)
		s.CPU, s.Memory = milli(cpu), mibs(mem)
		s.Requests = requests(c, cpu, mem)
		for _, p := range c.Ports {
			proto := strings.ToLower(string(p.Protocol))
			if proto == "tcp" || proto == "udp" {
				s.Ports = append(s.Ports, spec.Port{Name: p.Name, Port: int(p.ContainerPort), Protocol: specProto(proto)})
			}
		}
		if withHealth {
			s.Health = sidecarHealth(c, s.Ports)
		}
		a.Sidecars = append(a.Sidecars, s)
	}
}

// sidecarHealth is a sidecar's readiness and liveness (it has no startup check in the spec).
func sidecarHealth(c *corev1.Container, ports []spec.Port) *spec.Health {
	h := k8sHealth(&corev1.Container{Ports: c.Ports, ReadinessProbe: c.ReadinessProbe, LivenessProbe: c.LivenessProbe}, ports)
	if h != nil && c.ReadinessProbe == nil {
		return nil // liveness only: the render would add a readiness probe
	}
	return h
}

// inits reads the init containers; one without a size of its own gets the app container's.
func (in *k8sApp) inits(a *spec.App, ps *corev1.PodSpec) {
	for i := range ps.InitContainers {
		c := &ps.InitContainers[i]
		s := container(c)
		if cpu, mem, ok := size(c.Resources); ok {
			s.CPU, s.Memory = milli(cpu), mibs(mem)
			s.Requests = requests(c, cpu, mem)
		}
		a.Init = append(a.Init, s)
	}
}

// volumes reads emptyDir, Secret and ConfigMap volumes and where each container mounts them;
// other volumes, and a second mount of one volume in a container, go to the patches.
func (in *k8sApp) volumes(a *spec.App, ps *corev1.PodSpec, withSidecars bool) {
	main := &ps.Containers[in.main]
	mountedBy := func(name string, c *corev1.Container) *corev1.VolumeMount {
		for i := range c.VolumeMounts {
			if c.VolumeMounts[i].Name == name {
				return &c.VolumeMounts[i]
			}
		}
		return nil
	}
	for _, v := range ps.Volumes {
		sv := spec.Volume{Name: v.Name}
		switch {
		case v.EmptyDir != nil:
			sv.Scratch = &spec.Scratch{Memory: v.EmptyDir.Medium == corev1.StorageMediumMemory}
			if q := v.EmptyDir.SizeLimit; q != nil {
				sv.Scratch.SizeLimit = q.String()
			}
		case v.Secret != nil:
			sv.Secret = &spec.FileSource{Name: v.Secret.SecretName, Items: items(v.Secret.Items)}
		case v.ConfigMap != nil:
			sv.ConfigMap = &spec.FileSource{Name: v.ConfigMap.Name, Items: items(v.ConfigMap.Items)}
		case v.PersistentVolumeClaim != nil:
			if sv.EFS = in.efsVolume(v); sv.EFS == nil {
				continue
			}
		default:
			continue
		}
		used := false
		if m := mountedBy(v.Name, main); m != nil {
			sv.Path, sv.ReadOnly, used = m.MountPath, m.ReadOnly, true
		}
		if withSidecars {
			for i, s := range a.Sidecars {
				c := containerNamed(ps.Containers, s.Name)
				if m := mountedBy(v.Name, c); c != nil && m != nil {
					a.Sidecars[i].Mounts = append(a.Sidecars[i].Mounts, spec.Mount{Volume: v.Name, Path: m.MountPath, ReadOnly: m.ReadOnly})
					used = true
				}
			}
		}
		if !used {
			continue // mounted only by init containers, or nowhere: the patches carry it
		}
		for i, s := range a.Init {
			if c := containerNamed(ps.InitContainers, s.Name); c != nil {
				if m := mountedBy(v.Name, c); m != nil {
					a.Init[i].Mounts = append(a.Init[i].Mounts, spec.Mount{Volume: v.Name, Path: m.MountPath, ReadOnly: m.ReadOnly})
				}
			}
		}
		a.Volumes = append(a.Volumes, sv)
	}
}

func containerNamed(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func items(its []corev1.KeyToPath) []spec.KeyToPath {
	var out []spec.KeyToPath
	for _, it := range its {
		k := spec.KeyToPath{Key: it.Key, Path: it.Path}
		if it.Mode != nil {
			m := int(*it.Mode)
			k.Mode = &m
		}
		out = append(out, k)
	}
	return out
}

// sched reads the pod's placement: node selector, tolerations, affinity (the spec's types
// have Kubernetes' shape) and topology spread (whose selector defaults to the app's own).
func sched(a *spec.App, ps *corev1.PodSpec, selector map[string]string) {
	a.EKS.NodeSelector = maps.Clone(ps.NodeSelector)
	for _, t := range ps.Tolerations {
		a.EKS.Tolerations = append(a.EKS.Tolerations, spec.Toleration{Key: t.Key, Operator: string(t.Operator), Value: t.Value, Effect: string(t.Effect), Seconds: t.TolerationSeconds})
	}
	if ps.Affinity != nil {
		b, _ := json.Marshal(ps.Affinity)
		var af spec.Affinity
		if json.Unmarshal(b, &af) == nil {
			a.EKS.Affinity = &af
		}
	}
	for _, c := range ps.TopologySpreadConstraints {
		ts := spec.TopologySpread{MaxSkew: int(c.MaxSkew), TopologyKey: c.TopologyKey, WhenUnsatisfiable: string(c.WhenUnsatisfiable), MatchLabelKeys: c.MatchLabelKeys}
		if s := c.LabelSelector; s != nil && !(len(s.MatchExpressions) == 0 && maps.Equal(s.MatchLabels, selectorOr(selector, a.Name))) {
			b, _ := json.Marshal(s)
			var ls spec.LabelSelector
			_ = json.Unmarshal(b, &ls)
			ts.LabelSelector = &ls
		}
		if c.MinDomains != nil {
			n := int(*c.MinDomains)
			ts.MinDomains = &n
		}
		if p := c.NodeAffinityPolicy; p != nil {
			ts.NodeAffinityPolicy = string(*p)
		}
		if p := c.NodeTaintsPolicy; p != nil {
			ts.NodeTaintsPolicy = string(*p)
		}
		a.EKS.TopologySpread = append(a.EKS.TopologySpread, ts)
	}
}

// selectorOr is the app's selector: the Deployment's, else shipit's default.
func selectorOr(sel map[string]string, name string) map[string]string {
	if len(sel) > 0 {
		return sel
	}
	return map[string]string{"app.kubernetes.io/name": name}
}

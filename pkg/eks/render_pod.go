package eks

import (
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// The pod template: containers (app, sidecars, init), their resources, probes, security and
// volumes. Rendering is pure, like the rest of render.go.

func podSpec(app *spec.App) corev1.PodSpec {
	mainCPU, mainMem := app.MainLimits()
	main := corev1.Container{
		Name:            app.MainContainer(),
		Image:           app.Image,
		Command:         app.Command,
		Args:            app.Args,
		Env:             envVars(app),
		Resources:       resources(mainCPU, mainMem, app.Requests),
		SecurityContext: securityContext(app.Security),
	}
	withEphemeralStorage(&main.Resources, app.Requests, app.Limits.AsRequests())
	for _, p := range app.Ports {
		main.Ports = append(main.Ports, corev1.ContainerPort{
			Name: p.Name, ContainerPort: int32(p.Port), Protocol: corev1.Protocol(strings.ToUpper(p.Protocol)),
		})
	}
	if h := app.Health; h != nil {
		main.ReadinessProbe = probe(h, h.Failures)
		switch l := h.Liveness; {
		case l == nil:
			main.LivenessProbe = probe(h, h.Failures)
			main.LivenessProbe.SuccessThreshold = 0 // unset is 1; Kubernetes takes no other for liveness
		case !l.Off:
			main.LivenessProbe = probe(l, l.Failures)
		}
		// The startup probe holds readiness and liveness off until the app has started.
		main.StartupProbe = startupProbe(h)
	}
	ps := corev1.PodSpec{
		ServiceAccountName: app.EKS.ServiceAccount,
		NodeSelector:       maps.Clone(app.EKS.NodeSelector),
		// The runtime's default seccomp profile, as the restricted Pod Security Standard asks.
		SecurityContext: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
	}
	if app.Security != nil {
		ps.SecurityContext.FSGroup = app.Security.FSGroup
	}
	if p := app.EKS.PodSecurity; p != nil {
		psc := ps.SecurityContext
		psc.RunAsUser, psc.RunAsGroup, psc.RunAsNonRoot = p.RunAsUser, p.RunAsGroup, p.RunAsNonRoot
		if p.FSGroup != nil {
			psc.FSGroup = p.FSGroup
		}
	}
	for _, v := range app.Volumes {
		if v.Path != "" {
			main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: v.Path, ReadOnly: v.ReadOnly})
		}
		ps.Volumes = append(ps.Volumes, podVolume(app, v))
	}
	if app.StopGrace != "" {
		ps.TerminationGracePeriodSeconds = ptr.To(int64(spec.Seconds(app.StopGrace)))
	}
	for _, t := range app.EKS.Tolerations {
		ps.Tolerations = append(ps.Tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOperator(t.Operator),
			Value: t.Value, Effect: corev1.TaintEffect(t.Effect), TolerationSeconds: t.Seconds})
	}
	for _, e := range app.EKS.EnvFrom {
		src := corev1.EnvFromSource{Prefix: e.Prefix}
		if e.ConfigMap != "" {
			src.ConfigMapRef = &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: e.ConfigMap}}
		} else {
			src.SecretRef = &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: e.Secret}}
		}
		main.EnvFrom = append(main.EnvFrom, src)
	}
	ps.Containers = append(ps.Containers, main)
	for _, s := range app.Sidecars {
		ps.Containers = append(ps.Containers, sidecarContainer(s, s.CPUMillis(), s.MemoryMiB()))
	}
	for _, s := range app.Init {
		// An init container without a size gets the app container's: never unbounded.
		cpu, mem := mainCPU, mainMem
		if s.CPU != "" {
			cpu = s.CPUMillis()
		}
		if s.Memory != "" {
			mem = s.MemoryMiB()
		}
		ps.InitContainers = append(ps.InitContainers, sidecarContainer(s, cpu, mem))
	}
	return ps
}

// sidecarContainer is a sidecar's (or an init container's) container.
func sidecarContainer(s spec.Sidecar, cpu, mem int64) corev1.Container {
	c := corev1.Container{
		Name: s.Name, Image: s.Image, Command: s.Command, Args: s.Args,
		Resources:       resources(cpu, mem, s.Requests),
		SecurityContext: securityContext(s.Security),
	}
	withEphemeralStorage(&c.Resources, s.Requests, nil)
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: s.Env[k]})
	}
	for _, m := range s.Mounts {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: m.Volume, MountPath: m.Path, ReadOnly: m.ReadOnly})
	}
	for _, p := range s.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: int32(p.Port), Protocol: corev1.Protocol(strings.ToUpper(p.Protocol))})
	}
	if h := s.Health; h != nil {
		c.ReadinessProbe = probe(h, h.Failures)
		if l := h.Liveness; l == nil {
			c.LivenessProbe = probe(h, h.Failures)
			c.LivenessProbe.SuccessThreshold = 0
		} else if !l.Off {
			c.LivenessProbe = probe(l, l.Failures)
		}
	}
	return c
}

// podVolume is the pod's side of a volume: the EFS claim, an emptyDir, or an existing Secret
// or ConfigMap.
func podVolume(app *spec.App, v spec.Volume) corev1.Volume {
	out := corev1.Volume{Name: v.Name}
	switch {
	case v.EFS != nil:
		out.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: volumeName(app, v), ReadOnly: v.ReadOnly}
	case v.Scratch != nil:
		ed := &corev1.EmptyDirVolumeSource{}
		if v.Scratch.Memory {
			ed.Medium = corev1.StorageMediumMemory
		}
		if v.Scratch.SizeLimit != "" {
			n, _ := spec.ParseMemoryBytes(v.Scratch.SizeLimit)
			ed.SizeLimit = resource.NewQuantity(n, resource.BinarySI)
		}
		out.EmptyDir = ed
	case v.Secret != nil:
		out.Secret = &corev1.SecretVolumeSource{SecretName: v.Secret.Name, Items: keyToPaths(v.Secret.Items)}
	case v.ConfigMap != nil:
		out.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap.Name}, Items: keyToPaths(v.ConfigMap.Items)}
	}
	return out
}

// securityContext is the container's: the neutral settings, and never privilege escalation
// (no setuid binary gains more than the container was given), as a careful manifest says.
func securityContext(s *spec.Security) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false)}
	if s == nil {
		return sc
	}
	sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = s.RunAsUser, s.RunAsGroup, s.RunAsNonRoot
	sc.ReadOnlyRootFilesystem = s.ReadOnlyRootFilesystem
	if caps := s.Capabilities; caps != nil && (len(caps.Add) > 0 || len(caps.Drop) > 0) {
		sc.Capabilities = &corev1.Capabilities{}
		for _, c := range caps.Add {
			sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(c))
		}
		for _, c := range caps.Drop {
			sc.Capabilities.Drop = append(sc.Capabilities.Drop, corev1.Capability(c))
		}
	}
	return sc
}

// resources sets limits (never an unbounded container; the pod's total matches the ECS task
// size) and requests: the same amounts unless the spec asks for less.
func resources(cpuMilli, memMiB int64, req *spec.Requests) corev1.ResourceRequirements {
	rl := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(cpuMilli, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(memMiB<<20, resource.BinarySI),
	}
	rq := rl.DeepCopy()
	if req != nil && req.CPU != "" {
		n, _ := spec.ParseCPURequest(req.CPU)
		rq[corev1.ResourceCPU] = *resource.NewMilliQuantity(n, resource.DecimalSI)
	}
	if req != nil && req.Memory != "" {
		n, _ := spec.ParseMemory(req.Memory)
		rq[corev1.ResourceMemory] = *resource.NewQuantity(n<<20, resource.BinarySI)
	}
	return corev1.ResourceRequirements{Requests: rq, Limits: rl}
}

func probe(h *spec.Health, failures int) *corev1.Probe {
	p := &corev1.Probe{
		PeriodSeconds:       int32(spec.Seconds(h.Interval)),
		TimeoutSeconds:      int32(spec.Seconds(h.Timeout)),
		FailureThreshold:    int32(failures),
		InitialDelaySeconds: int32(spec.Seconds(h.InitialDelay)),
	}
	if h.Successes > 1 {
		p.SuccessThreshold = int32(h.Successes)
	}
	port := intstr.FromInt32(int32(h.Port))
	switch {
	case h.Path != "":
		p.HTTPGet = &corev1.HTTPGetAction{Path: h.Path, Port: port}
		for _, k := range slices.Sorted(maps.Keys(h.Headers)) {
			p.HTTPGet.HTTPHeaders = append(p.HTTPGet.HTTPHeaders, corev1.HTTPHeader{Name: k, Value: h.Headers[k]})
		}
	case h.TCP:
		p.TCPSocket = &corev1.TCPSocketAction{Port: port}
	case h.GRPC != nil:
		p.GRPC = &corev1.GRPCAction{Port: int32(h.Port)}
		if h.GRPC.Service != "" {
			p.GRPC.Service = &h.GRPC.Service
		}
	default:
		p.Exec = &corev1.ExecAction{Command: h.Command}
	}
	return p
}

// envVars is eks.env (values Kubernetes supplies) first, then env (plain values) and secrets
// (references), each part sorted by name: env values may refer to eks.env as $(NAME).
func envVars(app *spec.App) []corev1.EnvVar {
	var out []corev1.EnvVar
	for k, v := range app.Env {
		out = append(out, corev1.EnvVar{Name: k, Value: v})
	}
	for k, ref := range app.Secrets {
		name, key := app.Name, k // AWS references arrive through the ExternalSecret's Secret
		if s, ok := strings.CutPrefix(ref, "k8s:"); ok {
			name, key, _ = strings.Cut(s, "/")
		}
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key},
		}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return append(sourcedEnv(app), out...)
}

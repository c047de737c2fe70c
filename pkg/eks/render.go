// Package eks is shipit's Kubernetes (EKS) backend. This file renders a spec into the
// k8s.io/api objects that deploy applies; rendering is pure and needs no cluster.
package eks

import (
	"fmt"
	"math"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Labels and annotations shipit puts on what it creates.
const (
	NameLabel      = "app.kubernetes.io/name"
	ManagedByLabel = "app.kubernetes.io/managed-by"
	RoleAnnotation = "eks.amazonaws.com/role-arn"
	// The ClusterSecretStores used for AWS secret references unless eks.secretStore is set.
	SecretsManagerStore = "aws-secrets-manager"
	ParameterStore      = "aws-parameter-store"
)

// Render maps a validated spec to Kubernetes objects in apply order: Namespace,
// ServiceAccount, ExternalSecret, PersistentVolume/Claim, Deployment, Service, HPA.
func Render(app *spec.App) []runtime.Object {
	hash := app.HashFor(spec.TargetEKS)
	ns := app.EKS.Namespace
	meta := func(name string, namespaced bool) metav1.ObjectMeta {
		m := metav1.ObjectMeta{
			Name:        name,
			Labels:      objectLabels(app),
			Annotations: map[string]string{spec.HashAnnotation: hash},
		}
		if namespaced {
			m.Namespace = ns
		}
		return m
	}
	var objs []runtime.Object
	if ns != spec.DefaultNamespace {
		objs = append(objs, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: meta(ns, false),
		})
	}
	if sa := app.EKS.ServiceAccount; sa != "" && app.EKS.OwnsServiceAccount() {
		m := meta(sa, true)
		if app.Role != "" {
			m.Annotations[RoleAnnotation] = app.Role
		}
		objs = append(objs, &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: m})
	}
	if es := externalSecret(app, meta(app.Name, true)); es != nil {
		objs = append(objs, es)
	}
	for _, v := range app.Volumes {
		if v.EFS == nil {
			continue // scratch, Secret and ConfigMap volumes live in the pod spec only
		}
		pv, pvc := efsVolume(app, v, meta)
		objs = append(objs, pv, pvc)
	}
	objs = append(objs, deployment(app, meta(app.Name, true)))
	if app.Expose != "none" && len(app.ExposedPorts()) > 0 {
		objs = append(objs, service(app, meta(ServiceName(app), true)))
		if app.PublicViaALB() {
			objs = append(objs, ingress(app, meta(app.Name, true)))
		}
	}
	if app.Autoscale != nil {
		objs = append(objs, hpa(app, meta(app.Name, true)))
	}
	return objs
}

// SelectorLabels select the app's pods; they never change, since a Deployment's selector is
// immutable.
func SelectorLabels(app *spec.App) map[string]string {
	if len(app.EKS.Selector) > 0 {
		return copyMap(app.EKS.Selector)
	}
	return map[string]string{NameLabel: app.Name}
}

// ServiceName is the app's Service: eks.serviceName, else the app's name.
func ServiceName(app *spec.App) string {
	if app.EKS.ServiceName != "" {
		return app.EKS.ServiceName
	}
	return app.Name
}

func objectLabels(app *spec.App) map[string]string {
	l := map[string]string{}
	for k, v := range app.Labels {
		l[k] = v
	}
	l[NameLabel] = app.Name
	l[ManagedByLabel] = spec.ManagedBy
	return l
}

func deployment(app *spec.App, meta metav1.ObjectMeta) *appsv1.Deployment {
	// The pods carry the selector's labels too, or an adopted selector would select nothing.
	podLabels := objectLabels(app)
	for k, v := range SelectorLabels(app) {
		podLabels[k] = v
	}
	surge := intstr.FromString(fmt.Sprintf("%d%%", app.MaxSurgePercent()))
	unavail := intstr.FromString(fmt.Sprintf("%d%%", app.MaxUnavailablePercent()))
	deadline := int32(app.RolloutTimeout().Seconds())
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(app)},
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail},
			},
			ProgressDeadlineSeconds: &deadline,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: copyMap(app.EKS.PodAnnotations)},
				Spec:       podSpec(app),
			},
		},
	}
	// With autoscale the HPA owns the replica count: leaving replicas out of what shipit
	// applies means a deploy never resets it.
	if app.Autoscale == nil && app.Replicas != nil {
		n := int32(*app.Replicas)
		d.Spec.Replicas = &n
	}
	return d
}

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
		if h.Grace != "" {
			// The startup probe holds liveness off for `grace`, then hands over.
			main.StartupProbe = probe(h, startupFailures(spec.Seconds(h.Grace), spec.Seconds(h.Interval)))
		}
	}
	ps := corev1.PodSpec{
		ServiceAccountName: app.EKS.ServiceAccount,
		NodeSelector:       copyMap(app.EKS.NodeSelector),
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
		ps.TerminationGracePeriodSeconds = ptr(int64(spec.Seconds(app.StopGrace)))
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
	for _, k := range sortedKeys(s.Env) {
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
		out.Secret = &corev1.SecretVolumeSource{SecretName: v.Secret.Name}
	case v.ConfigMap != nil:
		out.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap.Name}}
	}
	return out
}

// securityContext is the container's: the neutral settings, and never privilege escalation
// (no setuid binary gains more than the container was given), as a careful manifest says.
func securityContext(s *spec.Security) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false)}
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

// startupFailures is the startup probe's failureThreshold that gives a container at least
// `grace` seconds: probes run at 0, p, 2p, …, so n failures kill it at (n-1)·p, and n-1 must
// cover the grace period. Clamped to int32, where the API stores it.
func startupFailures(grace, period int) int {
	if period <= 0 {
		return 1
	}
	n := int64(grace+period-1)/int64(period) + 1
	return int(min(n, math.MaxInt32))
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
		for _, k := range sortedKeys(h.Headers) {
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

// envVars is env (plain values) and secrets (references), sorted by name.
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
	return out
}

func service(app *spec.App, meta metav1.ObjectMeta) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: SelectorLabels(app)},
	}
	for _, p := range app.ExposedPorts() {
		port := p.Port
		if p.ServicePort != 0 {
			port = p.ServicePort
		}
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
			Name: p.Name, Port: int32(port), TargetPort: intstr.FromString(p.Name),
			Protocol: corev1.Protocol(strings.ToUpper(p.Protocol)),
		})
	}
	for k, v := range app.EKS.ServiceAnnotations {
		svc.Annotations[k] = v
	}
	if app.Expose == "public" && !app.PublicViaALB() {
		// An internet-facing NLB by the AWS Load Balancer Controller, targeting pod IPs.
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		svc.Annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = "external"
		svc.Annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] = "ip"
		svc.Annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] = "internet-facing"
	}
	return svc
}

// ingress puts an ALB of the AWS Load Balancer Controller (IngressClass alb) in front of the
// app's ClusterIP Service, targeting pod IPs, checking health.path, with TLS when a
// certificate is given.
func ingress(app *spec.App, meta metav1.ObjectMeta) *networkingv1.Ingress {
	p, _ := app.HTTPPort()
	port := p.Port
	if p.ServicePort != 0 {
		port = p.ServicePort
	}
	const ann = "alb.ingress.kubernetes.io/"
	scheme := "internet-facing"
	if in := app.EKS.Ingress; in != nil && in.Scheme != "" {
		scheme = in.Scheme
	}
	meta.Annotations[ann+"scheme"] = scheme
	meta.Annotations[ann+"target-type"] = "ip"
	if h := app.Health; h != nil && h.Path != "" {
		meta.Annotations[ann+"healthcheck-path"] = h.Path
	}
	class := "alb"
	prefix := networkingv1.PathTypePrefix
	rule := networkingv1.IngressRule{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
		Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: ServiceName(app), Port: networkingv1.ServiceBackendPort{Number: int32(port)}},
		}}},
	}}}
	if in := app.EKS.Ingress; in != nil {
		rule.Host = in.Host
		if in.CertificateARN != "" {
			meta.Annotations[ann+"certificate-arn"] = in.CertificateARN
			meta.Annotations[ann+"listen-ports"] = `[{"HTTP": 80}, {"HTTPS": 443}]`
			meta.Annotations[ann+"ssl-redirect"] = "443"
		}
	}
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: meta,
		Spec:       networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{rule}},
	}
}

func hpa(app *spec.App, meta metav1.ObjectMeta) *autoscalingv2.HorizontalPodAutoscaler {
	as := app.Autoscale
	minR := int32(as.Min)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: meta,
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: app.Name},
			MinReplicas:    &minR,
			MaxReplicas:    int32(as.Max),
		},
	}
	add := func(name corev1.ResourceName, pct int) {
		if pct == 0 {
			return
		}
		v := int32(pct)
		h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: name, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v,
			}},
		})
	}
	add(corev1.ResourceCPU, as.CPU)
	add(corev1.ResourceMemory, as.Memory)
	return h
}

func volumeName(app *spec.App, v spec.Volume) string { return app.Name + "-" + v.Name }

// efsVolume statically provisions an EFS file system (or access point) through the EFS CSI
// driver: a PersistentVolume bound to one claim in the app's namespace.
func efsVolume(app *spec.App, v spec.Volume, meta func(string, bool) metav1.ObjectMeta) (*corev1.PersistentVolume, *corev1.PersistentVolumeClaim) {
	name := volumeName(app, v)
	if app.EKS.Namespace != spec.DefaultNamespace {
		name = app.EKS.Namespace + "-" + name // PVs are cluster-wide
	}
	handle := v.EFS.FileSystem
	if v.EFS.AccessPoint != "" {
		handle += "::" + v.EFS.AccessPoint
	}
	// EFS is elastic; Kubernetes still wants a capacity, which the driver ignores.
	capacity := corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}
	empty := ""
	pv := &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: meta(name, false),
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      capacity,
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "efs.csi.aws.com", VolumeHandle: handle,
			}},
			ClaimRef: &corev1.ObjectReference{Namespace: app.EKS.Namespace, Name: volumeName(app, v)},
		},
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: meta(volumeName(app, v), true),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: &empty,
			VolumeName:       name,
			Resources:        corev1.VolumeResourceRequirements{Requests: capacity},
		},
	}
	return pv, pvc
}

// externalSecret feeds AWS secret references into a Secret named after the app, through the
// External Secrets Operator (external-secrets.io/v1). Each kind of reference goes to its own
// ClusterSecretStore: Secrets Manager to eks.secretStore, SSM to eks.parameterStore.
func externalSecret(app *spec.App, meta metav1.ObjectMeta) *unstructured.Unstructured {
	var data []any
	smStore, ssmStore := app.EKS.SecretStore, app.EKS.ParameterStore
	if smStore == "" {
		smStore = SecretsManagerStore
	}
	if ssmStore == "" {
		ssmStore = ParameterStore
	}
	for _, k := range sortedKeys(app.Secrets) {
		ref := spec.ParseSecretRef(app.Secrets[k])
		var remote map[string]any
		item := map[string]any{"secretKey": k}
		switch ref.Kind {
		case spec.SecretsManager:
			// ECS's ARN:json-key:version-stage:version-id suffix is ESO's property and version
			// (a version id is written uuid/<id>).
			remote = map[string]any{"key": ref.SecretARN}
			if ref.JSONKey != "" {
				remote["property"] = ref.JSONKey
			}
			switch {
			case ref.VersionID != "":
				remote["version"] = "uuid/" + ref.VersionID
			case ref.VersionStage != "":
				remote["version"] = ref.VersionStage
			}
		case spec.SSMParameter:
			// The parameter store provider takes the parameter's name, not its ARN.
			remote = map[string]any{"key": ref.Parameter}
			item["sourceRef"] = map[string]any{"storeRef": map[string]any{"kind": "ClusterSecretStore", "name": ssmStore}}
		default:
			continue
		}
		item["remoteRef"] = remote
		data = append(data, item)
	}
	if len(data) == 0 {
		return nil
	}
	labels := map[string]any{}
	for k, v := range meta.Labels {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1",
		"kind":       "ExternalSecret",
		"metadata": map[string]any{
			"name": meta.Name, "namespace": meta.Namespace, "labels": labels,
			"annotations": map[string]any{spec.HashAnnotation: meta.Annotations[spec.HashAnnotation]},
		},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": smStore},
			"target":          map[string]any{"name": app.Name, "creationPolicy": "Owner"},
			"data":            data,
		},
	}}
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package eks

import (
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Kubernetes' defaults for the kinds `shipit import` reads, written out from the API server's
// defaulting functions (k8s.io/kubernetes pkg/apis/apps/v1, core/v1 and autoscaling/v2
// defaults.go, and the +default markers of k8s.io/api/core/v1). Only the fields the API
// server fills when a request leaves them out are here, each with the value it fills; a value
// it allocates (a cluster IP, a node port) is StripServerFields' business.
//
// FillDefaults writes them into an object, as the API server does on create. StripDefaults
// removes every field that holds exactly its default, so that an object read back from a
// cluster looks like the manifest that made it. Both are exact inverses on the fields listed:
// FillDefaults(StripDefaults(x)) == FillDefaults(x), and so an apply of the stripped object
// gives the same live object.
//
// What is deliberately not here: requests defaulted from limits and resizePolicy, which the API
// server fills on Pods only, never on a Deployment's pod template; enableServiceLinks, likewise
// Pod only; admission plugins (a default IngressClass, a LimitRange), which change live state
// rather than default a field, and so are carried as the app's own settings.

// FillDefaults fills, in place, the fields the API server would default.
func FillDefaults(o runtime.Object) { defaulter{}.object(o) }

// StripDefaults clears, in place, the fields that hold the API server's default.
func StripDefaults(o runtime.Object) { defaulter{strip: true}.object(o) }

// defaulter fills (strip false) or strips (strip true) one default at a time.
type defaulter struct{ strip bool }

func (d defaulter) object(o runtime.Object) {
	switch x := o.(type) {
	case *appsv1.Deployment:
		d.deployment(x)
	case *corev1.Service:
		d.service(x)
	case *autoscalingv2.HorizontalPodAutoscaler:
		d.hpa(x)
	}
}

func defStr[T ~string](d defaulter, p *T, v T) {
	switch {
	case d.strip && *p == v:
		*p = ""
	case !d.strip && *p == "":
		*p = v
	}
}

func defPtr[T comparable](d defaulter, p **T, v T) {
	switch {
	case d.strip && *p != nil && **p == v:
		*p = nil
	case !d.strip && *p == nil:
		*p = ptr.To(v)
	}
}

// num is a non-pointer number whose zero means unset (a probe's timeoutSeconds).
func (d defaulter) num(p *int32, v int32) {
	switch {
	case d.strip && *p == v:
		*p = 0
	case !d.strip && *p == 0:
		*p = v
	}
}

func (d defaulter) deployment(o *appsv1.Deployment) {
	s := &o.Spec
	defPtr(d, &s.Replicas, 1)
	st := &s.Strategy
	quarter := intstr.FromString("25%")
	if d.strip {
		if st.Type == appsv1.RollingUpdateDeploymentStrategyType {
			if ru := st.RollingUpdate; ru != nil {
				defPtr(d, &ru.MaxUnavailable, quarter)
				defPtr(d, &ru.MaxSurge, quarter)
				if ru.MaxUnavailable == nil && ru.MaxSurge == nil {
					st.RollingUpdate = nil
				}
			}
			st.Type = ""
		}
	} else {
		if st.Type == "" {
			st.Type = appsv1.RollingUpdateDeploymentStrategyType
		}
		if st.Type == appsv1.RollingUpdateDeploymentStrategyType {
			if st.RollingUpdate == nil {
				st.RollingUpdate = &appsv1.RollingUpdateDeployment{}
			}
			defPtr(d, &st.RollingUpdate.MaxUnavailable, quarter)
			defPtr(d, &st.RollingUpdate.MaxSurge, quarter)
		}
	}
	defPtr(d, &s.RevisionHistoryLimit, 10)
	defPtr(d, &s.ProgressDeadlineSeconds, 600)
	d.podSpec(&s.Template.Spec)
}

func (d defaulter) podSpec(ps *corev1.PodSpec) {
	defStr(d, &ps.DNSPolicy, corev1.DNSClusterFirst)
	defStr(d, &ps.RestartPolicy, corev1.RestartPolicyAlways)
	switch {
	case d.strip && ps.SecurityContext != nil && reflect.DeepEqual(*ps.SecurityContext, corev1.PodSecurityContext{}):
		ps.SecurityContext = nil
	case !d.strip && ps.SecurityContext == nil:
		ps.SecurityContext = &corev1.PodSecurityContext{}
	}
	defPtr(d, &ps.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)
	defStr(d, &ps.SchedulerName, corev1.DefaultSchedulerName)
	// The API keeps the deprecated serviceAccount equal to serviceAccountName.
	switch {
	case d.strip && ps.DeprecatedServiceAccount == ps.ServiceAccountName:
		ps.DeprecatedServiceAccount = ""
	case !d.strip && ps.ServiceAccountName == "":
		ps.ServiceAccountName = ps.DeprecatedServiceAccount
	case !d.strip:
		ps.DeprecatedServiceAccount = ps.ServiceAccountName
	}
	for i := range ps.Volumes {
		d.volume(&ps.Volumes[i])
	}
	for _, cs := range []*[]corev1.Container{&ps.InitContainers, &ps.Containers} {
		for i := range *cs {
			d.container(&(*cs)[i], ps.HostNetwork)
		}
	}
}

func (d defaulter) container(c *corev1.Container, hostNetwork bool) {
	defStr(d, &c.ImagePullPolicy, defaultPullPolicy(c.Image))
	defStr(d, &c.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	defStr(d, &c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	for i := range c.Ports {
		p := &c.Ports[i]
		defStr(d, &p.Protocol, corev1.ProtocolTCP)
		if hostNetwork {
			// With host networking every container port is a host port.
			d.num(&p.HostPort, p.ContainerPort)
		}
	}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		if pr == nil {
			continue
		}
		d.num(&pr.TimeoutSeconds, 1)
		d.num(&pr.PeriodSeconds, 10)
		d.num(&pr.SuccessThreshold, 1)
		d.num(&pr.FailureThreshold, 3)
		d.handler(&pr.ProbeHandler.HTTPGet)
		if g := pr.GRPC; g != nil {
			defPtr(d, &g.Service, "") // +default="" in k8s.io/api
		}
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				d.handler(&h.HTTPGet)
			}
		}
	}
	for i := range c.Env {
		if v := c.Env[i].ValueFrom; v != nil && v.FieldRef != nil {
			defStr(d, &v.FieldRef.APIVersion, "v1")
		}
	}
}

func (d defaulter) handler(h **corev1.HTTPGetAction) {
	if *h == nil {
		return
	}
	defStr(d, &(*h).Path, "/")
	defStr(d, &(*h).Scheme, corev1.URISchemeHTTP)
}

// defaultPullPolicy is the API server's: Always for the tag latest (which an image without a
// tag or digest has), IfNotPresent otherwise.
func defaultPullPolicy(image string) corev1.PullPolicy {
	ref := image
	digest := false
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], true
	}
	tag := ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		tag = ref[i+1:]
	}
	if tag == "latest" || (tag == "" && !digest) {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func (d defaulter) volume(v *corev1.Volume) {
	src := &v.VolumeSource
	if !d.strip && reflect.DeepEqual(*src, corev1.VolumeSource{}) {
		src.EmptyDir = &corev1.EmptyDirVolumeSource{} // a volume without a source is an emptyDir
	}
	if s := src.Secret; s != nil {
		defPtr(d, &s.DefaultMode, corev1.SecretVolumeSourceDefaultMode)
	}
	if c := src.ConfigMap; c != nil {
		defPtr(d, &c.DefaultMode, corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if da := src.DownwardAPI; da != nil {
		defPtr(d, &da.DefaultMode, corev1.DownwardAPIVolumeSourceDefaultMode)
		d.downwardItems(da.Items)
	}
	if p := src.Projected; p != nil {
		defPtr(d, &p.DefaultMode, corev1.ProjectedVolumeSourceDefaultMode)
		for i := range p.Sources {
			if t := p.Sources[i].ServiceAccountToken; t != nil {
				defPtr(d, &t.ExpirationSeconds, 3600)
			}
			if da := p.Sources[i].DownwardAPI; da != nil {
				d.downwardItems(da.Items)
			}
		}
	}
	if h := src.HostPath; h != nil {
		defPtr(d, &h.Type, corev1.HostPathUnset)
	}
	if e := src.Ephemeral; e != nil && e.VolumeClaimTemplate != nil {
		defPtr(d, &e.VolumeClaimTemplate.Spec.VolumeMode, corev1.PersistentVolumeFilesystem)
	}
}

func (d defaulter) downwardItems(items []corev1.DownwardAPIVolumeFile) {
	for i := range items {
		if f := items[i].FieldRef; f != nil {
			defStr(d, &f.APIVersion, "v1")
		}
	}
}

func (d defaulter) service(o *corev1.Service) {
	s := &o.Spec
	defStr(d, &s.SessionAffinity, corev1.ServiceAffinityNone)
	if s.SessionAffinity == corev1.ServiceAffinityClientIP {
		switch {
		case d.strip && s.SessionAffinityConfig != nil && s.SessionAffinityConfig.ClientIP != nil &&
			ptr.Deref(s.SessionAffinityConfig.ClientIP.TimeoutSeconds, 0) == corev1.DefaultClientIPServiceAffinitySeconds:
			s.SessionAffinityConfig = nil
		case !d.strip && (s.SessionAffinityConfig == nil || s.SessionAffinityConfig.ClientIP == nil || s.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil):
			s.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)}}
		}
	}
	defStr(d, &s.Type, corev1.ServiceTypeClusterIP)
	effective := s.Type
	if effective == "" {
		effective = corev1.ServiceTypeClusterIP
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		defStr(d, &p.Protocol, corev1.ProtocolTCP)
		// An unset targetPort is the port itself. It is filled, never stripped: the typed
		// object cannot leave it out (it prints 0), and the port it sends to reads better
		// said.
		if !d.strip && (p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("")) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if effective == corev1.ServiceTypeNodePort || effective == corev1.ServiceTypeLoadBalancer || len(s.ExternalIPs) > 0 {
		defStr(d, &s.ExternalTrafficPolicy, corev1.ServiceExternalTrafficPolicyCluster)
	}
	switch effective {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		defPtr(d, &s.InternalTrafficPolicy, corev1.ServiceInternalTrafficPolicyCluster)
	}
	if effective == corev1.ServiceTypeLoadBalancer {
		defPtr(d, &s.AllocateLoadBalancerNodePorts, true)
	}
}

// The HorizontalPodAutoscaler's scaling rules when behavior is set (autoscaling/v2 defaults).
var (
	defaultScaleUp = autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	defaultScaleDown = autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies:     []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
	// An HPA without metrics scales on 80 % CPU.
	defaultMetrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](80)},
	}}}
)

func (d defaulter) hpa(o *autoscalingv2.HorizontalPodAutoscaler) {
	s := &o.Spec
	defPtr(d, &s.MinReplicas, 1)
	switch {
	case d.strip && reflect.DeepEqual(s.Metrics, defaultMetrics):
		s.Metrics = nil
	case !d.strip && len(s.Metrics) == 0:
		s.Metrics = []autoscalingv2.MetricSpec{*defaultMetrics[0].DeepCopy()}
	}
	if b := s.Behavior; b != nil {
		b.ScaleUp = d.rules(b.ScaleUp, defaultScaleUp)
		b.ScaleDown = d.rules(b.ScaleDown, defaultScaleDown)
	}
}

// rules fills or strips one direction's scaling rules field by field, as the API server's
// GenerateHPAScale{Up,Down}Rules fill them.
func (d defaulter) rules(r *autoscalingv2.HPAScalingRules, def autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if !d.strip {
		out := def.DeepCopy()
		if r == nil {
			return out
		}
		if r.SelectPolicy != nil {
			out.SelectPolicy = r.SelectPolicy
		}
		if r.StabilizationWindowSeconds != nil {
			out.StabilizationWindowSeconds = r.StabilizationWindowSeconds
		}
		if r.Policies != nil {
			out.Policies = r.Policies
		}
		out.Tolerance = r.Tolerance
		return out
	}
	if r == nil {
		return nil
	}
	if r.SelectPolicy != nil && def.SelectPolicy != nil && *r.SelectPolicy == *def.SelectPolicy {
		r.SelectPolicy = nil
	}
	if r.StabilizationWindowSeconds != nil && def.StabilizationWindowSeconds != nil && *r.StabilizationWindowSeconds == *def.StabilizationWindowSeconds {
		r.StabilizationWindowSeconds = nil
	}
	if reflect.DeepEqual(r.Policies, def.Policies) {
		r.Policies = nil
	}
	if reflect.DeepEqual(*r, autoscalingv2.HPAScalingRules{}) {
		return nil
	}
	return r
}

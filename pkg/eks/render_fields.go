package eks

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// What real Kubernetes apps say beyond the basics: env Kubernetes supplies, a Secret or
// ConfigMap volume's items, ephemeral storage, a startup probe of its own, and the second,
// public Service. Rendering is pure, like the rest of render.go.

// sourcedEnv is eks.env, sorted by name: the downward API and single ConfigMap or Secret keys.
// It comes before env and secrets, so their values can use it as $(NAME).
func sourcedEnv(app *spec.App) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(app.EKS.Env)) {
		e := app.EKS.Env[k]
		src := &corev1.EnvVarSource{}
		var optional *bool
		if e.Optional {
			optional = ptr.To(true)
		}
		switch {
		case e.Field != "":
			src.FieldRef = &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: e.Field}
		case e.ConfigMap != "":
			src.ConfigMapKeyRef = &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: e.ConfigMap}, Key: e.Key, Optional: optional}
		default:
			src.SecretKeyRef = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: e.Secret}, Key: e.Key, Optional: optional}
		}
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: src})
	}
	return out
}

// withEphemeralStorage adds requests.ephemeralStorage and limits.ephemeralStorage.
func withEphemeralStorage(r *corev1.ResourceRequirements, req, lim *spec.Requests) {
	set := func(l corev1.ResourceList, from *spec.Requests) {
		if from == nil || from.EphemeralStorage == "" {
			return
		}
		if q, err := resource.ParseQuantity(from.EphemeralStorage); err == nil {
			l[corev1.ResourceEphemeralStorage] = q
		}
	}
	if r.Requests == nil {
		r.Requests = corev1.ResourceList{}
	}
	if r.Limits == nil {
		r.Limits = corev1.ResourceList{}
	}
	set(r.Requests, req)
	set(r.Limits, lim)
}

// keyToPaths are a Secret or ConfigMap volume's items.
func keyToPaths(items []spec.KeyToPath) []corev1.KeyToPath {
	var out []corev1.KeyToPath
	for _, it := range items {
		k := corev1.KeyToPath{Key: it.Key, Path: it.Path}
		if it.Mode != nil {
			k.Mode = ptr.To(int32(*it.Mode))
		}
		out = append(out, k)
	}
	return out
}

// startupProbe is health.startup's own check; else, with grace, the readiness check for as
// long as grace says, handing over to liveness after; else none.
func startupProbe(h *spec.Health) *corev1.Probe {
	switch {
	case h.Startup != nil:
		return probe(h.Startup, h.Startup.Failures)
	case h.Grace != "":
		return probe(h, spec.StartupFailures(spec.Seconds(h.Grace), spec.Seconds(h.Interval)))
	}
	return nil
}

// publicService is the second Service of a public app (eks.publicService): a LoadBalancer
// with an internet-facing NLB of the AWS Load Balancer Controller, targeting pod IPs, with the
// same ports as the app's Service.
func publicService(app *spec.App, meta func(string, bool) metav1.ObjectMeta) *corev1.Service {
	ps := app.EKS.PublicService
	if ps == nil || app.Expose != "public" || app.PublicViaALB() {
		return nil
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(ps.Name, true),
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: SelectorLabels(app), Ports: servicePorts(app, false)},
	}
	nlbAnnotations(svc.Annotations)
	for k, v := range ps.Annotations {
		svc.Annotations[k] = v
	}
	return svc
}

// nlbAnnotations ask the AWS Load Balancer Controller for an internet-facing NLB that targets
// pod IPs.
func nlbAnnotations(a map[string]string) {
	maps.Copy(a, NLBAnnotations())
}

// NLBAnnotations are the annotations shipit puts on a public LoadBalancer Service.
func NLBAnnotations() map[string]string {
	return map[string]string{
		"service.beta.kubernetes.io/aws-load-balancer-type":            "external",
		"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
		"service.beta.kubernetes.io/aws-load-balancer-scheme":          "internet-facing",
	}
}

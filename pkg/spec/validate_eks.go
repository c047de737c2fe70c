package spec

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var acmARN = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$`)

// eks checks what Kubernetes needs beyond the common rules, with apimachinery's own
// validation functions so shipit is never stricter or looser than the API server.
func (c *checker) eks() {
	a := c.app
	c.eksPatches()
	c.ecsOnly()
	if as := a.Autoscale; as != nil && as.Requests > 0 {
		if as.CPU == 0 && as.Memory == 0 {
			c.errorf("autoscale.requests", "add autoscale.cpu or memory for Kubernetes, or move requests under environments for ECS only",
				"Kubernetes' HorizontalPodAutoscaler has no load balancer request count without a metrics adapter, and nothing else to scale on")
		} else {
			c.warnf("autoscale.requests", "scale on cpu or memory on Kubernetes, or serve the ALB's request count through a metrics adapter",
				"Kubernetes' HorizontalPodAutoscaler has no load balancer request count without a metrics adapter: it is ignored on EKS")
		}
	}
	if a.ECS.ServiceConnect != nil {
		c.warnf("ecs.serviceConnect", "call the app by its Service's name (<service>.<namespace>.svc) on Kubernetes",
			"Service Connect is ECS-only: on Kubernetes the app's Service already gives it a DNS name, and the client aliases are not created")
	}
	if a.EKS.Cluster != "" && a.EKS.Context != "" {
		c.errorf("eks.context", "keep one of eks.cluster and eks.context", "eks.cluster and eks.context both say how to reach the cluster")
	}
	if a.MainCPUMillis() <= 0 || a.MainMemoryMiB() <= 0 {
		c.errorf("cpu", "", "no CPU or memory left for the app container")
	}
	if !a.EKS.OwnsServiceAccount() {
		switch {
		case a.EKS.ServiceAccount == "":
			c.errorf("eks.createServiceAccount", "add eks.serviceAccount: <the existing account's name>", "createServiceAccount: false needs the name of the existing ServiceAccount")
		case a.Role != "":
			c.warnf("role", "annotate it: eks.amazonaws.com/role-arn: "+clip(a.Role),
				"shipit does not change the existing ServiceAccount %s: the role reaches the pods only if that account carries the annotation", a.EKS.ServiceAccount)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			c.errorf("labels."+k, "e.g. team or example.com/team", "%q is not a Kubernetes label key: %s", clip(k), errs[0])
		}
		if errs := validation.IsValidLabelValue(a.Labels[k]); len(errs) > 0 {
			c.errorf("labels."+k, "try "+suggestLabel(a.Labels[k]), "%q is not a Kubernetes label value: %s", clip(a.Labels[k]), errs[0])
		}
	}
	if n := a.ContainerName; n != "" {
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			c.errorf("containerName", "rename it "+suggestLabel(n), "%q is not a Kubernetes container name: %s", clip(n), errs[0])
		}
	}
	if n := a.EKS.ServiceName; n != "" {
		if errs := validation.IsDNS1035Label(n); len(errs) > 0 {
			c.errorf("eks.serviceName", "", "%q is not a Kubernetes Service name: %s", clip(n), errs[0])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.EKS.Selector)) {
		v := a.EKS.Selector[k]
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			c.errorf("eks.selector."+k, "", "%q: %q is not a Kubernetes label: %s", clip(k), clip(v), errs[0])
		} else if l, ok := a.Labels[k]; ok && l != v {
			c.errorf("eks.selector."+k, "keep one value for the label", "the selector wants %s=%s but labels say %s", clip(k), clip(v), clip(l))
		}
	}
	for i, s := range a.Sidecars {
		if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
			fix := "rename it " + suggestLabel(s.Name)
			msg := "%q is not a Kubernetes container name: %s"
			if ecsContainerName.MatchString(s.Name) {
				msg = "%q is a valid ECS container name but not a Kubernetes one: %s"
			}
			c.errorf(indexPath("sidecars", i)+".name", fix, msg, clip(s.Name), errs[0])
		}
	}
	c.sidecarLimits()
	c.eksFields()
	c.eksSched()
	if ps := a.EKS.PodSecurity; ps != nil {
		if ps.ReadOnlyRootFilesystem != nil || ps.Capabilities != nil {
			c.errorf("eks.podSecurity", "set readOnlyRootFilesystem and capabilities in security: (per container)", "a pod's securityContext has no readOnlyRootFilesystem or capabilities")
		}
		for _, id := range []struct {
			f string
			v *int64
		}{{"runAsUser", ps.RunAsUser}, {"runAsGroup", ps.RunAsGroup}, {"fsGroup", ps.FSGroup}} {
			if id.v != nil && (*id.v < 0 || *id.v > maxInt32) {
				c.errorf("eks.podSecurity."+id.f, "", "%d is not a user or group id (0–%d)", *id.v, maxInt32)
			}
		}
	}
	switch a.EKS.PublicVia {
	case "", "nlb":
	case "alb":
		if _, ok := a.HTTPPort(); !ok && a.Expose == "public" {
			c.errorf("eks.publicVia", "name the HTTP port http (or https), or use publicVia: nlb", "an ALB routes HTTP: no exposed port is HTTP")
		}
	default:
		c.errorf("eks.publicVia", "use alb or nlb", "%q is not a way to reach a public app", clip(a.EKS.PublicVia))
	}
	if in := a.EKS.Ingress; in != nil {
		if !a.PublicViaALB() {
			c.warnf("eks.ingress", "set expose: public (and an HTTP port), or drop eks.ingress", "no ALB Ingress is rendered, so these settings are not used")
		}
		if in.Host != "" && len(validation.IsWildcardDNS1123Subdomain(in.Host)) > 0 && len(validation.IsDNS1123Subdomain(in.Host)) > 0 {
			c.errorf("eks.ingress.host", "", "%q is not a host name", clip(in.Host))
		}
		if in.CertificateARN != "" && !acmARN.MatchString(in.CertificateARN) {
			c.errorf("eks.ingress.certificateArn", "use arn:aws:acm:<region>:<account>:certificate/<id>", "%q is not an ACM certificate ARN", clip(in.CertificateARN))
		}
		switch in.Scheme {
		case "", "internet-facing", "internal":
		default:
			c.errorf("eks.ingress.scheme", "use internet-facing or internal", "%q is not an ALB scheme", clip(in.Scheme))
		}
	}
	for i, s := range a.Init {
		if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
			c.errorf(indexPath("init", i)+".name", "rename it "+suggestLabel(s.Name), "%q is not a Kubernetes container name: %s", clip(s.Name), errs[0])
		}
	}
	if len(a.DependsOn) > 0 {
		c.warnf("dependsOn", "use init: for steps that must finish first",
			"Kubernetes starts a pod's containers together: dependsOn orders start-up on ECS only")
	}
	for i, s := range a.Sidecars {
		if len(s.DependsOn) > 0 {
			c.warnf(indexPath("sidecars", i)+".dependsOn", "use init: for steps that must finish first",
				"Kubernetes starts a pod's containers together: dependsOn orders start-up on ECS only")
		}
		if s.FireLens != nil {
			c.warnf(indexPath("sidecars", i)+".firelens", "", "FireLens is ECS's: on Kubernetes the router is an ordinary container, and the app logs to stdout")
		}
	}
	for i, v := range a.Volumes {
		for _, src := range []struct {
			f string
			s *FileSource
		}{{"secret", v.Secret}, {"configMap", v.ConfigMap}} {
			if src.s != nil && src.s.Name != "" && len(validation.IsDNS1123Subdomain(src.s.Name)) > 0 {
				c.errorf(indexPath("volumes", i)+"."+src.f+".name", "", "%q is not a Kubernetes object name (DNS-1123 subdomain)", clip(src.s.Name))
			}
		}
	}
	for _, ann := range []struct {
		f string
		m map[string]string
	}{{"eks.podAnnotations", a.EKS.PodAnnotations}, {"eks.serviceAnnotations", a.EKS.ServiceAnnotations}} {
		for _, e := range apivalidation.ValidateAnnotations(ann.m, field.NewPath(ann.f)) {
			at := e.Field
			if k, ok := e.BadValue.(string); ok {
				if _, isKey := ann.m[k]; isKey {
					at += "." + k // point at the key, not the whole map
				}
			}
			c.errorf(at, "", "%s", e.ErrorBody())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.EKS.NodeSelector)) {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(a.EKS.NodeSelector[k])...); len(errs) > 0 {
			c.errorf("eks.nodeSelector."+k, "", "not a Kubernetes label: %s", errs[0])
		}
	}
	for i, t := range a.EKS.Tolerations {
		f := indexPath("eks.tolerations", i)
		switch t.Operator {
		case "", "Equal":
		case "Exists":
			if t.Value != "" {
				c.errorf(f+".value", "drop value, or use operator: Equal", "operator Exists takes no value")
			}
		default:
			c.errorf(f+".operator", "use Equal or Exists", "%q is not a toleration operator", clip(t.Operator))
		}
		switch t.Effect {
		case "", "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			c.errorf(f+".effect", "use NoSchedule, PreferNoSchedule or NoExecute", "%q is not a taint effect", clip(t.Effect))
		}
		if t.Seconds != nil && t.Effect != "NoExecute" {
			c.errorf(f+".seconds", "set effect: NoExecute", "seconds (tolerationSeconds) applies only to NoExecute")
		}
	}
	for i, e := range a.EKS.EnvFrom {
		f := indexPath("eks.envFrom", i)
		name := e.ConfigMap + e.Secret
		if (e.ConfigMap == "") == (e.Secret == "") {
			c.errorf(f, "give one of configMap: or secret:", "names exactly one ConfigMap or Secret")
		} else if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			c.errorf(f, "", "%q is not a Kubernetes object name: %s", clip(name), errs[0])
		}
	}
	for i, p := range a.Ports {
		if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
			c.errorf(indexPath("ports", i)+".name", "e.g. http or grpc-api", "%q is not a Kubernetes port name: %s", clip(p.Name), strings.Join(errs, "; "))
		}
	}
}

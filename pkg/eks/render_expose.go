package eks

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// How callers reach the app: its Service, and the ALB Ingress of a public HTTP app.

func service(app *spec.App, meta metav1.ObjectMeta) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: SelectorLabels(app)},
	}
	if app.EKS.ServiceType == "NodePort" {
		svc.Spec.Type = corev1.ServiceTypeNodePort
	}
	svc.Spec.Ports = servicePorts(app, svc.Spec.Type == corev1.ServiceTypeNodePort)
	for k, v := range app.EKS.ServiceAnnotations {
		svc.Annotations[k] = v
	}
	if app.Expose == "public" && !app.PublicViaALB() && app.EKS.PublicService == nil {
		// An internet-facing NLB by the AWS Load Balancer Controller, targeting pod IPs (with
		// eks.publicService, on a Service of its own).
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		nlbAnnotations(svc.Annotations)
	}
	return svc
}

// servicePorts are the exposed ports as a Service's: the service port (default the container
// port) under servicePortName (default the port's name), to the container port by name, and
// the fixed node port of a NodePort Service.
func servicePorts(app *spec.App, nodePorts bool) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range app.ExposedPorts() {
		port, name := p.Port, p.Name
		if p.ServicePort != 0 {
			port = p.ServicePort
		}
		if p.ServicePortName != "" {
			name = p.ServicePortName
		}
		sp := corev1.ServicePort{
			Name: name, Port: int32(port), TargetPort: intstr.FromString(p.Name),
			Protocol: corev1.Protocol(strings.ToUpper(p.Protocol)),
		}
		if nodePorts {
			sp.NodePort = int32(p.NodePort)
		}
		out = append(out, sp)
	}
	return out
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

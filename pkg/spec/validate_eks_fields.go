// This file holds the checks of the Kubernetes-only fields real apps needed (env from the
// downward API and single keys, volume items, ephemeral storage, startup probes, Service port
// names, NodePort, a second public Service), each following apimachinery's rules.

package spec

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The fields real Kubernetes apps use beyond the basics: env from the downward API and from
// single ConfigMap or Secret keys, a Secret or ConfigMap volume's items, ephemeral storage per
// container, a startup check of its own, the Service's port names, node ports and a second,
// public Service. Each follows the API server's own rules (k8s.io/kubernetes
// pkg/apis/core/validation), never stricter or looser.

// envFieldPaths are the pod fields Kubernetes lets env read (fieldRef.fieldPath); labels and
// annotations only one key at a time, as metadata.labels['key'].
var envFieldPaths = map[string]bool{
	"metadata.name": true, "metadata.namespace": true, "metadata.uid": true,
	"spec.nodeName": true, "spec.serviceAccountName": true,
	"status.hostIP": true, "status.hostIPs": true, "status.podIP": true, "status.podIPs": true,
}

const envFieldList = "metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s), metadata.labels['key'] or metadata.annotations['key']"

// The default service-node-port-range of kube-apiserver.
const (
	minNodePort = 30000
	maxNodePort = 32767
)

// startup checks health.startup: one check of its own, and grace or failures (not both) for
// how long it may fail.
func (c *checker) startup() {
	h := c.app.Health
	if h == nil {
		return
	}
	if l := h.Liveness; l != nil && l.Startup != nil {
		c.errorf("health.liveness.startup", "set startup on health itself", "a liveness check has no startup check of its own")
	}
	s := h.Startup
	if s == nil {
		return
	}
	const f = "health.startup"
	if s.Off {
		c.errorf(f+".off", "drop health.startup to have no startup check of its own", "off turns liveness off; a startup check is on when it is written")
	}
	c.check(f, s, c.app.Ports, "app")
	if s.Grace != "" || s.Liveness != nil || s.Startup != nil {
		c.errorf(f, "set grace and liveness on health itself", "a startup check has no grace, liveness or startup of its own")
	}
	if s.Successes > 1 {
		c.errorf(f+".successes", "drop it: Kubernetes requires 1 for a startup probe", "%d: a startup check succeeds on one success", s.Successes)
	}
	if _, own := c.app.Source.positions[f+".failures"]; own && h.Grace != "" {
		c.errorf(f+".failures", "keep health.grace (failures are then grace ÷ interval + 1) or startup.failures",
			"health.grace and health.startup.failures both say how long start-up may take")
	}
}

// ephemeralStorage checks every container's ephemeral storage: quantities Kubernetes parses,
// not negative, a request within the limit.
func (c *checker) ephemeralStorage() {
	a := c.app
	parse := func(f string, r *Requests) (resource.Quantity, bool) {
		if r == nil || r.EphemeralStorage == "" {
			return resource.Quantity{}, false
		}
		q, err := resource.ParseQuantity(r.EphemeralStorage)
		switch {
		case err != nil:
			c.errorf(f, "write a size such as 1Gi or 500Mi", "%q is not a quantity: %v", clip(r.EphemeralStorage), err)
			return q, false
		case q.Sign() < 0:
			c.errorf(f, "", "%s is negative", clip(r.EphemeralStorage))
			return q, false
		}
		return q, true
	}
	req, okReq := parse("requests.ephemeralStorage", a.Requests)
	lim, okLim := parse("limits.ephemeralStorage", a.Limits.AsRequests())
	if okReq && okLim && req.Cmp(lim) > 0 {
		c.errorf("requests.ephemeralStorage", "requests stay at or below the limit", "%s is more than limits.ephemeralStorage %s", a.Requests.EphemeralStorage, a.Limits.EphemeralStorage)
	}
	for i, s := range a.Sidecars {
		parse(indexPath("sidecars", i)+".requests.ephemeralStorage", s.Requests)
	}
	for i, s := range a.Init {
		parse(indexPath("init", i)+".requests.ephemeralStorage", s.Requests)
	}
}

// volumeItems checks a Secret or ConfigMap volume's items: a key, a relative path that stays
// inside the volume, a file mode of 0–0777.
func (c *checker) volumeItems() {
	for i, v := range c.app.Volumes {
		for _, src := range []struct {
			f string
			s *FileSource
		}{{"secret", v.Secret}, {"configMap", v.ConfigMap}} {
			if src.s == nil {
				continue
			}
			for j, it := range src.s.Items {
				f := indexPath(indexPath("volumes", i)+"."+src.f+".items", j)
				if it.Key == "" {
					c.errorf(f+".key", "name the key to mount", "required")
				}
				switch {
				case it.Path == "":
					c.errorf(f+".path", "e.g. path: "+suggestFile(it.Key), "required: the file name under the volume's path")
				case path.IsAbs(it.Path):
					c.errorf(f+".path", "write it relative to the volume's path, e.g. "+clip(strings.TrimLeft(it.Path, "/")), "%q must be a relative path", clip(it.Path))
				case hasBackstep(it.Path):
					c.errorf(f+".path", "", "%q must not contain '..'", clip(it.Path))
				case strings.HasPrefix(it.Path, ".."):
					c.errorf(f+".path", "", "%q must not start with '..'", clip(it.Path))
				}
				if it.Mode != nil && (*it.Mode < 0 || *it.Mode > 0o777) {
					c.errorf(f+".mode", "write an octal mode from 0 to 0777, e.g. 0o400", "%O (%d) is not a file mode", *it.Mode, *it.Mode)
				}
			}
		}
	}
}

// sidecarFields refuses on a sidecar what only the app has: Service settings on its ports (the
// Service never exposes them) and a startup check.
func (c *checker) sidecarFields() {
	for i, s := range c.app.Sidecars {
		if s.Health != nil && s.Health.Startup != nil {
			c.errorf(indexPath("sidecars", i)+".health.startup", "drop it; a sidecar's health is its readiness and liveness", "only the app's health has a startup check")
		}
		for j, p := range s.Ports {
			f := indexPath(indexPath("sidecars", i)+".ports", j)
			if p.ServicePortName != "" {
				c.errorf(f+".servicePortName", "drop it", "a sidecar's port is never in the Service")
			}
			if p.NodePort != 0 {
				c.errorf(f+".nodePort", "drop it", "a sidecar's port is never in the Service")
			}
		}
	}
}

func hasBackstep(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func suggestFile(key string) string {
	if key == "" {
		return "tls.crt"
	}
	return clip(key)
}

// eksFields checks the Kubernetes-only fields of this file against the API server's rules.
func (c *checker) eksFields() {
	a := c.app
	for _, k := range slices.Sorted(maps.Keys(a.EKS.Env)) {
		c.eksEnv(k, a.EKS.Env[k])
	}
	c.servicePorts()
	if ps := a.EKS.PublicService; ps != nil {
		const f = "eks.publicService"
		switch {
		case a.Expose != "public":
			c.errorf(f, "set expose: public, or drop eks.publicService", "the public Service exists only for expose: public")
		case a.EKS.PublicVia == "alb":
			c.errorf(f, "use publicVia: nlb (the LoadBalancer Service is an NLB), or drop eks.publicService", "with publicVia: alb the Ingress is the public way in, not a second Service")
		}
		if errs := validation.IsDNS1035Label(ps.Name); len(errs) > 0 {
			c.errorf(f+".name", "e.g. "+a.Name+"-external", "%q is not a Kubernetes Service name: %s", clip(ps.Name), errs[0])
		} else if ps.Name == ServiceNameOf(a) {
			c.errorf(f+".name", "e.g. "+a.Name+"-external", "%s is already the app's Service", ps.Name)
		}
		c.annotations(f+".annotations", ps.Annotations)
	}
}

// ServiceNameOf is the app's Service on Kubernetes: eks.serviceName, else the app's name.
func ServiceNameOf(a *App) string {
	if a.EKS.ServiceName != "" {
		return a.EKS.ServiceName
	}
	return a.Name
}

// annotations checks annotation keys and size as the API server does.
func (c *checker) annotations(f string, m map[string]string) {
	for _, e := range apivalidation.ValidateAnnotations(m, field.NewPath(f)) {
		at := e.Field
		if k, ok := e.BadValue.(string); ok {
			if _, isKey := m[k]; isKey {
				at += "." + k
			}
		}
		c.errorf(at, "", "%s", e.ErrorBody())
	}
}

// eksEnv checks one eks.env variable: a name, exactly one source, and that source as the API
// server validates it.
func (c *checker) eksEnv(name string, e EnvSource) {
	a := c.app
	f := "eks.env." + name
	for _, msg := range validation.IsEnvVarName(name) {
		c.errorf(f, "", "%q is not an environment variable name: %s", clip(name), msg)
	}
	if _, dup := a.Env[name]; dup {
		c.errorf(f, "keep it in one of env: and eks.env:", "%s is both in env and in eks.env", name)
	}
	if _, dup := a.Secrets[name]; dup {
		c.errorf(f, "keep it in one of secrets: and eks.env:", "%s is both in secrets and in eks.env", name)
	}
	sources := 0
	for _, set := range []bool{e.Field != "", e.ConfigMap != "", e.Secret != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		c.errorf(f, "give one of field: metadata.namespace, configMap: <name> with key:, or secret: <name> with key:",
			"needs exactly one source, has %d", sources)
		return
	}
	if e.Field != "" {
		if e.Key != "" || e.Optional {
			c.errorf(f, "drop key and optional: they go with configMap or secret", "a pod field has no key")
		}
		c.envField(f+".field", e.Field)
		return
	}
	what, obj := "configMap", e.ConfigMap
	if e.Secret != "" {
		what, obj = "secret", e.Secret
	}
	if errs := validation.IsDNS1123Subdomain(obj); len(errs) > 0 {
		c.errorf(f+"."+what, "", "%q is not a Kubernetes object name: %s", clip(obj), errs[0])
	}
	if e.Key == "" {
		c.errorf(f+".key", "add key: <the "+what+"'s key>", "required: which key of %s %s", what, clip(obj))
	} else if errs := validation.IsConfigMapKey(e.Key); len(errs) > 0 {
		c.errorf(f+".key", "", "%q is not a key a %s can hold: %s", clip(e.Key), what, errs[0])
	}
}

// envField checks a downward API field path as the API server does for env.
func (c *checker) envField(f, p string) {
	if envFieldPaths[p] || p == "spec.host" { // spec.host: the old name of spec.nodeName
		return
	}
	if base, key, ok := splitSubscript(p); ok {
		var errs []string
		switch base {
		case "metadata.labels":
			errs = validation.IsQualifiedName(key)
		case "metadata.annotations":
			errs = validation.IsQualifiedName(strings.ToLower(key))
		default:
			c.errorf(f, "only metadata.labels['key'] and metadata.annotations['key'] take a key", "%s does not take a key", clip(base))
			return
		}
		if len(errs) > 0 {
			c.errorf(f, "", "%q is not a label or annotation key: %s", clip(key), errs[0])
		}
		return
	}
	fix := "use one of " + envFieldList
	if p == "metadata.labels" || p == "metadata.annotations" {
		fix = "name one key: " + p + "['app'] (env holds one value; a downwardAPI volume holds them all)"
	}
	c.errorf(f, fix, "%q is not a pod field env can read", clip(p))
}

// splitSubscript splits metadata.labels['key'] into metadata.labels and key.
func splitSubscript(p string) (string, string, bool) {
	s, ok := strings.CutSuffix(p, "']")
	if !ok {
		return "", "", false
	}
	base, key, ok := strings.Cut(s, "['")
	if !ok || base == "" {
		return "", "", false
	}
	return base, key, true
}

// servicePorts checks the Service's own port names, its type and node ports.
func (c *checker) servicePorts() {
	a := c.app
	names := map[string]bool{}
	nodePorts := map[string]bool{}
	switch a.EKS.ServiceType {
	case "", "ClusterIP":
	case "NodePort":
		switch {
		case a.Expose == "none":
			c.errorf("eks.serviceType", "set expose: internal or public, or drop eks.serviceType", "with expose: none there is no Service")
		case a.Expose == "public" && !a.PublicViaALB() && a.EKS.PublicService == nil:
			c.errorf("eks.serviceType", "add eks.publicService: {name: "+a.Name+"-external} for the load balancer, or drop eks.serviceType",
				"with expose: public over an NLB the app's Service is the LoadBalancer")
		}
	default:
		c.errorf("eks.serviceType", "use ClusterIP or NodePort (expose: public makes the LoadBalancer)", "%q is not a Service type shipit renders", clip(a.EKS.ServiceType))
	}
	for i, p := range a.Ports {
		f := indexPath("ports", i)
		name := p.Name
		if p.ServicePortName != "" {
			name = p.ServicePortName
			if !p.Exposed() {
				c.errorf(f+".servicePortName", "drop servicePortName or expose: false", "a port that is not exposed has no Service port")
			} else if errs := validation.IsValidPortName(name); len(errs) > 0 {
				c.errorf(f+".servicePortName", "e.g. http or grpc-api", "%q is not a Kubernetes port name: %s", clip(name), strings.Join(errs, "; "))
			}
		}
		if p.Exposed() {
			if names[name] {
				at := f + ".name"
				if p.ServicePortName != "" {
					at = f + ".servicePortName"
				}
				c.errorf(at, "give each Service port its own name", "the Service has two ports named %s", clip(name))
			}
			names[name] = true
		}
		if p.NodePort == 0 {
			continue
		}
		switch {
		case a.EKS.ServiceType != "NodePort":
			c.errorf(f+".nodePort", "add eks.serviceType: NodePort", "a node port needs a NodePort Service")
		case !p.Exposed():
			c.errorf(f+".nodePort", "drop nodePort or expose: false", "a port that is not exposed has no node port")
		case p.NodePort < minNodePort || p.NodePort > maxNodePort:
			c.errorf(f+".nodePort", fmt.Sprintf("use %d–%d, the default service-node-port-range, or leave it out for one the cluster picks", minNodePort, maxNodePort),
				"%d is outside the cluster's node port range", p.NodePort)
		}
		key := fmt.Sprintf("%d/%s", p.NodePort, strings.ToLower(p.Protocol))
		if nodePorts[key] {
			c.errorf(f+".nodePort", "give each port its own node port", "node port %s is used twice", key)
		}
		nodePorts[key] = true
	}
}

// ecsEKSOnly warns about the fields of this file that only Kubernetes has.
func (c *checker) ecsEKSOnly() {
	a := c.app
	for _, r := range []struct {
		f string
		r *Requests
	}{{"requests", a.Requests}, {"limits", a.Limits.AsRequests()}} {
		if r.r != nil && r.r.EphemeralStorage != "" {
			c.warnf(r.f+".ephemeralStorage", "size the task's with ecs.ephemeralStorage (21Gi–200Gi)",
				"ECS sizes ephemeral storage per task, not per container: this is honoured on EKS only")
		}
	}
	for _, list := range []struct {
		f  string
		cs []Sidecar
	}{{"sidecars", a.Sidecars}, {"init", a.Init}} {
		for i, s := range list.cs {
			if s.Requests != nil && s.Requests.EphemeralStorage != "" {
				c.warnf(indexPath(list.f, i)+".requests.ephemeralStorage", "size the task's with ecs.ephemeralStorage (21Gi–200Gi)",
					"ECS sizes ephemeral storage per task, not per container: this is honoured on EKS only")
			}
		}
	}
	for i, p := range a.Ports {
		if p.ServicePortName != "" {
			c.warnf(indexPath("ports", i)+".servicePortName", "", "ECS has no Service port: servicePortName names the Kubernetes Service's port only")
		}
		if p.NodePort != 0 {
			c.warnf(indexPath("ports", i)+".nodePort", "", "ECS tasks open no node ports: nodePort is honoured on EKS only")
		}
	}
	h := a.Health
	if h == nil || h.Startup == nil {
		return
	}
	w := h.StartupWindow()
	if h.Grace == "" {
		if h.ECSCheck() != nil && w > 300 {
			c.errorf("health.startup", "set health.grace: 300s (or less) for ECS, or lower startup's failures or interval",
				"the startup check allows %ds (initial delay + failures × interval); ECS's startPeriod takes at most 300s", w)
			return
		}
	}
	c.warnf("health.startup", "",
		"ECS has no startup check: only its window (%ds) maps, to the container health check's startPeriod and the load balancer's grace period; the check itself does not run on ECS", w)
}

package spec

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
)

// The properties ECS documents for an APPMESH proxy configuration (ProxyConfiguration.
// properties), and whether each must have a value.
var appMeshProperties = map[string]bool{
	"IgnoredUID": false, "IgnoredGID": false, // one of the two is required
	"AppPorts": true, "ProxyIngressPort": true, "ProxyEgressPort": true,
	"EgressIgnoredIPs": false, "EgressIgnoredPorts": false,
}

// The awslogs options shipit writes itself, and the field that sets each.
var shipitAwslogsOptions = map[string]string{
	"awslogs-group": "ecs.logGroup", "awslogs-region": "ecs.region", "awslogs-stream-prefix": "ecs.logStreamPrefix",
}

// ecsTaskExtras checks the task definition settings real ECS apps carry beyond the basics: a
// sidecar's own ulimits, the App Mesh proxy, the log driver's secret options and more
// awslogs options.
func (c *checker) ecsTaskExtras() {
	a := c.app
	for _, group := range []struct {
		f  string
		cs []Sidecar
	}{{"sidecars", a.Sidecars}, {"init", a.Init}} {
		for i, s := range group.cs {
			if s.ECS != nil {
				c.ulimits(indexPath(group.f, i)+".ecs.ulimits", s.ECS.Ulimits)
			}
		}
	}
	if p := a.ECS.Proxy; p != nil {
		c.ecsProxy(p)
	}
	if d := a.ECS.LogDriver; d != nil {
		for _, k := range slices.Sorted(maps.Keys(d.SecretOptions)) {
			f := "ecs.logDriver.secretOptions." + k
			if strings.TrimSpace(k) == "" {
				c.errorf("ecs.logDriver.secretOptions", "name the option, e.g. apikey", "an option without a name")
				continue
			}
			c.secretRef(f, d.SecretOptions[k], "ECS reads log driver secrets from Secrets Manager or SSM")
			if _, dup := d.Options[k]; dup {
				c.errorf(f, "keep it in one of options: or secretOptions:", "%s is both an option and a secret option", clip(k))
			}
		}
	}
	c.awslogsOptions()
}

// secretRef checks one secret reference (secrets:, log driver secretOptions) without ever
// printing it: a value pasted where a reference belongs must not end up in output.
func (c *checker) secretRef(field, v, ecsOnly string) {
	ref := ParseSecretRef(v)
	switch {
	case ref.Kind == KubernetesSecret && ecsOnly != "":
		c.errorf(field, "use a Secrets Manager or SSM ARN, or move it under environments for EKS only",
			"a k8s: secret exists only on Kubernetes; %s", ecsOnly)
	case ref.Kind != SecretInvalid:
		if ref.VersionStage != "" && ref.VersionID != "" {
			c.errorf(field, "keep the version stage or the version id (…:json-key:stage: or …:json-key::id)",
				"a Secrets Manager reference takes a version stage or a version id, not both")
		}
	case strings.HasPrefix(v, "arn:") && strings.Contains(v, ":secretsmanager:"):
		c.errorf(field, "write the ARN alone, or with all three parts: …:secret:NAME-AbCdEf:json-key:version-stage:version-id (empty parts allowed, e.g. …:username::)",
			"not a Secrets Manager reference ECS can read")
	case ecsOnly != "":
		c.errorf(field, "use a Secrets Manager ARN, or an SSM parameter ARN or name (/app/datadog-api-key)",
			"not a secret reference (secret options hold references, never values)")
	default:
		c.errorf(field, "use a Secrets Manager ARN, an SSM parameter ARN or name (/app/db-password), or k8s:<secret>/<key>",
			"not a secret reference (secrets hold references, never values)")
	}
}

// ecsProxy checks the App Mesh proxy configuration against ECS's documented properties. The
// proxy must be a sidecar: the app cannot proxy itself, and an init container has exited
// before the app starts.
func (c *checker) ecsProxy(p *Proxy) {
	a := c.app
	switch {
	case p.Container == "":
		c.errorf("ecs.proxy.container", "name the Envoy sidecar, e.g. container: envoy", "required")
	case p.Container == a.MainContainer():
		c.errorf("ecs.proxy.container", "name the Envoy sidecar", "the app container cannot be its own App Mesh proxy")
	case !isSidecar(a, p.Container):
		c.errorf("ecs.proxy.container", "add the proxy (Envoy) to sidecars:, or name the sidecar that is", "no sidecar named %q", clip(p.Container))
	}
	props := p.Properties
	for _, k := range slices.Sorted(maps.Keys(props)) {
		f := "ecs.proxy.properties." + k
		if _, known := appMeshProperties[k]; !known {
			c.warnf(f, "ECS documents IgnoredUID, IgnoredGID, AppPorts, ProxyIngressPort, ProxyEgressPort, EgressIgnoredIPs and EgressIgnoredPorts",
				"%s is not an App Mesh proxy property ECS documents: it has no effect", clip(k))
			continue
		}
		v := strings.TrimSpace(props[k])
		if v == "" {
			continue
		}
		switch k {
		case "IgnoredUID", "IgnoredGID":
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || n > maxInt32 {
				c.errorf(f, "the proxy container's user or group id, e.g. \"1337\"", "%q is not a user or group id (0–%d)", clip(v), maxInt32)
			}
		case "ProxyIngressPort", "ProxyEgressPort":
			if !portNumber(v) {
				c.errorf(f, "e.g. \"15000\"", "%q is not a port number (1–65535)", clip(v))
			}
		case "AppPorts", "EgressIgnoredPorts":
			for _, part := range strings.Split(v, ",") {
				if !portNumber(strings.TrimSpace(part)) {
					c.errorf(f, "write ports separated by commas, e.g. \"8080,8443\"", "%q is not a port number (1–65535)", clip(part))
					break
				}
			}
		case "EgressIgnoredIPs":
			for _, part := range strings.Split(v, ",") {
				part = strings.TrimSpace(part)
				if net.ParseIP(part) == nil {
					if _, _, err := net.ParseCIDR(part); err != nil {
						c.errorf(f, "write addresses or CIDR blocks separated by commas, e.g. \"169.254.170.2,169.254.169.254\"", "%q is not an IP address or CIDR block", clip(part))
						break
					}
				}
			}
		}
	}
	// ECS: IgnoredUID is "the user ID of the proxy container as defined by the user parameter
	// in a container definition"; another uid sends Envoy's own traffic back to Envoy.
	if uid := strings.TrimSpace(props["IgnoredUID"]); uid != "" {
		for _, s := range a.Sidecars {
			if s.Name == p.Container && s.Security != nil && s.Security.RunAsUser != nil && fmt.Sprint(*s.Security.RunAsUser) != uid {
				c.warnf("ecs.proxy.properties.IgnoredUID", fmt.Sprintf("set IgnoredUID: \"%d\", or the sidecar's runAsUser to %s", *s.Security.RunAsUser, clip(uid)),
					"%s runs as uid %d, not the IgnoredUID %s: the proxy's own traffic would be redirected to itself", s.Name, *s.Security.RunAsUser, clip(uid))
			}
		}
	}
	if !p.hasValue("IgnoredUID") && !p.hasValue("IgnoredGID") {
		c.errorf("ecs.proxy.properties", "add IgnoredUID: the proxy sidecar's runAsUser (e.g. \"1337\")",
			"ECS needs IgnoredUID or IgnoredGID: the proxy's own traffic must not be redirected to itself")
	}
	var missing []string
	for _, k := range []string{"AppPorts", "ProxyIngressPort", "ProxyEgressPort"} {
		if !p.hasValue(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		c.errorf("ecs.proxy.properties", "e.g. AppPorts: \"8080\", ProxyIngressPort: \"15000\", ProxyEgressPort: \"15001\"",
			"required by ECS: %s", strings.Join(missing, ", "))
	}
}

func (p *Proxy) hasValue(k string) bool { return strings.TrimSpace(p.Properties[k]) != "" }

func portNumber(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

func isSidecar(a *App, name string) bool {
	for _, s := range a.Sidecars {
		if s.Name == name {
			return true
		}
	}
	return false
}

// awslogsOptions checks ecs.logOptions: shipit writes the group, region and prefix itself,
// and the options Docker's awslogs driver parses are given values it takes.
func (c *checker) awslogsOptions() {
	a := c.app
	opts := a.ECS.LogOptions
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		f := "ecs.logOptions." + k
		v := opts[k]
		if by, own := shipitAwslogsOptions[k]; own {
			c.errorf(f, "set "+by+" instead", "shipit writes %s itself (from %s)", k, by)
			continue
		}
		switch k {
		case "awslogs-create-group":
			if _, err := strconv.ParseBool(v); err != nil {
				c.errorf(f, "use \"true\" or \"false\"", "%q is not a boolean", clip(v))
			}
		case "mode":
			if v != "blocking" && v != "non-blocking" {
				c.errorf(f, "use blocking or non-blocking", "%q is not a log delivery mode", clip(v))
			}
		}
	}
	if len(opts) > 0 && a.ECS.LogDriver != nil && a.ECS.LogDriver.Name != "awslogs" && !hasFireLensRouter(a) {
		c.warnf("ecs.logOptions", "drop ecs.logOptions, or set them in ecs.logDriver.options",
			"no container logs to awslogs (ecs.logDriver is %s): these options have no effect", clip(a.ECS.LogDriver.Name))
	}
}

func hasFireLensRouter(a *App) bool {
	for _, s := range a.Sidecars {
		if s.FireLens != nil {
			return true
		}
	}
	return false
}

package spec

import "strings"

// ECSOnlyWarnings are ecsOnly's warnings on their own: validate --target eks loads the spec
// without its ecs: block (as a deploy to EKS does), and asks a load with it for these.
func (a *App) ECSOnlyWarnings() []Warning {
	c := &checker{app: a, target: TargetEKS}
	c.ecsOnly()
	return Errors(c.warns).sorted()
}

// ecsOnly warns, for Kubernetes, about the ecs: settings that change how the app runs on ECS
// and have no counterpart on Kubernetes: what an app imported from ECS (shipit import) or
// written for it would not do there. Where the infrastructure differs (cluster, subnets, roles,
// log group) there is nothing to warn about: Kubernetes has its own.
func (c *checker) ecsOnly() {
	a := c.app
	e := a.ECS
	for i, o := range e.Overrides {
		what := "the task definition"
		if strings.HasPrefix(o.Path, "service.") {
			what = "the ECS service"
		}
		c.warnf(indexPath("ecs.overrides", i), "if it matters on Kubernetes too, say it with a spec field or eks.patches",
			"%s is an override of %s: Kubernetes has no counterpart, and it is not applied there", clip(o.Path), what)
	}
	if e.Proxy != nil {
		c.warnf("ecs.proxy", "use the mesh's own sidecar injection on Kubernetes",
			"App Mesh's proxy configuration is ECS's: on Kubernetes the app's traffic is not redirected through %s", clip(e.Proxy.Container))
	}
	if len(e.Ulimits) > 0 {
		c.warnf("ecs.ulimits", "raise the limit on the nodes, or in the image's entrypoint",
			"Kubernetes has no per-container ulimits: the app container gets the node's")
	}
	for _, group := range []struct {
		f  string
		cs []Sidecar
	}{{"sidecars", a.Sidecars}, {"init", a.Init}} {
		for i, s := range group.cs {
			if s.ECS != nil && len(s.ECS.Ulimits) > 0 {
				c.warnf(indexPath(group.f, i)+".ecs.ulimits", "raise the limit on the nodes, or in the image's entrypoint",
					"Kubernetes has no per-container ulimits: %s gets the node's", clip(s.Name))
			}
		}
	}
	if len(e.DockerLabels) > 0 {
		c.warnf("ecs.dockerLabels", "say them as labels or eks.podAnnotations if a Kubernetes agent reads them",
			"Docker labels are ECS's: the app container on Kubernetes does not carry them")
	}
	if d := e.LogDriver; d != nil && d.Name != "awslogs" {
		c.warnf("ecs.logDriver", "ship logs with the cluster's log agent, e.g. Fluent Bit as a DaemonSet",
			"the %s log driver is ECS's: on Kubernetes containers log to stdout and only the cluster's log agent ships it", clip(d.Name))
	}
	if e.Architecture == "ARM64" {
		c.warnf("ecs.architecture", "add eks.nodeSelector: {kubernetes.io/arch: arm64} if the image is for ARM64 only",
			"ecs.architecture is ECS's: on Kubernetes the pods go to whatever nodes the scheduler picks")
	}
}

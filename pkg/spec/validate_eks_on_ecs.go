package spec

// What an eks: block sets that changes what the app gets on Kubernetes, and that ECS, which
// reads no eks: block, goes without: validate --target ecs says so, so that a spec imported
// from Kubernetes (or written for it) does not quietly lose it on ECS.

// eksOnECS are the eks: fields ECS warns about, with what ECS does without them and the fix.
var eksOnECS = []struct{ field, msg, fix string }{
	{"eks.env", "variables Kubernetes supplies (the downward API, ConfigMap and Secret keys) are not set on ECS: the container starts without them",
		"give ECS the values in env: or secrets: (under environments for ECS alone if they differ)"},
	{"eks.envFrom", "the variables of these ConfigMaps and Secrets are not set on ECS: the container starts without them",
		"list the variables in env: or secrets: for ECS"},
	{"eks.patches", "patches change the Kubernetes objects only: nothing they set reaches the ECS task definition or service",
		"say it for ECS with ecs.overrides"},
	{"eks.podSecurity", "the pod's user, group and fsGroup are Kubernetes settings: on ECS the containers run as their images or security: say",
		"set security: {runAsUser, runAsGroup} on the app for ECS"},
	{"eks.extendedResources", "Fargate has no device plugins: these resources are not asked for on ECS", ""},
}

// ecsIgnoresEKS warns about each of eksOnECS the spec sets.
func (c *checker) ecsIgnoresEKS() {
	for _, w := range eksOnECS {
		if c.app.Source.Has(w.field) {
			c.warnf(w.field, w.fix, "%s", w.msg)
		}
	}
}

// This file holds the checks a spec must pass to deploy to ECS on Fargate: task sizes, the
// awslogs and FireLens settings, network and exposure, health checks, tags and containers. It
// is long because ECS's own rules are; each check is a row in validate_test.go's tables.

package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// ECS's own limits, as its API and quotas state them.
const (
	// ecsMaxTasks is the ECS quota "Tasks per service" (5,000, not adjustable): desiredCount
	// and the scalable target's capacity cannot go above it.
	ecsMaxTasks = 5000
	// ecsMaxTags is the limit on tags per resource; shipit adds three of its own
	// (managed-by, the spec hash, the cluster) to what labels: holds.
	ecsMaxTags   = 50
	shipitECSTag = 3
)

var (
	// Container names: "Up to 255 letters (uppercase and lowercase), numbers, underscores,
	// and hyphens" (ContainerDefinition.name).
	ecsContainerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// Port mapping names: lowercase letters, numbers, underscores and hyphens, up to 64, not
	// starting with a hyphen (PortMapping.name).
	ecsPortName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]{0,63}$`)
	// CloudWatch Logs group names (CreateLogGroup).
	logGroupRe = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
)

// ecs checks what Fargate and the ECS API need.
func (c *checker) ecs() {
	a := c.app
	c.ecsOverrides()
	cpu, mem := a.CPUMillis(), a.MemoryMiB()
	if !IsFargateSize(cpu, mem) {
		near := NearestFargateSize(cpu, mem)
		r := memoryRange(cpu)
		msg := fmt.Sprintf("%s with %s is not a size Fargate runs", FormatCPU(cpu), FormatMemory(mem))
		if r != "" {
			msg += fmt.Sprintf("; %s takes %s", FormatCPU(cpu), r)
		} else {
			msg += "; Fargate offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU"
		}
		field := "memory"
		if r == "" {
			field = "cpu"
		}
		c.errorf(field, "nearest valid size: "+near.String(), "%s", msg)
	}
	c.wholeMiB("memory", a.Memory)
	if n := a.ContainerName; n != "" && !ecsContainerName.MatchString(n) {
		c.errorf("containerName", "use letters, digits, '_' and '-' (at most 255)", "%q is not an ECS container name", clip(n))
	}
	if g := a.ECS.LogGroup; g != "" && !logGroupRe.MatchString(g) {
		c.errorf("ecs.logGroup", "use 1–512 letters, digits and . - _ / #", "%q is not a CloudWatch Logs group name", clip(g))
	}
	if p := a.ECS.LogStreamPrefix; strings.ContainsAny(p, ":*") || len(p) > 512 {
		c.errorf("ecs.logStreamPrefix", "drop ':' and '*'", "%q is not a log stream prefix", clip(p))
	}
	for i, s := range a.Init {
		if !ecsContainerName.MatchString(s.Name) {
			c.errorf(indexPath("init", i)+".name", "use letters, digits, '_' and '-' (at most 255)", "%q is not an ECS container name", clip(s.Name))
		}
	}
	healthy := func(f string, deps []DependsOn) {
		for j, d := range deps {
			if d.Condition == "HEALTHY" && !hasECSCheck(a, d.Container) {
				c.errorf(indexPath(in(f, "dependsOn"), j)+".condition", "give that container a health command, or wait for START",
					"%s has no ECS container health check to become HEALTHY", clip(d.Container))
			}
		}
	}
	healthy("", a.DependsOn)
	for i, s := range a.Sidecars {
		healthy(indexPath("sidecars", i), s.DependsOn)
	}
	for i, s := range a.Sidecars {
		f := indexPath("sidecars", i)
		c.wholeMiB(f+".memory", s.Memory)
		if !ecsContainerName.MatchString(s.Name) {
			c.errorf(f+".name", "use letters, digits, '_' and '-' (at most 255)", "%q is not an ECS container name", clip(s.Name))
		}
	}
	for i, p := range a.Ports {
		if !ecsPortName.MatchString(p.Name) {
			c.errorf(indexPath("ports", i)+".name", "use lowercase letters, digits, '_' and '-' (at most 64, not starting with '-')",
				"%q is not an ECS port mapping name", clip(p.Name))
		}
	}
	if a.Replicas != nil && *a.Replicas > ecsMaxTasks {
		c.errorf("replicas", fmt.Sprintf("at most %d", ecsMaxTasks), "%d is more tasks than an ECS service runs (quota: %d tasks per service)", *a.Replicas, ecsMaxTasks)
	}
	if as := a.Autoscale; as != nil && as.Max > ecsMaxTasks {
		c.errorf("autoscale.max", fmt.Sprintf("at most %d", ecsMaxTasks), "%d is more tasks than an ECS service runs (quota: %d tasks per service)", as.Max, ecsMaxTasks)
	}
	c.ecsTags()
	c.ecsHealth()
	for i, p := range a.Ports {
		if p.ServicePort != 0 && p.ServicePort != p.Port {
			c.warnf(indexPath("ports", i)+".servicePort", "",
				"ECS has no service port: callers reach container port %d (Cloud Map) or the load balancer's listener", p.Port)
		}
	}
	if d, err := ParseDuration(a.StopGrace); a.StopGrace != "" && err == nil && d > 120*time.Second {
		c.errorf("stopGrace", "at most 120s on Fargate", "%s is longer than Fargate's stopTimeout allows", clip(a.StopGrace))
	}
	c.ecsContainers()
	c.ecsEKSOnly()
	c.ecsIgnoresEKS()
	c.ecsSched()
	for _, k := range slices.Sorted(maps.Keys(a.Secrets)) {
		if ParseSecretRef(a.Secrets[k]).Kind == KubernetesSecret {
			c.errorf("secrets."+k, "use a Secrets Manager or SSM ARN, or move it under environments for EKS only",
				"a k8s: secret exists only on Kubernetes; ECS reads secrets from Secrets Manager or SSM")
		}
	}
	if a.ECS.ExecutionRole == "" {
		var why []string
		why = append(why, "awslogs logging")
		if ecrImage.MatchString(a.Image) {
			why = append(why, "pulling from ECR")
		}
		if len(a.Secrets) > 0 || (a.ECS.LogDriver != nil && len(a.ECS.LogDriver.SecretOptions) > 0) {
			why = append(why, "reading secrets")
		}
		c.errorf("ecs.executionRole", "add ecs.executionRole: arn:aws:iam::<account>:role/ecsTaskExecutionRole",
			"required: %s need an execution role", strings.Join(why, ", "))
	} else if !roleARN.MatchString(a.ECS.ExecutionRole) {
		c.errorf("ecs.executionRole", "use arn:aws:iam::<account>:role/<name>", "%q is not an IAM role ARN", clip(a.ECS.ExecutionRole))
	} else if a.ECS.ExecutionRole == a.Role {
		c.warnf("ecs.executionRole", "give the app its own task role", "the task role and the execution role are the same role: the app can read every secret and pull every image the agent can")
	}
	if len(a.ECS.Subnets) == 0 {
		c.errorf("ecs.subnets", "add ecs.subnets: [subnet-…]", "required: Fargate tasks (awsvpc) need at least one subnet")
	}
	for i, s := range a.ECS.Subnets {
		if !strings.HasPrefix(s, "subnet-") {
			c.errorf(indexPath("ecs.subnets", i), "", "%q is not a subnet id (subnet-…)", clip(s))
		}
	}
	for i, s := range a.ECS.SecurityGroups {
		if !strings.HasPrefix(s, "sg-") {
			c.errorf(indexPath("ecs.securityGroups", i), "", "%q is not a security group id (sg-…)", clip(s))
		}
	}
	c.ecsExposure()
	c.ecsService()
	c.ecsTask()
	c.ecsLogging()
	c.ecsTaskExtras()
}

// ecsLogging checks the log driver and the FireLens router: Fargate takes awslogs, splunk
// and awsfirelens, and awsfirelens needs a router.
func (c *checker) ecsLogging() {
	a := c.app
	if l := a.Limits; l != nil && l.CPU != "" {
		c.warnf("limits.cpu", "", "ECS caps CPU for the whole task only: the app container's cpu stays a share")
	}
	routers := 0
	for i, s := range a.Sidecars {
		if s.FireLens == nil {
			continue
		}
		routers++
		if t := s.FireLens.Type; t != "fluentbit" && t != "fluentd" {
			c.errorf(indexPath("sidecars", i)+".firelens.type", "use fluentbit or fluentd", "%q is not a FireLens type", clip(t))
		}
	}
	if routers > 1 {
		c.errorf("sidecars", "mark one sidecar firelens", "a task has one FireLens log router, not %d", routers)
	}
	if d := a.ECS.LogDriver; d != nil {
		for _, k := range slices.Sorted(maps.Keys(d.Options)) {
			if secretish.MatchString(k) || strings.EqualFold(k, "apikey") {
				c.warnf("ecs.logDriver.options."+k, "move it to ecs.logDriver.secretOptions."+k+": <a Secrets Manager or SSM reference>",
					"%s looks like a secret in plaintext; it would be stored in the task definition", k)
			}
		}
		switch d.Name {
		case "awslogs", "splunk":
		case "awsfirelens":
			if routers == 0 {
				c.errorf("ecs.logDriver.name", "add a sidecar with firelens: {type: fluentbit}", "awsfirelens needs a FireLens log router")
			}
		default:
			c.errorf("ecs.logDriver.name", "use awslogs, splunk or awsfirelens", "%q is not a log driver Fargate runs", clip(d.Name))
		}
	}
}

// ecsTask checks the task-level ECS settings against the API's bounds.
func (c *checker) ecsTask() {
	e := c.app.ECS
	if _, set := c.app.Source.positions["ecs.capacity"]; set && len(e.CapacityProviders) > 0 {
		c.errorf("ecs.capacityProviders", "keep one of ecs.capacity and ecs.capacityProviders", "ecs.capacity and ecs.capacityProviders both choose the capacity")
	}
	bases, weights := 0, 0
	for i, p := range e.CapacityProviders {
		f := indexPath("ecs.capacityProviders", i)
		if p.Name != "FARGATE" && p.Name != "FARGATE_SPOT" {
			c.errorf(f+".name", "use FARGATE or FARGATE_SPOT", "%q is not a Fargate capacity provider", clip(p.Name))
		}
		if p.Base < 0 || p.Base > 100000 {
			c.errorf(f+".base", "", "%d is outside ECS's 0–100000", p.Base)
		}
		if p.Weight < 0 || p.Weight > 1000 {
			c.errorf(f+".weight", "", "%d is outside ECS's 0–1000", p.Weight)
		}
		if p.Base > 0 {
			bases++
		}
		weights += max(p.Weight, 0)
	}
	if bases > 1 {
		c.errorf("ecs.capacityProviders", "give base to one provider", "only one provider of a strategy can have a base")
	}
	if len(e.CapacityProviders) > 0 && weights == 0 {
		c.errorf("ecs.capacityProviders", "give one provider weight: 1", "at least one provider needs a weight above 0")
	}
	switch e.Architecture {
	case "", "X86_64", "ARM64":
	default:
		c.errorf("ecs.architecture", "use X86_64 or ARM64", "%q is not a CPU architecture Fargate runs", clip(e.Architecture))
	}
	if e.EphemeralStorage != "" {
		n, err := ParseMemory(e.EphemeralStorage)
		if err != nil || n%1024 != 0 || n < 21*1024 || n > 200*1024 {
			c.errorf("ecs.ephemeralStorage", "write whole GiB from 21Gi to 200Gi", "%q is not an ephemeral storage size Fargate takes", clip(e.EphemeralStorage))
		}
	}
	c.ulimits("ecs.ulimits", e.Ulimits)
}

// ulimits checks one container's ulimits (ECS Ulimit: a known name, int32 soft ≤ hard).
func (c *checker) ulimits(field string, us []Ulimit) {
	for i, u := range us {
		f := indexPath(field, i)
		if !ecsUlimitNames[u.Name] {
			c.errorf(f+".name", "e.g. nofile, nproc, memlock", "%q is not a ulimit ECS knows", clip(u.Name))
		}
		if u.Soft < 0 || u.Hard < 0 || u.Soft > maxInt32 || u.Hard > maxInt32 || u.Soft > u.Hard {
			c.errorf(f, "0 ≤ soft ≤ hard ≤ 2147483647", "soft %d and hard %d are not a ulimit", u.Soft, u.Hard)
		}
	}
}

// The ulimit names ECS's Ulimit.name takes.
var ecsUlimitNames = map[string]bool{"core": true, "cpu": true, "data": true, "fsize": true, "locks": true,
	"memlock": true, "msgqueue": true, "nice": true, "nofile": true, "nproc": true, "rss": true,
	"rtprio": true, "rttime": true, "sigpending": true, "stack": true}

// ecsExposure checks the load balancer and Cloud Map settings. Both apply whenever the app is
// exposed: a target group with expose: internal is an internal load balancer, and Cloud Map
// beside a public load balancer is how Copilot wires a public service its neighbours also call.
func (c *checker) ecsExposure() {
	a := c.app
	if a.Expose == "public" && a.ECS.TargetGroup == "" {
		c.errorf("ecs.targetGroup", "add ecs.targetGroup: arn:aws:elasticloadbalancing:…:targetgroup/…", "required for expose: public on ECS")
	}
	if tg := a.ECS.TargetGroup; tg != "" {
		if !targetGroupRe.MatchString(tg) {
			c.errorf("ecs.targetGroup", "", "%q is not a target group ARN", clip(tg))
		} else if a.Expose == "none" {
			c.errorf("ecs.targetGroup", "set expose: internal (internal load balancer) or public, or remove ecs.targetGroup",
				"a target group needs the app exposed; with expose: none nothing would be registered in it")
		}
	}
	if a.ECS.Discovery != nil && a.Expose == "none" {
		c.errorf("ecs.discovery", "set expose: internal or public, or remove ecs.discovery",
			"Cloud Map needs the app exposed; with expose: none nothing would be registered")
	}
	if h := a.Health; h != nil && (h.TCP || h.GRPC != nil) {
		c.warnf("health", "add health.command, or health.liveness.command, for ECS's container health check",
			"ECS has no TCP or gRPC container check: this health check has no effect on ECS")
	}
	if h := a.Health; h != nil && h.Path != "" {
		if a.ECS.TargetGroup == "" || a.Expose == "none" {
			c.warnf("health.path", "add health.command (e.g. [curl, -f, http://localhost/healthz]) for ECS's container health check, or a target group",
				"ECS does not check an HTTP path without a load balancer: this health check has no effect on ECS")
		} else {
			c.warnf("health.path", "set the target group's health check path to "+clip(h.Path),
				"on ECS the target group's own health check decides, and shipit does not change the target group")
		}
	}
}

// hasECSCheck reports whether a container has an ECS container health check.
func hasECSCheck(a *App, name string) bool {
	if name == a.MainContainer() {
		return a.Health.ECSCheck() != nil
	}
	for _, s := range a.Sidecars {
		if s.Name == name {
			return s.Health.ECSCheck() != nil
		}
	}
	return false
}

// ecsHealth follows ECS's container health check bounds (interval 5–300 s, timeout 2–60 s,
// retries 1–10, startPeriod 0–300 s); they apply only to a command check.
func (c *checker) ecsHealth() {
	if l := c.app.Health; l != nil && l.Liveness != nil && !l.Liveness.Off && len(l.Liveness.Command) == 0 {
		c.warnf("health.liveness", "give liveness a command for ECS",
			"ECS replaces tasks only on its container health check, which runs a command: this liveness check has no effect on ECS")
	}
	h := c.app.Health.ECSCheck()
	if h == nil {
		return
	}
	f := "health"
	if h != c.app.Health {
		f = "health.liveness"
	}
	within := func(field, s string, lo, hi time.Duration) {
		if d, err := ParseDuration(s); err == nil && (d < lo || d > hi) {
			c.errorf(field, fmt.Sprintf("ECS takes %ds to %ds", int(lo.Seconds()), int(hi.Seconds())), "%s is outside ECS's container health check bounds", clip(s))
		}
	}
	within(f+".interval", h.Interval, 5*time.Second, 300*time.Second)
	within(f+".timeout", h.Timeout, 2*time.Second, 60*time.Second)
	if g := c.app.Health.Grace; g != "" {
		within("health.grace", g, 0, 300*time.Second)
	}
	if h.Failures < 1 || h.Failures > 10 {
		c.errorf(f+".failures", "ECS takes 1 to 10 retries", "%d is outside ECS's container health check bounds", h.Failures)
	}
	if h.InitialDelay != "" && Seconds(h.InitialDelay) > 0 {
		c.warnf(f+".initialDelay", "use health.grace (ECS startPeriod) for start-up time", "ECS's container health check has no initial delay")
	}
	if h.Successes > 1 {
		c.warnf(f+".successes", "", "ECS's container health check has no success threshold: one success is healthy")
	}
}

// ecsTags checks labels as ECS tags: keys of 1–128 and values of at most 256 characters,
// letters, digits, spaces and _ . : / = + - @, no aws: prefix, at most 50 tags in all.
func (c *checker) ecsTags() {
	a := c.app
	if n := len(a.Labels); n > ecsMaxTags-shipitECSTag {
		c.errorf("labels", fmt.Sprintf("keep at most %d labels", ecsMaxTags-shipitECSTag),
			"%d labels plus shipit's %d tags are more than the %d tags ECS takes", n, shipitECSTag, ecsMaxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		v := a.Labels[k]
		switch {
		case len([]rune(k)) < 1 || len([]rune(k)) > 128 || !tagChars(k):
			c.errorf("labels."+k, "use 1–128 letters, digits, spaces and _ . : / = + - @", "%q is not a valid ECS tag key", clip(k))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			c.errorf("labels."+k, "drop the aws: prefix", "%q: tag keys starting with aws: are reserved for AWS", clip(k))
		}
		if len([]rune(v)) > 256 || !tagChars(v) {
			c.errorf("labels."+k, "use at most 256 letters, digits, spaces and _ . : / = + - @", "%q is not a valid ECS tag value", clip(v))
		}
	}
}

func tagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

// wholeMiB refuses a memory size ECS cannot write: task and container memory are whole MiB.
func (c *checker) wholeMiB(field, s string) {
	if b, err := ParseMemoryBytes(s); err == nil && b%mib != 0 {
		c.errorf(field, fmt.Sprintf("write %dMi", (b+mib-1)/mib), "%s is %.2f MiB; ECS sizes memory in whole MiB", clip(s), float64(b)/mib)
	}
}

// ecsContainers checks security settings and volumes against what Fargate runs.
func (c *checker) ecsContainers() {
	for _, ct := range c.containers() {
		s := ct.security
		if s == nil {
			continue
		}
		if s.FSGroup != nil {
			c.warnf(in(ct.path, "security.fsGroup"), "", "ECS has no fsGroup: volumes keep the owner their source gives them")
		}
		if s.RunAsGroup != nil && s.RunAsUser == nil {
			c.errorf(in(ct.path, "security.runAsGroup"), "add runAsUser: ECS's user field is uid or uid:gid",
				"ECS cannot set a group without a user")
		}
		if s.RunAsNonRoot != nil && *s.RunAsNonRoot && s.RunAsUser == nil {
			c.warnf(in(ct.path, "security.runAsNonRoot"), "add runAsUser: <a non-zero uid>",
				"ECS has no runAsNonRoot check: the container runs as the image's user")
		}
		if caps := s.Capabilities; caps != nil {
			for _, add := range caps.Add {
				if add != "SYS_PTRACE" {
					c.errorf(in(ct.path, "security.capabilities.add"), "Fargate adds only SYS_PTRACE",
						"%s cannot be added on Fargate", clip(add))
				}
			}
		}
	}
	for i, v := range c.app.Volumes {
		f := indexPath("volumes", i)
		switch {
		case v.Secret != nil || v.ConfigMap != nil:
			c.errorf(f, "move it under environments for EKS only, or read the values through secrets:",
				"a Kubernetes Secret or ConfigMap volume exists only on Kubernetes")
		case v.Scratch != nil && v.Scratch.Memory:
			c.errorf(f+".scratch.memory", "drop memory: true for ECS (the scratch volume is then on the task's ephemeral storage)",
				"Fargate has no memory-backed (tmpfs) volumes")
		case v.Scratch != nil && v.Scratch.SizeLimit != "":
			c.warnf(f+".scratch.sizeLimit", "", "ECS has no per-volume size: the task's ephemeral storage bounds it")
		}
	}
}

var (
	// Fargate platform versions: LATEST or a version number (1.4.0, 1.3.0).
	platformVersionRe = regexp.MustCompile(`^(LATEST|[0-9]+\.[0-9]+\.[0-9]+)$`)
	// An Application Load Balancer's ARN: request-count scaling exists for ALBs only.
	albARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/[^/]+/[^/]+$`)
)

// ecsService checks the service-level settings: the family, the platform version, tag
// propagation, ECS Exec and request-count scaling.
func (c *checker) ecsService() {
	a := c.app
	if f := a.ECS.Family; f != "" && !ecsContainerName.MatchString(f) {
		c.errorf("ecs.family", "use letters, digits, '_' and '-' (at most 255)", "%q is not a task definition family", clip(f))
	}
	if n := a.ECS.ServiceName; n != "" && !ecsContainerName.MatchString(n) {
		c.errorf("ecs.serviceName", "use letters, digits, '_' and '-' (at most 255)", "%q is not an ECS service name", clip(n))
	}
	if v := a.ECS.PlatformVersion; v != "" && !platformVersionRe.MatchString(v) {
		c.errorf("ecs.platformVersion", "use LATEST or a Fargate platform version such as 1.4.0", "%q is not a platform version", clip(v))
	}
	switch a.ECS.PropagateTags {
	case "", "SERVICE", "TASK_DEFINITION", "NONE":
	default:
		c.errorf("ecs.propagateTags", "use SERVICE, TASK_DEFINITION or NONE", "%q is not a tag propagation", clip(a.ECS.PropagateTags))
	}
	if a.ECS.Exec && a.Role == "" {
		c.warnf("ecs.exec", "add role: with ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel",
			"ECS Exec runs through the task role, and the app has none: execute-command will be refused")
	}
	lb := a.ECS.LoadBalancer
	if lb != "" && !albARNRe.MatchString(lb) {
		c.errorf("ecs.loadBalancer", "use the ARN of an Application Load Balancer (arn:aws:elasticloadbalancing:…:loadbalancer/app/<name>/<id>)",
			"%q is not an Application Load Balancer ARN", clip(lb))
	}
	requests := a.Autoscale != nil && a.Autoscale.Requests > 0
	switch {
	case requests && (a.ECS.TargetGroup == "" || a.Expose == "none"):
		c.errorf("autoscale.requests", "add ecs.targetGroup (with expose: public or internal) and ecs.loadBalancer",
			"request-count scaling counts the requests of the app's target group, and the app is behind none")
	case requests && lb == "":
		c.errorf("ecs.loadBalancer", "add ecs.loadBalancer: the ARN of the ALB that forwards to ecs.targetGroup",
			"required by autoscale.requests: Application Auto Scaling names the load balancer and the target group")
	case !requests && lb != "":
		c.warnf("ecs.loadBalancer", "remove it, or add autoscale.requests", "only request-count scaling uses it: it has no effect")
	}
	c.ecsServiceConnect()
}

var (
	// A Cloud Map namespace ARN (Service Connect takes its name or its ARN).
	namespaceARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:namespace/.+$`)
	// Cloud Map namespace names: 1–1024 printable ASCII characters without spaces.
	namespaceNameRe = regexp.MustCompile(`^[!-~]+$`)
	// A Service Connect client alias's dnsName: up to 127 lowercase letters, digits, '_',
	// '-' and '.', not starting with '-'.
	clientAliasDNSRe = regexp.MustCompile(`^[a-z0-9_.][a-z0-9_.-]{0,126}$`)
)

// ecsServiceConnect checks ecs.serviceConnect as ECS takes it: each service publishes a named
// port mapping of the task definition, a discovery name unique in the namespace, at most one
// client alias with a port in 0–65535, and the Fargate platform 1.4.0 or later.
func (c *checker) ecsServiceConnect() {
	a := c.app
	sc := a.ECS.ServiceConnect
	if sc == nil {
		return
	}
	if ns := sc.Namespace; ns != "" {
		if strings.HasPrefix(ns, "arn:") && !namespaceARNRe.MatchString(ns) {
			c.errorf("ecs.serviceConnect.namespace", "use the namespace's name or its ARN (arn:aws:servicediscovery:<region>:<account>:namespace/ns-…)",
				"%q is not a Cloud Map namespace ARN", clip(ns))
		} else if !strings.HasPrefix(ns, "arn:") && (len(ns) > 1024 || !namespaceNameRe.MatchString(ns)) {
			c.errorf("ecs.serviceConnect.namespace", "use the namespace's name (printable characters, no spaces, at most 1024) or its ARN",
				"%q is not a Cloud Map namespace name", clip(ns))
		}
	}
	if v := a.ECS.PlatformVersion; v != "" && v != "LATEST" && platformVersionRe.MatchString(v) && versionBefore(v, 1, 4) {
		c.errorf("ecs.platformVersion", "use platformVersion 1.4.0 or LATEST", "Service Connect needs Fargate platform version 1.4.0 or later, not %s", v)
	}
	named := map[string]bool{}
	var names []string
	for _, p := range a.Ports {
		named[p.Name], names = true, append(names, p.Name)
	}
	for _, s := range a.Sidecars {
		for _, p := range s.Ports {
			named[p.Name], names = true, append(names, p.Name)
		}
	}
	discovery := map[string]string{}
	for i, s := range sc.Services {
		f := indexPath("ecs.serviceConnect.services", i)
		switch {
		case s.Port == "":
			c.errorf(f, "add port: the name of one of the app's ports (ports[].name)", "port is required: Service Connect publishes a named port of the task definition")
		case !named[s.Port]:
			fix := "name a port under ports: (ports[].name) and use that name"
			if len(names) > 0 {
				fix = "use one of the task definition's port names: " + strings.Join(names, ", ")
			}
			c.errorf(f+".port", fix, "%q is not the name of a port mapping of the task definition (ports[].name or a sidecar's ports[].name)", clip(s.Port))
		}
		name := s.DiscoveryName
		if name == "" {
			name = s.Port
		} else if !ecsPortName.MatchString(name) {
			c.errorf(f+".discoveryName", "use lowercase letters, digits, '_' and '-' (at most 64, not starting with '-')", "%q is not a Service Connect discovery name", clip(name))
		}
		if prev, ok := discovery[name]; ok && name != "" {
			c.errorf(f+".discoveryName", "give one of them another discoveryName", "%s already publishes %q: discovery names are unique in the namespace", prev, clip(name))
		} else {
			discovery[name] = f
		}
		if len(s.ClientAliases) > 1 {
			c.errorf(f+".clientAliases", "keep one alias per service; publish the port again under another discoveryName for a second name",
				"%d client aliases; ECS takes at most 1 per Service Connect service", len(s.ClientAliases))
		}
		for j, al := range s.ClientAliases {
			af := indexPath(f+".clientAliases", j)
			if al.Port < 0 || al.Port > 65535 {
				c.errorf(af+".port", "use a port in 0–65535", "%d is not a port", al.Port)
			}
			if al.DNSName != "" && !clientAliasDNSRe.MatchString(al.DNSName) {
				c.errorf(af+".dnsName", "use lowercase letters, digits, '_', '-' and '.' (at most 127, not starting with '-')", "%q is not a Service Connect DNS name", clip(al.DNSName))
			}
		}
	}
}

// versionBefore reports whether a version x.y.z is before major.minor.
func versionBefore(v string, major, minor int) bool {
	var x, y, z int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &x, &y, &z); err != nil {
		return false
	}
	return x < major || (x == major && y < minor)
}

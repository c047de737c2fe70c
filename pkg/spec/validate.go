package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Targets shipit deploys to.
const (
	TargetECS = "ecs"
	TargetEKS = "eks"
)

var (
	dnsLabel      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	envName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretsARN    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	ssmARN        = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$`)
	k8sSecretRef  = regexp.MustCompile(`^k8s:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/([-._a-zA-Z0-9]+)$`)
	roleARN       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	targetGroupRe = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/.+$`)
	efsID         = regexp.MustCompile(`^fs-[0-9a-f]{8,17}$`)
	efsAPID       = regexp.MustCompile(`^fsap-[0-9a-f]{4,17}$`)
	ecrImage      = regexp.MustCompile(`^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)
	secretish     = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY)`)
)

// CloudWatch Logs accepts only these retention periods, in days.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// checker collects problems with their positions.
type checker struct {
	app    *App
	target string
	errs   Errors
	warns  []Warning
}

func (c *checker) errorf(field, fix, format string, args ...any) {
	pos := c.app.Source.lookup(field)
	c.errs = append(c.errs, FieldError{File: c.app.Source.File, Line: pos.Line, Column: pos.Column,
		Field: field, Message: fmt.Sprintf(format, args...), Fix: fix, Target: c.target})
}

func (c *checker) warnf(field, fix, format string, args ...any) {
	pos := c.app.Source.lookup(field)
	c.warns = append(c.warns, Warning{File: c.app.Source.File, Line: pos.Line, Column: pos.Column,
		Field: field, Message: fmt.Sprintf(format, args...), Fix: fix, Target: c.target})
}

// Validate checks the spec for one target. It returns the errors (nil when the spec can be
// deployed there) and warnings that do not stop a deploy.
func (a *App) Validate(target string) (Errors, []Warning) {
	c := &checker{app: a, target: target}
	switch target {
	case TargetECS:
		c.ecs()
	case TargetEKS:
		c.eks()
	default:
		c.target = ""
		c.errorf("", "use --target ecs or --target eks", "unknown target %q", target)
	}
	return c.errs.sorted(), c.warns
}

// Warnings are the target-independent warnings (e.g. secret-looking plaintext env vars).
func (a *App) Warnings() []Warning {
	c := &checker{app: a}
	keys := sortedKeys(a.Env)
	for _, k := range keys {
		if secretish.MatchString(k) {
			c.warnf("env."+k, "move it to secrets: as a Secrets Manager or SSM reference", "%s looks like a secret in plaintext", k)
		}
	}
	return c.warns
}

// Targets lists the targets a spec configures: those with an ecs: or eks: block, or both when
// it has neither.
func (a *App) Targets() []string {
	_, ecs := a.Source.positions["ecs"]
	_, eks := a.Source.positions["eks"]
	switch {
	case ecs && !eks:
		return []string{TargetECS}
	case eks && !ecs:
		return []string{TargetEKS}
	}
	return []string{TargetECS, TargetEKS}
}

// validateCommon checks what must hold for every target.
func validateCommon(a *App) Errors {
	c := &checker{app: a}
	if a.Version == 0 {
		c.errorf("version", "add: version: 1", "required")
	} else if a.Version != 1 {
		c.errorf("version", "this shipit reads version: 1", "unsupported version %d", a.Version)
	}
	switch {
	case a.Name == "":
		c.errorf("name", "add: name: my-app (lowercase letters, digits and '-')", "required")
	case len(a.Name) > 63:
		c.errorf("name", "shorten it to 63 characters or fewer", "%q is %d characters long; names are DNS labels of at most 63", a.Name, len(a.Name))
	case !dnsLabel.MatchString(a.Name):
		c.errorf("name", "try "+suggestLabel(a.Name), "%q is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)", a.Name)
	}
	if a.Image == "" {
		c.errorf("image", "add: image: <registry>/<repo>:<tag>", "required")
	} else if strings.ContainsAny(a.Image, " \t") {
		c.errorf("image", "", "%q contains whitespace", a.Image)
	}
	c.ports()
	c.sizes()
	c.replicas()
	c.envAndSecrets()
	c.health()
	c.expose()
	if a.Role != "" && !roleARN.MatchString(a.Role) {
		c.errorf("role", "use arn:aws:iam::<account>:role/<name>", "%q is not an IAM role ARN", a.Role)
	}
	for k := range a.Labels {
		if len(k) > 63 || !regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`).MatchString(k) {
			c.errorf("labels."+k, "use letters, digits, '-', '_' and '.'", "%q is not a valid label key", k)
		}
	}
	c.volumes()
	c.sidecars()
	c.rollout()
	if d, err := ParseDuration(a.Logs.Retention); err != nil || d%(24*time.Hour) != 0 || !containsInt(logRetentionDays, int(d/(24*time.Hour))) {
		c.errorf("logs.retention", "CloudWatch keeps logs for 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d, … 365d, … 3653d", "%q is not a retention CloudWatch Logs offers", a.Logs.Retention)
	}
	if !dnsLabel.MatchString(a.EKS.Namespace) || len(a.EKS.Namespace) > 63 {
		c.errorf("eks.namespace", "", "%q is not a valid namespace name (DNS-1123 label)", a.EKS.Namespace)
	}
	if sa := a.EKS.ServiceAccount; sa != "" && (!dnsLabel.MatchString(sa) || len(sa) > 63) {
		c.errorf("eks.serviceAccount", "", "%q is not a valid ServiceAccount name", sa)
	}
	switch a.ECS.Capacity {
	case "FARGATE", "FARGATE_SPOT":
	default:
		c.errorf("ecs.capacity", "use FARGATE or FARGATE_SPOT", "%q is not a Fargate capacity provider", a.ECS.Capacity)
	}
	return c.errs
}

func (c *checker) ports() {
	a := c.app
	if a.Port != 0 && len(a.Ports) > 0 {
		c.errorf("port", "remove port: or ports:", "set either port: (shorthand) or ports:, not both")
	}
	seenName, seenPort := map[string]bool{}, map[string]bool{}
	for i, p := range a.Ports {
		f := indexPath("ports", i)
		if p.Port < 1 || p.Port > 65535 {
			c.errorf(f+".port", "", "%d is not a port number (1–65535)", p.Port)
		}
		proto := strings.ToLower(p.Protocol)
		if proto != "tcp" && proto != "udp" {
			c.errorf(f+".protocol", "use tcp or udp", "%q is not a protocol", p.Protocol)
		}
		if len(p.Name) > 15 || !dnsLabel.MatchString(p.Name) {
			c.errorf(f+".name", "", "%q is not a port name (lowercase letters, digits, '-', at most 15 characters)", p.Name)
		}
		if seenName[p.Name] {
			c.errorf(f+".name", "give each port its own name", "duplicate port name %q", p.Name)
		}
		key := fmt.Sprintf("%d/%s", p.Port, proto)
		if seenPort[key] {
			c.errorf(f+".port", "", "port %s is listed twice", key)
		}
		seenName[p.Name], seenPort[key] = true, true
	}
}

func (c *checker) sizes() {
	a := c.app
	if _, err := ParseCPU(a.CPU); err != nil {
		c.errorf("cpu", `write vCPUs such as 0.5 or millicores such as "500m"`, "%v", err)
	}
	if _, err := ParseMemory(a.Memory); err != nil {
		c.errorf("memory", "write a size with a unit, such as 512Mi or 1Gi", "%v", err)
	}
}

func (c *checker) replicas() {
	a := c.app
	if a.Replicas != nil && *a.Replicas < 0 {
		c.errorf("replicas", "", "%d is negative", *a.Replicas)
	}
	as := a.Autoscale
	if as == nil {
		return
	}
	if as.Min < 1 {
		c.errorf("autoscale.min", "", "must be at least 1, got %d", as.Min)
	}
	if as.Max < as.Min {
		c.errorf("autoscale.max", fmt.Sprintf("set max to %d or more", max(as.Min, 1)), "%d is less than min %d", as.Max, as.Min)
	}
	if as.CPU == 0 && as.Memory == 0 {
		c.errorf("autoscale", "add cpu: 70 (target average utilisation, percent)", "needs a cpu or memory target")
	}
	for _, m := range []struct {
		f string
		v int
	}{{"autoscale.cpu", as.CPU}, {"autoscale.memory", as.Memory}} {
		if m.v < 0 || m.v > 100 {
			c.errorf(m.f, "", "%d is not a utilisation percentage (1–100)", m.v)
		}
	}
	if a.Replicas != nil && (*a.Replicas < as.Min || *a.Replicas > as.Max) {
		c.errorf("replicas", "", "%d is outside autoscale's %d–%d", *a.Replicas, as.Min, as.Max)
	}
}

func (c *checker) envAndSecrets() {
	a := c.app
	for _, k := range sortedKeys(a.Env) {
		if !envName.MatchString(k) {
			c.errorf("env."+k, "use letters, digits and '_', not starting with a digit", "%q is not a valid environment variable name", k)
		}
		if _, dup := a.Secrets[k]; dup {
			c.errorf("env."+k, "keep it in one of env: or secrets:", "%s is both in env and in secrets", k)
		}
	}
	for _, k := range sortedKeys(a.Secrets) {
		v := a.Secrets[k]
		if !envName.MatchString(k) {
			c.errorf("secrets."+k, "use letters, digits and '_', not starting with a digit", "%q is not a valid environment variable name", k)
		}
		if !secretsARN.MatchString(v) && !ssmARN.MatchString(v) && !k8sSecretRef.MatchString(v) {
			c.errorf("secrets."+k, "use a Secrets Manager ARN, an SSM parameter ARN or k8s:<secret>/<key>",
				"not a secret reference (secrets hold references, never values)")
		}
	}
}

func (c *checker) health() {
	h := c.app.Health
	if h == nil {
		return
	}
	if h.Path == "" && len(h.Command) == 0 {
		c.errorf("health", "add path: /healthz or command: [...]", "needs a path or a command")
	}
	if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
		c.errorf("health.path", "write /"+h.Path, "%q must start with /", h.Path)
	}
	if h.Path != "" {
		found := false
		for _, p := range c.app.Ports {
			found = found || p.Port == h.Port
		}
		if !found {
			c.errorf("health.port", "use one of the app's ports", "port %d is not one of the app's ports", h.Port)
		}
	}
	durs := map[string]string{"interval": h.Interval, "timeout": h.Timeout}
	if h.Grace != "" {
		durs["grace"] = h.Grace
	}
	for _, f := range []string{"interval", "timeout", "grace"} {
		s, ok := durs[f]
		if !ok {
			continue
		}
		if d, err := ParseDuration(s); err != nil || d < time.Second || d%time.Second != 0 {
			c.errorf("health."+f, "write whole seconds such as 10s", "%q is not a duration of whole seconds", s)
		}
	}
	if Seconds(h.Timeout) >= Seconds(h.Interval) && Seconds(h.Interval) > 0 {
		c.errorf("health.timeout", "make the timeout shorter than the interval", "%s is not shorter than the interval %s", h.Timeout, h.Interval)
	}
	if h.Failures < 1 || h.Failures > 10 {
		c.errorf("health.failures", "", "%d is not between 1 and 10", h.Failures)
	}
}

func (c *checker) expose() {
	a := c.app
	switch a.Expose {
	case "none":
	case "internal", "public":
		if len(a.Ports) == 0 {
			c.errorf("expose", "add port: N, or expose: none", "%q needs at least one port", a.Expose)
		}
	default:
		c.errorf("expose", "use none, internal or public", "%q is not a way to expose an app", a.Expose)
	}
}

func (c *checker) volumes() {
	seen := map[string]bool{}
	for i, v := range c.app.Volumes {
		f := indexPath("volumes", i)
		if !dnsLabel.MatchString(v.Name) {
			c.errorf(f+".name", "", "%q is not a volume name (DNS-1123 label)", v.Name)
		}
		if seen[v.Name] {
			c.errorf(f+".name", "", "duplicate volume %q", v.Name)
		}
		seen[v.Name] = true
		if !strings.HasPrefix(v.Path, "/") {
			c.errorf(f+".path", "", "%q must be an absolute path", v.Path)
		}
		if v.EFS == nil {
			c.errorf(f, "add efs: {fileSystem: fs-…}", "needs a source: efs")
			continue
		}
		if !efsID.MatchString(v.EFS.FileSystem) {
			c.errorf(f+".efs.fileSystem", "", "%q is not an EFS file system id (fs-…)", v.EFS.FileSystem)
		}
		if ap := v.EFS.AccessPoint; ap != "" && !efsAPID.MatchString(ap) {
			c.errorf(f+".efs.accessPoint", "", "%q is not an EFS access point id (fsap-…)", ap)
		}
	}
}

func (c *checker) sidecars() {
	a := c.app
	seen := map[string]bool{a.Name: true}
	for i, s := range a.Sidecars {
		f := indexPath("sidecars", i)
		if !dnsLabel.MatchString(s.Name) {
			c.errorf(f+".name", "", "%q is not a container name (DNS-1123 label)", s.Name)
		} else if seen[s.Name] {
			c.errorf(f+".name", "", "%q is already the name of another container", s.Name)
		}
		seen[s.Name] = true
		if s.Image == "" {
			c.errorf(f+".image", "", "required")
		}
		if s.CPU == "" {
			c.errorf(f+".cpu", "e.g. cpu: 0.25", "required: every container has a limit")
		} else if _, err := ParseCPU(s.CPU); err != nil {
			c.errorf(f+".cpu", "", "%v", err)
		}
		if s.Memory == "" {
			c.errorf(f+".memory", "e.g. memory: 256Mi", "required: every container has a limit")
		} else if _, err := ParseMemory(s.Memory); err != nil {
			c.errorf(f+".memory", "", "%v", err)
		}
		for _, k := range sortedKeys(s.Env) {
			if !envName.MatchString(k) {
				c.errorf(f+".env."+k, "", "%q is not a valid environment variable name", k)
			}
		}
	}
	// The app's cpu/memory is the whole task (pod); sidecars are carved out of it and must
	// leave the app container something to run with.
	if len(a.Sidecars) == 0 || len(c.errs) > 0 {
		return
	}
	var sc, sm int64
	for _, s := range a.Sidecars {
		sc += s.CPUMillis()
		sm += s.MemoryMiB()
	}
	if a.MainCPUMillis() < minMainCPU || a.MainMemoryMiB() < minMainMemory {
		need := FargateSize{sc + max(minMainCPU, 0), sm + minMainMemory}
		c.errorf("sidecars", "raise cpu/memory to at least "+NearestFargateSize(need.CPUMillis, need.MemoryMiB).String(),
			"the sidecars take %s / %s of the app's %s / %s, leaving less than %s / %s for the app container",
			FormatCPU(sc), FormatMemory(sm), FormatCPU(a.CPUMillis()), FormatMemory(a.MemoryMiB()), FormatCPU(minMainCPU), FormatMemory(minMainMemory))
	}
}

// The least the app container keeps once sidecars are carved out.
const (
	minMainCPU    = 125
	minMainMemory = 128
)

func (c *checker) rollout() {
	r := c.app.Rollout
	if d, err := ParseDuration(r.Timeout); err != nil || d < time.Second {
		c.errorf("rollout.timeout", "write a duration such as 10m", "%q is not a timeout", r.Timeout)
	}
	surge, err1 := ParsePercent(r.MaxSurge)
	if err1 != nil {
		c.errorf("rollout.maxSurge", `write a percentage such as "25%"`, "%v", err1)
	}
	unavail, err2 := ParsePercent(r.MaxUnavailable)
	if err2 != nil {
		c.errorf("rollout.maxUnavailable", `write a percentage such as "0%"`, "%v", err2)
	}
	if err1 == nil && err2 == nil && surge == 0 && unavail == 0 {
		c.errorf("rollout.maxSurge", "set maxSurge above 0%", "maxSurge and maxUnavailable cannot both be 0%%: the rollout could never start")
	}
}

// ecs checks what Fargate and the ECS API need.
func (c *checker) ecs() {
	a := c.app
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
	for _, k := range sortedKeys(a.Secrets) {
		if strings.HasPrefix(a.Secrets[k], "k8s:") {
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
		if len(a.Secrets) > 0 {
			why = append(why, "reading secrets")
		}
		c.errorf("ecs.executionRole", "add ecs.executionRole: arn:aws:iam::<account>:role/ecsTaskExecutionRole",
			"required: %s need an execution role", strings.Join(why, ", "))
	} else if !roleARN.MatchString(a.ECS.ExecutionRole) {
		c.errorf("ecs.executionRole", "use arn:aws:iam::<account>:role/<name>", "%q is not an IAM role ARN", a.ECS.ExecutionRole)
	} else if a.ECS.ExecutionRole == a.Role {
		c.warnf("ecs.executionRole", "give the app its own task role", "the task role and the execution role are the same role: the app can read every secret and pull every image the agent can")
	}
	if len(a.ECS.Subnets) == 0 {
		c.errorf("ecs.subnets", "add ecs.subnets: [subnet-…]", "required: Fargate tasks (awsvpc) need at least one subnet")
	}
	for i, s := range a.ECS.Subnets {
		if !strings.HasPrefix(s, "subnet-") {
			c.errorf(indexPath("ecs.subnets", i), "", "%q is not a subnet id (subnet-…)", s)
		}
	}
	for i, s := range a.ECS.SecurityGroups {
		if !strings.HasPrefix(s, "sg-") {
			c.errorf(indexPath("ecs.securityGroups", i), "", "%q is not a security group id (sg-…)", s)
		}
	}
	if a.Expose == "public" && a.ECS.TargetGroup == "" {
		c.errorf("ecs.targetGroup", "add ecs.targetGroup: arn:aws:elasticloadbalancing:…:targetgroup/…", "required for expose: public on ECS")
	}
	if tg := a.ECS.TargetGroup; tg != "" && !targetGroupRe.MatchString(tg) {
		c.errorf("ecs.targetGroup", "", "%q is not a target group ARN", tg)
	}
	if h := a.Health; h != nil && len(h.Command) > 0 && Seconds(h.Interval) > 300 {
		c.errorf("health.interval", "at most 300s on ECS", "%s is longer than ECS allows", h.Interval)
	}
}

// eks checks what Kubernetes needs beyond the common rules.
func (c *checker) eks() {
	a := c.app
	if a.EKS.Cluster != "" && a.EKS.Context != "" {
		c.errorf("eks.context", "keep one of eks.cluster and eks.context", "eks.cluster and eks.context both say how to reach the cluster")
	}
	if a.MainCPUMillis() <= 0 || a.MainMemoryMiB() <= 0 {
		c.errorf("cpu", "", "no CPU or memory left for the app container")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// suggestLabel turns a name into a DNS-1123 label, for the fix hint.
func suggestLabel(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	if s == "" {
		return "my-app"
	}
	return s
}

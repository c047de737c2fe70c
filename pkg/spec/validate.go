package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Targets shipit deploys to.
const (
	TargetECS = "ecs"
	TargetEKS = "eks"
)

var (
	dnsLabel      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	envName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
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
	return c.errs.sorted(), Errors(c.warns).sorted()
}

// Warnings are the target-independent warnings (e.g. secret-looking plaintext env vars).
func (a *App) Warnings() []Warning {
	c := &checker{app: a}
	keys := slices.Sorted(maps.Keys(a.Env))
	for _, k := range keys {
		if secretish.MatchString(k) {
			c.warnf("env."+k, "move it to secrets: as a Secrets Manager or SSM reference", "%s looks like a secret in plaintext", k)
		}
	}
	return Errors(c.warns).sorted()
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
	c.startup()
	c.expose()
	if a.Role != "" && !roleARN.MatchString(a.Role) {
		c.errorf("role", "use arn:aws:iam::<account>:role/<name>", "%q is not an IAM role ARN", a.Role)
	}
	c.volumes()
	c.sidecars()
	c.limits()
	c.requestsAndSecurity()
	c.ephemeralStorage()
	c.volumeItems()
	c.sidecarFields()
	c.rollout()
	c.schedCommon()
	if a.StopGrace != "" {
		c.seconds("stopGrace", a.StopGrace, 0)
	}
	if d, err := ParseDuration(a.Logs.Retention); err != nil || d%(24*time.Hour) != 0 || !containsInt(logRetentionDays, int(d/(24*time.Hour))) {
		c.errorf("logs.retention", "CloudWatch keeps logs for 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d, … 365d, … 3653d", "%q is not a retention CloudWatch Logs offers", a.Logs.Retention)
	}
	if !dnsLabel.MatchString(a.EKS.Namespace) || len(a.EKS.Namespace) > 63 {
		c.errorf("eks.namespace", "", "%q is not a valid namespace name (DNS-1123 label)", a.EKS.Namespace)
	}
	if sa := a.EKS.ServiceAccount; sa != "" && len(validation.IsDNS1123Subdomain(sa)) > 0 {
		c.errorf("eks.serviceAccount", "", "%q is not a valid ServiceAccount name (DNS-1123 subdomain)", clip(sa))
	}
	switch a.ECS.Capacity {
	case "FARGATE", "FARGATE_SPOT":
	default:
		c.errorf("ecs.capacity", "use FARGATE or FARGATE_SPOT", "%q is not a Fargate capacity provider", a.ECS.Capacity)
	}
	return c.errs
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

func (c *checker) expose() {
	a := c.app
	switch a.Expose {
	case "none":
	case "internal", "public":
		if len(a.ExposedPorts()) == 0 {
			c.errorf("expose", "add port: N (or a port without expose: false), or expose: none", "%q needs at least one exposed port", a.Expose)
		}
	default:
		c.errorf("expose", "use none, internal or public", "%q is not a way to expose an app", a.Expose)
	}
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

package lint

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// rules, in the order they run. Each one's test has a spec that trips it and one that does not.
var rules = []Rule{
	{ID: "plaintext-secret", Severity: Error, Summary: "a value that is a credential (AWS access key, token, private key, URL with a password) written in env, args, labels or annotations", check: checkSecretValues},
	{ID: "secret-named-env", Severity: Warning, Summary: "a plaintext env value under a name like PASSWORD, TOKEN, SECRET, API_KEY: move it to secrets:", check: checkSecretNames},
	{ID: "credentials-in-env", Severity: Error, Summary: "${AWS_SECRET_ACCESS_KEY}-style expansion of the deployer's own credentials into the spec", check: checkCredentialExpansion},
	{ID: "same-roles", Severity: Warning, Summary: "ECS: the task role and the execution role are the same ARN", check: checkSameRoles},
	{ID: "no-health-check", Severity: Warning, Summary: "no health check: a broken release looks healthy", check: checkNoHealth},
	{ID: "grace-shorter-than-startup", Severity: Warning, Summary: "health.grace ends before the checks' initialDelay: tasks are judged before they can be ready", check: checkGrace},
	{ID: "single-replica-production", Severity: Warning, Summary: "one replica in a production environment", check: checkSingleReplica},
	{ID: "mutable-image-tag", Severity: Warning, Summary: "an image with the tag latest or no tag (and no digest)", check: checkMutableTag},
	{ID: "image-not-ecr", Severity: Warning, Summary: "ECS: an image from outside ECR (Docker Hub pull limits, NAT data costs)", check: checkNotECR},
	{ID: "ephemeral-data-path", Severity: Warning, Summary: "a data directory in env with no volume mounted there: what is written is lost with the task or pod", check: checkDataPath},
	{ID: "efs-without-access-point", Severity: Warning, Summary: "an EFS volume mounted without an access point (the whole file system, as root)", check: checkEFSAccessPoint},
	{ID: "internal-without-discovery", Severity: Warning, Summary: "ECS: expose: internal without ecs.discovery: nothing can find the service", check: checkInternalDiscovery},
	{ID: "public-without-health-path", Severity: Warning, Summary: "expose: public without health.path: the load balancer checks /", check: checkPublicHealthPath},
	{ID: "eks-secrets-without-role", Severity: Warning, Summary: "EKS: secrets from AWS but no role (IRSA) for the app", check: checkEKSSecretsRole},
	{ID: "eks-cpu-limit-throttles", Severity: Warning, Summary: "EKS: a CPU-autoscaled (bursty) app whose CPU limit equals its request", check: checkCPUThrottle},
	{ID: "eks-no-disruption-budget", Severity: Warning, Summary: "EKS: several replicas and no eks.disruptionBudget: a node drain may evict them all at once", check: checkDisruptionBudget},
	{ID: "efs-platform-version", Severity: Error, Summary: "ECS: an EFS volume on a Fargate platform version before 1.4.0, which cannot mount EFS", check: checkEFSPlatform},
	{ID: "eks-default-namespace-production", Severity: Warning, Summary: "EKS: the namespace default in a production environment", check: checkDefaultNamespace},
	{ID: "override-covers-neutral-field", Severity: Warning, Summary: "an ecs.overrides path or eks.patches field that a neutral spec field already says", check: checkOverrides},
	{ID: "portability", Severity: Warning, Summary: "a setting one target cannot honour: the spec is not neutral", check: checkPortability},
}

var (
	secretValuePatterns = []struct {
		what string
		re   *regexp.Regexp
	}{
		{"an AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
		{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
		{"a GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`)},
		{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
		{"a URL with a password", regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`)},
		{"a password flag", regexp.MustCompile(`(?i)--?(password|passwd|token|secret|api-?key)[= ]\S+`)},
	}
	secretName     = regexp.MustCompile(`(?i)(^|_)(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)$`)
	credsExpansion = regexp.MustCompile(`\$\{(AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_ACCESS_KEY_ID)\b[^}]*\}`)
	dataName       = regexp.MustCompile(`(?i)(DIR|PATH|DATA|STORAGE|HOME)$`)
	dataRoots      = []string{"/data", "/var/lib/", "/var/data", "/srv/", "/storage", "/uploads", "/db", "/var/opt/"}
)

// container is one container of the app as the rules see it.
type container struct {
	path    string // field path prefix: "" for the app, "sidecars[0]."
	image   string
	env     map[string]string
	command []string
	args    []string
}

func containers(a *spec.App) []container {
	out := []container{{"", a.Image, a.Env, a.Command, a.Args}}
	for i, s := range a.Sidecars {
		out = append(out, container{fmt.Sprintf("sidecars[%d].", i), s.Image, s.Env, s.Command, s.Args})
	}
	for i, s := range a.Init {
		out = append(out, container{fmt.Sprintf("init[%d].", i), s.Image, s.Env, s.Command, s.Args})
	}
	return out
}

func secretIn(v string) string {
	for _, p := range secretValuePatterns {
		if p.re.MatchString(v) {
			return p.what
		}
	}
	return ""
}

const secretFix = "move it to secrets: (Secrets Manager or SSM) and rotate it: it is in the spec's history"

func checkSecretValues(in *Input, r report) {
	a := in.App
	for _, c := range containers(a) {
		for _, k := range slices.Sorted(maps.Keys(c.env)) {
			if what := secretIn(c.env[k]); what != "" {
				r.at(c.path+"env."+k, "", secretFix, "the value is %s, in plain text", what)
			}
		}
		for name, list := range map[string][]string{"command": c.command, "args": c.args} {
			for i, v := range list {
				if what := secretIn(v); what != "" {
					r.at(fmt.Sprintf("%s%s[%d]", c.path, name, i), "", "read it from an env var filled from secrets:", "the value is %s, in plain text", what)
				}
			}
		}
	}
	for field, m := range map[string]map[string]string{"labels": a.Labels, "eks.podAnnotations": a.EKS.PodAnnotations, "eks.serviceAnnotations": a.EKS.ServiceAnnotations, "ecs.dockerLabels": a.ECS.DockerLabels} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if what := secretIn(m[k]); what != "" {
				r.at(field+"."+k, "", "labels and annotations are readable by anyone who can list the objects: remove it", "the value is %s", what)
			}
		}
	}
}

func checkSecretNames(in *Input, r report) {
	for _, c := range containers(in.App) {
		for _, k := range slices.Sorted(maps.Keys(c.env)) {
			v := c.env[k]
			if !secretName.MatchString(k) || v == "" || strings.HasPrefix(v, "/") || secretIn(v) != "" {
				continue // a path to a mounted secret is how it should be; a known pattern is reported as an error
			}
			r.at(c.path+"env."+k, "", "move "+k+" to secrets: (Secrets Manager or SSM)", "%s is set in plain text: it shows in the task definition / Deployment and to anyone who can read them", k)
		}
	}
}

func checkCredentialExpansion(in *Input, r report) {
	for _, m := range credsExpansion.FindAllSubmatchIndex(in.Raw, -1) {
		line := 1 + strings.Count(string(in.Raw[:m[0]]), "\n")
		col := m[0] - strings.LastIndexByte(string(in.Raw[:m[0]]), '\n')
		*r.out = append(*r.out, Finding{Rule: r.rule.ID, Severity: r.rule.Severity, File: in.App.Source.File, Line: line, Column: col,
			Message: fmt.Sprintf("%s copies the deployer's own credentials into the app", in.Raw[m[2]:m[3]]),
			Fix:     "give the app its own role (role: on ECS, IRSA on EKS); never pass the deployer's keys"})
	}
}

func checkSameRoles(in *Input, r report) {
	a := in.App
	if in.has(spec.TargetECS) && a.Role != "" && a.Role == a.ECS.ExecutionRole {
		r.at("role", spec.TargetECS, "use a separate execution role (ECR pull, logs, secrets) and a task role with only what the app calls",
			"the task role is the execution role: the app gets the right to read every secret and pull every image the execution role has")
	}
}

func checkNoHealth(in *Input, r report) {
	if in.App.Health == nil {
		r.at("name", "", "add health: {path: /healthz} (or tcp: true, or command:)", "no health check: a release that starts but does not work is reported as a success")
	}
}

func checkGrace(in *Input, r report) {
	h := in.App.Health
	if h == nil || h.Off || h.InitialDelay == "" {
		return
	}
	delay, _ := spec.ParseDuration(h.InitialDelay)
	grace, _ := spec.ParseDuration(h.Grace)
	if delay > 0 && grace < delay {
		r.at("health.grace", "", fmt.Sprintf("set health.grace to at least %s", fmtDur(delay)),
			"health.grace (%s) ends before the checks start (initialDelay %s): the load balancer judges tasks that cannot be ready yet", fmtDur(grace), fmtDur(delay))
	}
}

func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func checkSingleReplica(in *Input, r report) {
	a := in.App
	if !in.Production() {
		return
	}
	switch {
	case a.Autoscale != nil && a.Autoscale.Min == 1:
		r.at("autoscale.min", "", "set autoscale.min: 2 or more", "autoscale.min is 1 in %s: one task or pod failing takes the app down", in.Environment)
	case a.Autoscale == nil && a.Replicas != nil && *a.Replicas == 1:
		r.at("replicas", "", "set replicas: 2 or more", "one replica in %s: a deploy, a node or a zone going away takes the app down", in.Environment)
	}
}

// imageTag is the tag of an image reference, "" when untagged; digest is set when pinned.
func imageTag(ref string) (tag string, digest bool) {
	if strings.Contains(ref, "@sha256:") {
		return "", true
	}
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		return last[i+1:], false
	}
	return "", false
}

func checkMutableTag(in *Input, r report) {
	for _, c := range containers(in.App) {
		tag, digest := imageTag(c.image)
		switch {
		case digest:
		case tag == "":
			r.at(c.path+"image", "", "tag images with a version or the commit SHA", "%s has no tag: it means latest, so two deploys of one spec can run different code", c.image)
		case tag == "latest":
			r.at(c.path+"image", "", "tag images with a version or the commit SHA", "%s: latest moves, so two deploys of one spec can run different code and a rollback may not go back", c.image)
		}
	}
}

var ecrHost = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)

func checkNotECR(in *Input, r report) {
	if !in.has(spec.TargetECS) {
		return
	}
	for _, c := range containers(in.App) {
		if ecrHost.MatchString(c.image) || strings.HasPrefix(c.image, "public.ecr.aws/") {
			continue
		}
		r.at(c.path+"image", spec.TargetECS, "push it to ECR (or an ECR pull-through cache)", "%s is pulled from outside ECR: Docker Hub limits anonymous pulls, and the pull crosses the NAT gateway at its data price", c.image)
	}
}

func checkDataPath(in *Input, r report) {
	a := in.App
	mounted := func(p string) bool {
		for _, v := range a.Volumes {
			if v.Path != "" && (p == v.Path || strings.HasPrefix(p, strings.TrimSuffix(v.Path, "/")+"/")) {
				return true
			}
		}
		return false
	}
	for _, k := range slices.Sorted(maps.Keys(a.Env)) {
		v := a.Env[k]
		if !dataName.MatchString(k) || !strings.HasPrefix(v, "/") || mounted(v) {
			continue
		}
		for _, root := range dataRoots {
			if strings.HasPrefix(v, root) || v == strings.TrimSuffix(root, "/") {
				r.at("env."+k, "", "mount a volume there (volumes: with efs: to keep it), or point it at one", "%s=%s looks like where the app keeps data, and no volume is mounted there: on Fargate and in a pod it is lost when the task or pod stops", k, v)
				break
			}
		}
	}
}

func checkEFSAccessPoint(in *Input, r report) {
	for i, v := range in.App.Volumes {
		if v.EFS != nil && v.EFS.AccessPoint == "" {
			r.at(fmt.Sprintf("volumes[%d].efs", i), "", "create an access point with its own root directory and POSIX user, and set efs.accessPoint", "EFS %s is mounted without an access point: the app sees the whole file system, as root", v.EFS.FileSystem)
		}
	}
}

func checkInternalDiscovery(in *Input, r report) {
	a := in.App
	if in.has(spec.TargetECS) && a.Expose == "internal" && a.ECS.Discovery == nil && len(a.ExposedPorts()) > 0 {
		r.at("expose", spec.TargetECS, "add ecs.discovery: {namespace: <Cloud Map namespace id>}", "expose: internal on ECS without ecs.discovery: no name resolves to the tasks, so nothing can call the service")
	}
}

func checkPublicHealthPath(in *Input, r report) {
	a := in.App
	if a.Expose != "public" {
		return
	}
	if h := a.Health; h == nil || h.Off || h.Path == "" {
		r.at("expose", "", "add health.path (e.g. /healthz): the load balancer then checks what the app says about itself", "expose: public without health.path: the load balancer checks / and takes tasks in or out on it")
	}
}

func checkEKSSecretsRole(in *Input, r report) {
	a := in.App
	if in.has(spec.TargetEKS) && len(a.Secrets) > 0 && a.Role == "" {
		r.at("secrets", spec.TargetEKS, "set role: to an IAM role for the service account (IRSA) that may read these secrets", "secrets come from AWS but the app has no role: the ExternalSecret can only sync them with credentials of its own store")
	}
}

func checkCPUThrottle(in *Input, r report) {
	a := in.App
	if !in.has(spec.TargetEKS) || a.Autoscale == nil || a.Autoscale.CPU == 0 {
		return
	}
	if a.Requests == nil || a.Requests.CPU == "" {
		r.at("autoscale.cpu", spec.TargetEKS, "set requests.cpu below cpu so a burst can use the difference (the HPA then scales on the request)", "the app scales on CPU (it bursts) and its CPU limit equals its request: the kernel throttles every burst at the limit")
	}
}

func checkDefaultNamespace(in *Input, r report) {
	a := in.App
	if in.has(spec.TargetEKS) && in.Production() && a.EKS.Namespace == spec.DefaultNamespace {
		r.at("eks.namespace", spec.TargetEKS, "set eks.namespace to the app's or team's namespace", "the namespace default in %s: no quota, network policy or RBAC boundary of its own", in.Environment)
	}
}

func checkPortability(in *Input, r report) {
	for _, t := range in.Targets {
		_, warns := in.App.Validate(t)
		for _, w := range warns {
			*r.out = append(*r.out, Finding{Rule: r.rule.ID, Severity: r.rule.Severity, File: w.File, Line: w.Line, Column: w.Column,
				Field: w.Field, Target: t, Message: w.Message, Fix: w.Fix})
		}
	}
}

func checkDisruptionBudget(in *Input, r report) {
	a := in.App
	if !in.has(spec.TargetEKS) || a.EKS.DisruptionBudget != nil {
		return
	}
	n, field := 0, "replicas"
	switch {
	case a.Autoscale != nil:
		n, field = a.Autoscale.Min, "autoscale.min"
	case a.Replicas != nil:
		n = *a.Replicas
	}
	if n >= 2 {
		r.at(field, spec.TargetEKS, "add eks.disruptionBudget: {maxUnavailable: 1}",
			"%d replicas and no PodDisruptionBudget: a node drain or cluster upgrade may evict every pod of the app at once", n)
	}
}

func checkEFSPlatform(in *Input, r report) {
	a := in.App
	v := a.ECS.PlatformVersion
	if !in.has(spec.TargetECS) || v == "" || v == "LATEST" || !platformBefore14(v) {
		return
	}
	for i, vol := range a.Volumes {
		if vol.EFS != nil {
			r.at("ecs.platformVersion", spec.TargetECS, "use platformVersion 1.4.0 or LATEST",
				"Fargate mounts EFS from platform version 1.4.0 on; %s cannot mount volumes[%d] (%s)", v, i, vol.Name)
			return
		}
	}
}

// platformBefore14 reports whether a Fargate platform version (1.3.0, 1.4.0, …) is before 1.4.0.
func platformBefore14(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major < 1 || (major == 1 && minor < 4)
}

package lint

import (
	"os"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// clean trips no rule, on either target.
const clean = `version: 1
name: web
image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2
port: 8080
health: {command: [curl, -f, http://localhost:8080/healthz]}
role: arn:aws:iam::123456789012:role/web
expose: internal
ecs:
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
  discovery: {namespace: ns-0abc}
`

const (
	cmdHealth = "{command: [curl, -f, http://localhost:8080/healthz]}"
	public    = "expose: public"
	tg        = "  targetGroup: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef\n"
)

func lintSpec(t *testing.T, src, env string, strict bool) []Finding {
	t.Helper()
	doc, err := spec.ParseDocument("shipit.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	app, err := doc.Load(spec.Options{Environment: env, Getenv: func(k string) (string, bool) {
		if strings.HasPrefix(k, "AWS_") {
			return "x", true
		}
		return "", false
	}})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	targets := []string{spec.TargetECS, spec.TargetEKS}
	for _, tg := range targets {
		if errs, _ := app.Validate(tg); len(errs) > 0 {
			t.Fatalf("%v\n%s", errs, src)
		}
	}
	return Run(&Input{App: app, Raw: []byte(src), Targets: targets, Environment: env}, strict)
}

func TestCleanSpecTripsNothing(t *testing.T) {
	if fs := lintSpec(t, clean, "", false); len(fs) > 0 {
		t.Fatalf("clean spec: %v", fs)
	}
}

// TestRules: every rule has a spec that trips it (at the line given) and a near one that does
// not.
func TestRules(t *testing.T) {
	prod := "environments:\n  production: {}\n"
	for _, tc := range []struct {
		rule       string
		trip, pass string // appended to clean, or a full replacement when starting with "version"
		env        string
		line       int
	}{
		{rule: "plaintext-secret", trip: "env: {AWS_KEY: AKIAIOSFODNN7EXAMPLE}\n", pass: "env: {AWS_KEY_FILE: /run/keys/aws}\n", line: 12},
		{rule: "plaintext-secret", trip: "env: {DATABASE_URL: 'postgres://app:hunter2@db:5432/app'}\n", pass: "env: {DATABASE_URL: 'postgres://db:5432/app'}\n", line: 12},
		{rule: "plaintext-secret", trip: "args: [--password=hunter2]\n", pass: "args: [--password-file=/run/secrets/pw]\n", line: 12},
		{rule: "plaintext-secret", trip: "cpu: 0.5\nmemory: 1Gi\nsidecars:\n  - name: agent\n    image: public.ecr.aws/x/agent:1\n    cpu: 0.25\n    memory: 256Mi\n    env: {KEY: '-----BEGIN RSA PRIVATE KEY-----'}\n", pass: "cpu: 0.5\nmemory: 1Gi\nsidecars:\n  - name: agent\n    image: public.ecr.aws/x/agent:1\n    cpu: 0.25\n    memory: 256Mi\n    env: {KEY_PATH: /run/key.pem}\n", line: 19},
		{rule: "plaintext-secret", trip: "labels: {note: ghp_abcdefghijklmnopqrstuvwxyz0123456789}\n", pass: "labels: {note: release-1}\n", line: 12},
		{rule: "secret-named-env", trip: "env: {DB_PASSWORD: changeme}\n", pass: "env: {DB_PASSWORD_FILE: /run/secrets/db}\n", line: 12},
		{rule: "secret-named-env", trip: "env: {GITHUB_TOKEN: abc123}\n", pass: "env: {TOKEN_TTL: 1h}\n", line: 12},
		{rule: "credentials-in-env", trip: "env: {AWS_SECRET_ACCESS_KEY: '${AWS_SECRET_ACCESS_KEY}'}\n", pass: "env: {AWS_REGION: '${AWS_REGION}'}\n", line: 12},
		{rule: "same-roles", trip: strings.Replace(clean, "role/web", "role/exec", 1), pass: clean, line: 6},
		{rule: "no-health-check", trip: strings.Replace(clean, "health: "+cmdHealth+"\n", "", 1), pass: clean, line: 2},
		{rule: "grace-shorter-than-startup", trip: strings.Replace(clean, "]}", "], initialDelay: 60s, grace: 30s}", 1), pass: strings.Replace(clean, "]}", "], initialDelay: 60s, grace: 90s}", 1), line: 5},
		{rule: "single-replica-production", trip: "replicas: 1\n" + prod, pass: "replicas: 2\n" + prod, env: "production", line: 12},
		{rule: "single-replica-production", trip: "autoscale: {min: 1, max: 4, cpu: 60}\nrequests: {cpu: 0.1}\n" + prod, pass: "autoscale: {min: 2, max: 4, cpu: 60}\nrequests: {cpu: 0.1}\n" + prod, env: "production", line: 12},
		{rule: "mutable-image-tag", trip: strings.Replace(clean, "web:1.4.2", "web:latest", 1), pass: strings.Replace(clean, "web:1.4.2", "web@sha256:"+strings.Repeat("a", 64), 1), line: 3},
		{rule: "mutable-image-tag", trip: strings.Replace(clean, "web:1.4.2", "web", 1), pass: clean, line: 3},
		{rule: "image-not-ecr", trip: strings.Replace(clean, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2", "nginx:1.27", 1), pass: strings.Replace(clean, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2", "public.ecr.aws/nginx/nginx:1.27", 1), line: 3},
		{rule: "ephemeral-data-path", trip: "env: {DATA_DIR: /var/lib/app}\n", pass: "env: {DATA_DIR: /var/lib/app}\nvolumes:\n  - {name: data, path: /var/lib/app, efs: {fileSystem: fs-0123456789abcdef0, accessPoint: fsap-0123456789abcdef0}}\n", line: 12},
		{rule: "efs-without-access-point", trip: "volumes:\n  - {name: data, path: /data, efs: {fileSystem: fs-0123456789abcdef0}}\n", pass: "volumes:\n  - {name: data, path: /data, efs: {fileSystem: fs-0123456789abcdef0, accessPoint: fsap-0123456789abcdef0}}\n", line: 13},
		{rule: "internal-without-discovery", trip: strings.Replace(clean, "  discovery: {namespace: ns-0abc}\n", "", 1), pass: clean, line: 7},
		{rule: "public-without-health-path", trip: strings.Replace(clean, "expose: internal", public, 1) + tg, pass: strings.Replace(strings.Replace(clean, "expose: internal", public, 1), cmdHealth, "{path: /healthz}", 1) + tg, line: 7},
		{rule: "eks-secrets-without-role", trip: strings.Replace(clean, "role: arn:aws:iam::123456789012:role/web\n", "", 1) + "secrets: {DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db'}\n", pass: clean + "secrets: {DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db'}\n", line: 11},
		{rule: "eks-cpu-limit-throttles", trip: "autoscale: {min: 2, max: 4, cpu: 60}\n", pass: "autoscale: {min: 2, max: 4, cpu: 60}\nrequests: {cpu: 0.1}\n", line: 12},
		{rule: "eks-no-disruption-budget", trip: "replicas: 3\n", pass: "replicas: 3\neks: {disruptionBudget: {maxUnavailable: 1}}\n", line: 12},
		{rule: "eks-no-disruption-budget", trip: "autoscale: {min: 2, max: 4, cpu: 60}\nrequests: {cpu: 0.1}\n", pass: "replicas: 1\n", line: 12},
		{rule: "efs-platform-version", trip: strings.Replace(clean, "  discovery:", "  platformVersion: 1.3.0\n  discovery:", 1) + "volumes:\n  - {name: data, path: /data, efs: {fileSystem: fs-0123456789abcdef0, accessPoint: fsap-0123456789abcdef0}}\n", pass: strings.Replace(clean, "  discovery:", "  platformVersion: 1.4.0\n  discovery:", 1) + "volumes:\n  - {name: data, path: /data, efs: {fileSystem: fs-0123456789abcdef0, accessPoint: fsap-0123456789abcdef0}}\n", line: 11},
		{rule: "eks-default-namespace-production", trip: "replicas: 2\n" + prod, pass: "replicas: 2\neks: {namespace: web}\n" + prod, env: "production", line: 1},
		{rule: "override-covers-neutral-field", trip: strings.Replace(clean, "  discovery:", "  overrides: [{path: 'taskDefinition.containerDefinitions[name=web].image', value: 'web:2'}]\n  discovery:", 1), pass: strings.Replace(clean, "  discovery:", "  overrides: [{path: 'taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled', value: true}]\n  discovery:", 1), line: 11},
		{rule: "override-covers-neutral-field", trip: strings.Replace(clean, "  discovery:", "  overrides: [{path: 'service.serviceConnectConfiguration.services[0].clientAliases', value: [{port: 80}]}]\n  discovery:", 1), pass: strings.Replace(clean, "  discovery:", "  overrides: [{path: 'service.serviceConnectConfiguration.services[0].timeout.idleTimeoutSeconds', value: 120}]\n  discovery:", 1), line: 11},
		{rule: "override-covers-neutral-field", trip: "eks:\n  patches: [{kind: Deployment, patch: {spec: {replicas: 5, template: {spec: {shareProcessNamespace: true}}}}}]\n", pass: "eks:\n  patches: [{kind: Deployment, patch: {spec: {template: {spec: {shareProcessNamespace: true}}}}}]\n", line: 13},
		{rule: "override-covers-neutral-field", trip: "eks:\n  patches: [{kind: Deployment, jsonPatch: [{op: replace, path: /spec/template/spec/containers/0/image, value: 'web:2'}]}]\n", pass: "eks:\n  patches: [{kind: Deployment, jsonPatch: [{op: add, path: /spec/template/spec/containers/0/lifecycle, value: {postStart: {exec: {command: [x]}}}}]}]\n", line: 13},
		{rule: "portability", trip: strings.Replace(clean, cmdHealth, "{path: /healthz}", 1), pass: clean, line: 5},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			build := func(s string) string {
				if strings.HasPrefix(s, "version") {
					return s
				}
				return clean + s
			}
			got := lintSpec(t, build(tc.trip), tc.env, false)
			var hit *Finding
			for i := range got {
				if got[i].Rule == tc.rule {
					hit = &got[i]
				}
			}
			if hit == nil {
				t.Fatalf("not tripped; findings: %v", got)
			}
			if tc.line > 0 && hit.Line != tc.line {
				t.Errorf("at line %d, want %d: %s", hit.Line, tc.line, hit)
			}
			if hit.Message == "" || (hit.Fix == "" && tc.rule != "portability") {
				t.Errorf("needs a message and a fix: %s", hit)
			}
			// a finding built with its arguments out of place shows as a format error or
			// as a fix where the target goes
			if strings.Contains(hit.Message+hit.Fix, "%!") || strings.Contains(hit.Message, "%s") ||
				(hit.Target != "" && hit.Target != "ecs" && hit.Target != "eks") {
				t.Errorf("malformed finding: target %q, message %q, fix %q", hit.Target, hit.Message, hit.Fix)
			}
			for _, f := range lintSpec(t, build(tc.pass), tc.env, false) {
				if f.Rule == tc.rule {
					t.Errorf("tripped by the near spec: %s", f)
				}
			}
		})
	}
}

// TestDisable: a rule disabled with a reason is skipped; without a reason, or an unknown id,
// the lint: block itself is an error.
func TestDisable(t *testing.T) {
	src := strings.Replace(clean, "web:1.4.2", "web:latest", 1)
	fs := lintSpec(t, src+"lint:\n  disable: {mutable-image-tag: 'dev image, rebuilt on every push'}\n", "", false)
	if len(fs) != 0 {
		t.Errorf("disabled with a reason: %v", fs)
	}
	fs = lintSpec(t, src+"lint:\n  disable: {mutable-image-tag: ''}\n", "", false)
	if len(fs) != 2 || fs[0].Rule != "mutable-image-tag" || fs[1].Rule != "lint-config" || !strings.Contains(fs[1].String(), "shipit.yaml:13:32: error lint-config: lint.disable.mutable-image-tag: a disabled rule needs its reason") {
		t.Errorf("no reason: %v", fs)
	}
	fs = lintSpec(t, clean+"lint:\n  disable: {no-such-rule: because}\n", "", false)
	if len(fs) != 1 || !strings.Contains(fs[0].String(), `error lint-config: lint.disable.no-such-rule: no rule "no-such-rule" (known rules: plaintext-secret,`) {
		t.Errorf("unknown rule: %v", fs)
	}
}

// TestStrictAndFormat: --strict makes warnings errors; the one-line format names file, line,
// column, severity, rule, field, message and fix.
func TestStrictAndFormat(t *testing.T) {
	src := strings.Replace(clean, "web:1.4.2", "web:latest", 1)
	fs := lintSpec(t, src, "", false)
	if HasErrors(fs) || len(fs) != 1 {
		t.Fatalf("%v", fs)
	}
	want := "shipit.yaml:3:8: warning mutable-image-tag: image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest: latest moves, so two deploys of one spec can run different code and a rollback may not go back (tag images with a version or the commit SHA)"
	if fs[0].String() != want {
		t.Errorf("got  %s\nwant %s", fs[0], want)
	}
	if fs := lintSpec(t, src, "", true); !HasErrors(fs) || fs[0].Severity != Error {
		t.Errorf("strict: %v", fs)
	}
}

// TestEveryRuleIsTested keeps the table above complete as rules are added.
func TestEveryRuleIsTested(t *testing.T) {
	src, _ := readTestFile()
	for _, r := range Rules() {
		if !strings.Contains(src, `rule: "`+r.ID+`"`) {
			t.Errorf("rule %s has no row in TestRules", r.ID)
		}
		if r.Summary == "" || (r.Severity != Error && r.Severity != Warning) {
			t.Errorf("rule %s: summary %q severity %q", r.ID, r.Summary, r.Severity)
		}
	}
}

// TestReadmeListsRules: the README's table has every rule.
func TestReadmeListsRules(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(b), "| `"+r.ID+"` | "+r.Severity+" |") {
			t.Errorf("README.md does not list rule %s", r.ID)
		}
	}
}

// The most specific spec field is named: an awslogs option shipit writes from its own field.
func TestCoveredByNamesTheClosestField(t *testing.T) {
	for path, want := range map[string]string{
		"taskDefinition.containerDefinitions.logConfiguration.options.awslogs-group": "ecs.logGroup",
		"taskDefinition.containerDefinitions.logConfiguration.options.mode":          "ecs.logDriver / ecs.logOptions",
		"service.serviceName": "ecs.serviceName",
	} {
		if got, _ := coveredBy(path); got != want {
			t.Errorf("%s: covered by %q, want %q", path, got, want)
		}
	}
}

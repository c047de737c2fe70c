package spec

import (
	"strings"
	"testing"
)

// base is a spec valid for both targets; each case changes one thing.
const base = `version: 1
name: web
image: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:1
port: 80
cpu: 0.5
memory: 1Gi
ecs:
  region: ap-northeast-2
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

func load(t *testing.T, src string, env map[string]string, envName string) (*App, error) {
	t.Helper()
	return Parse("shipit.yaml", []byte(src), Options{Environment: envName, Getenv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
}

// TestLoadErrors has one row per load-time rule, each with the exact message a user sees.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, src string
		env       map[string]string
		envName   string
		want      string
	}{
		{"typo with hint", base + "replcas: 3\n", nil, "",
			"shipit.yaml:11:1: replcas: unknown field (did you mean replicas?)"},
		{"nested typo", base + "health: {pth: /x}\n", nil, "",
			"shipit.yaml:11:10: health.pth: unknown field (did you mean path?)"},
		{"unknown field, nothing close", base + "zzzzzzzzzz: 1\n", nil, "",
			"shipit.yaml:11:1: zzzzzzzzzz: unknown field (known fields: args, autoscale, command, cpu, ecs, eks, env, environments, expose, health, image, labels, logs, memory, name, port, ports, replicas, role, rollout, secrets, sidecars, version, volumes)"},
		{"unset variable", strings.Replace(base, "web:1", "web:${TAG}", 1), nil, "",
			"shipit.yaml:3:8: image: environment variable TAG is unset or empty (export TAG=… or give a default: ${TAG:-value})"},
		{"missing name", strings.Replace(base, "name: web\n", "", 1), nil, "",
			"shipit.yaml:1:1: name: required (add: name: my-app (lowercase letters, digits and '-'))"},
		{"name not a label", strings.Replace(base, "name: web", "name: Web_App", 1), nil, "",
			"shipit.yaml:2:7: name: \"Web_App\" is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit) (try web-app)"},
		{"name too long", strings.Replace(base, "name: web", "name: "+strings.Repeat("a", 64), 1), nil, "",
			"shipit.yaml:2:7: name: \"" + strings.Repeat("a", 64) + "\" is 64 characters long; names are DNS labels of at most 63 (shorten it to 63 characters or fewer)"},
		{"missing image", strings.Replace(base, "image: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:1\n", "", 1), nil, "",
			"shipit.yaml:1:1: image: required (add: image: <registry>/<repo>:<tag>)"},
		{"wrong version", strings.Replace(base, "version: 1", "version: 2", 1), nil, "",
			"shipit.yaml:1:10: version: unsupported version 2 (this shipit reads version: 1)"},
		{"int field gets text", base + "replicas: three\n", nil, "",
			`shipit.yaml:11:11: replicas: expected a whole number, got "three"`},
		{"list field gets scalar", base + "command: /app\n", nil, "",
			`shipit.yaml:11:10: command: expected a list, got "/app" (write [/app])`},
		{"port and ports", base + "ports: [{port: 81}]\n", nil, "",
			"shipit.yaml:4:7: port: set either port: (shorthand) or ports:, not both (remove port: or ports:)"},
		{"port out of range", strings.Replace(base, "port: 80", "port: 70000", 1), nil, "",
			"shipit.yaml:4:7: ports[0].port: 70000 is not a port number (1–65535)"},
		{"bad cpu", strings.Replace(base, "cpu: 0.5", "cpu: lots", 1), nil, "",
			`shipit.yaml:5:6: cpu: "lots" is not a CPU amount (write vCPUs such as 0.5 or millicores such as "500m")`},
		{"memory without unit", strings.Replace(base, "memory: 1Gi", "memory: 1024", 1), nil, "",
			`shipit.yaml:6:9: memory: "1024" has no unit (write a size with a unit, such as 512Mi or 1Gi)`},
		{"autoscale max below min", base + "autoscale: {min: 5, max: 2, cpu: 70}\n", nil, "",
			"shipit.yaml:11:26: autoscale.max: 2 is less than min 5 (set max to 5 or more)"},
		{"autoscale without target", base + "autoscale: {min: 1, max: 2}\n", nil, "",
			"shipit.yaml:11:1: autoscale: needs a cpu or memory target (add cpu: 70 (target average utilisation, percent))"},
		{"replicas outside autoscale", base + "replicas: 20\nautoscale: {min: 1, max: 5, cpu: 70}\n", nil, "",
			"shipit.yaml:11:11: replicas: 20 is outside autoscale's 1–5"},
		{"secret value instead of reference", base + "secrets: {DB_PASSWORD: hunter2}\n", nil, "",
			"shipit.yaml:11:24: secrets.DB_PASSWORD: not a secret reference (secrets hold references, never values) (use a Secrets Manager ARN, an SSM parameter ARN or k8s:<secret>/<key>)"},
		{"env and secret twice", base + "env: {A: x}\nsecrets: {A: 'k8s:s/k'}\n", nil, "",
			"shipit.yaml:11:10: env.A: A is both in env and in secrets (keep it in one of env: or secrets:)"},
		{"health path without slash", base + "health: {path: healthz}\n", nil, "",
			`shipit.yaml:11:16: health.path: "healthz" must start with / (write /healthz)`},
		{"health port not exposed", base + "health: {path: /h, port: 81}\n", nil, "",
			"shipit.yaml:11:26: health.port: port 81 is not one of the app's ports (use one of the app's ports)"},
		{"health timeout not below interval", base + "health: {path: /h, interval: 5s, timeout: 5s}\n", nil, "",
			"shipit.yaml:11:43: health.timeout: 5s is not shorter than the interval 5s (make the timeout shorter than the interval)"},
		{"expose without ports", strings.Replace(base, "port: 80\n", "", 1) + "expose: public\n", nil, "",
			`shipit.yaml:10:9: expose: "public" needs at least one port (add port: N, or expose: none)`},
		{"role not an ARN", base + "role: web-role\n", nil, "",
			`shipit.yaml:11:7: role: "web-role" is not an IAM role ARN (use arn:aws:iam::<account>:role/<name>)`},
		{"volume without efs", base + "volumes: [{name: data, path: /data}]\n", nil, "",
			"shipit.yaml:11:11: volumes[0]: needs a source: efs (add efs: {fileSystem: fs-…})"},
		{"sidecar without limits", base + "sidecars: [{name: log, image: x, memory: 64Mi}]\n", nil, "",
			"shipit.yaml:11:12: sidecars[0].cpu: required: every container has a limit (e.g. cpu: 0.25)"},
		{"sidecars overflow", base + "sidecars: [{name: log, image: x, cpu: 0.5, memory: 512Mi}]\n", nil, "",
			"shipit.yaml:11:1: sidecars: the sidecars take 0.5 vCPU / 512 MiB of the app's 0.5 vCPU / 1 GiB, leaving less than 0.125 vCPU / 128 MiB for the app container (raise cpu/memory to at least 1 vCPU / 2 GiB)"},
		{"rollout both zero", base + "rollout: {maxSurge: 0%, maxUnavailable: 0%}\n", nil, "",
			"shipit.yaml:11:21: rollout.maxSurge: maxSurge and maxUnavailable cannot both be 0%: the rollout could never start (set maxSurge above 0%)"},
		{"log retention CloudWatch lacks", base + "logs: {retention: 31d}\n", nil, "",
			`shipit.yaml:11:19: logs.retention: "31d" is not a retention CloudWatch Logs offers (CloudWatch keeps logs for 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d, … 365d, … 3653d)`},
		{"unknown environment", base + "environments: {staging: {replicas: 1}, prod: {}}\n", nil, "qa",
			`shipit.yaml: environments: unknown environment "qa" (known environments: prod, staging)`},
		{"typo inside an environment", base + "environments:\n  staging: {replcas: 1}\n", nil, "",
			"shipit.yaml:12:13: environments.staging.replcas: unknown field (did you mean replicas?)"},
		{"environment changes name", base + "environments:\n  staging: {name: other}\n", nil, "",
			"shipit.yaml:12:19: environments.staging.name: name cannot be changed per environment"},
		{"not YAML", "version: 1\nname: [\n", nil, "",
			"shipit.yaml:2:1: not valid YAML: did not find expected node content"},
		{"empty file", "", nil, "",
			"shipit.yaml:1:1: the spec is empty (start with: version: 1, name: …, image: …)"},
		{"aliases refused", base + "labels: &l {a: b}\nenv: *l\n", nil, "",
			"shipit.yaml:11:9: YAML anchors and aliases are not supported (write the values out, or use environments for variations)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.src, c.env, c.envName)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
			if err != nil {
				if _, ok := err.(Errors); !ok {
					t.Errorf("error is %T, want spec.Errors (exit 2)", err)
				}
			}
		})
	}
}

// TestTargetErrors has one row per target-aware rule.
func TestTargetErrors(t *testing.T) {
	cases := []struct {
		name, src, target, want string
	}{
		{"impossible Fargate pair", strings.Replace(base, "memory: 1Gi", "memory: 512Mi", 1), TargetECS,
			"shipit.yaml:6:9: memory: [ecs] 0.5 vCPU with 512 MiB is not a size Fargate runs; 0.5 vCPU takes 1 GiB to 4 GiB in 1 GiB steps (nearest valid size: 0.5 vCPU / 1 GiB)"},
		{"CPU Fargate lacks", strings.Replace(base, "cpu: 0.5", "cpu: 0.3", 1), TargetECS,
			"shipit.yaml:5:6: cpu: [ecs] 0.3 vCPU with 1 GiB is not a size Fargate runs; Fargate offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU (nearest valid size: 0.5 vCPU / 1 GiB)"},
		{"too big for Fargate", strings.Replace(strings.Replace(base, "cpu: 0.5", "cpu: 16", 1), "memory: 1Gi", "memory: 200Gi", 1), TargetECS,
			"shipit.yaml:6:9: memory: [ecs] 16 vCPU with 200 GiB is not a size Fargate runs; 16 vCPU takes 32 GiB to 120 GiB in 8 GiB steps (nearest valid size: 16 vCPU / 120 GiB)"},
		{"the same spec is fine on EKS", strings.Replace(base, "cpu: 0.5", "cpu: 0.3", 1), TargetEKS, ""},
		{"k8s secret on ECS", base + "secrets: {SESSION: 'k8s:web/session'}\n", TargetECS,
			"shipit.yaml:11:20: secrets.SESSION: [ecs] a k8s: secret exists only on Kubernetes; ECS reads secrets from Secrets Manager or SSM (use a Secrets Manager or SSM ARN, or move it under environments for EKS only)"},
		{"k8s secret on EKS is fine", base + "secrets: {SESSION: 'k8s:web/session'}\n", TargetEKS, ""},
		{"no execution role", strings.Replace(base, "  executionRole: arn:aws:iam::123456789012:role/exec\n", "", 1) + "secrets: {A: 'arn:aws:ssm:ap-northeast-2:123456789012:parameter/a'}\n", TargetECS,
			"shipit.yaml:7:1: ecs.executionRole: [ecs] required: awslogs logging, pulling from ECR, reading secrets need an execution role (add ecs.executionRole: arn:aws:iam::<account>:role/ecsTaskExecutionRole)"},
		{"no subnets", strings.Replace(base, "  subnets: [subnet-0abc]\n", "", 1), TargetECS,
			"shipit.yaml:7:1: ecs.subnets: [ecs] required: Fargate tasks (awsvpc) need at least one subnet (add ecs.subnets: [subnet-…])"},
		{"public without target group", base + "expose: public\n", TargetECS,
			"shipit.yaml:7:1: ecs.targetGroup: [ecs] required for expose: public on ECS (add ecs.targetGroup: arn:aws:elasticloadbalancing:…:targetgroup/…)"},
		{"cluster and context", base + "eks: {cluster: a, context: b}\n", TargetEKS,
			"shipit.yaml:11:28: eks.context: [eks] eks.cluster and eks.context both say how to reach the cluster (keep one of eks.cluster and eks.context)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := load(t, c.src, nil, "")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			errs, _ := app.Validate(c.target)
			got := ""
			if len(errs) > 0 {
				got = errs.Error()
			}
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	app, err := load(t, base+"env: {DB_PASSWORD: x}\nrole: arn:aws:iam::123456789012:role/exec\n", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	got := app.Warnings()
	if len(got) != 1 || got[0].Error() != "shipit.yaml:11:20: env.DB_PASSWORD: DB_PASSWORD looks like a secret in plaintext (move it to secrets: as a Secrets Manager or SSM reference)" {
		t.Errorf("warnings: %v", got)
	}
	_, warns := app.Validate(TargetECS)
	if len(warns) != 1 || !strings.Contains(warns[0].Message, "the task role and the execution role are the same role") {
		t.Errorf("ecs warnings: %v", warns)
	}
}

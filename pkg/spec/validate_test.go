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
		{"EFS access point without transit encryption", base + "volumes: [{name: data, path: /data, efs: {fileSystem: fs-12345678, accessPoint: fsap-0123456789abcdef0, transitEncryption: false}}]\n", nil, "",
			"shipit.yaml:11:124: volumes[0].efs.transitEncryption: ECS and the EFS CSI driver mount an access point only with transit encryption (drop transitEncryption: false, or the access point)"},
		{"unknown field, nothing close", base + "zzzzzzzzzz: 1\n", nil, "",
			"shipit.yaml:11:1: zzzzzzzzzz: unknown field (known fields: args, autoscale, command, containerName, cpu, dependsOn, ecs, eks, env, environments, expose, health, image, init, labels, limits, lint, logs, memory, name, port, ports, replicas, requests, role, rollout, secrets, security, sidecars, stopCommand, stopGrace, version, volumes)"},
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
		{"ephemeral storage request above its limit", base + "requests: {ephemeralStorage: 2Gi}\nlimits: {ephemeralStorage: 1Gi}\n", nil, "",
			"shipit.yaml:11:30: requests.ephemeralStorage: 2Gi is more than limits.ephemeralStorage 1Gi (requests stay at or below the limit)"},
		{"ephemeral storage not a quantity", base + "requests: {ephemeralStorage: lots}\n", nil, "",
			`shipit.yaml:11:30: requests.ephemeralStorage: "lots" is not a quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (write a size such as 1Gi or 500Mi)`},
		{"grace and startup failures both", base + "health: {path: /ready, grace: 60s, startup: {path: /healthy, failures: 30}}\n", nil, "",
			"shipit.yaml:11:72: health.startup.failures: health.grace and health.startup.failures both say how long start-up may take (keep health.grace (failures are then grace ÷ interval + 1) or startup.failures)"},
		{"startup successes above 1", base + "health: {path: /ready, startup: {path: /healthy, successes: 2}}\n", nil, "",
			"shipit.yaml:11:61: health.startup.successes: 2: a startup check succeeds on one success (drop it: Kubernetes requires 1 for a startup probe)"},
		{"a sidecar's startup check", base + "sidecars: [{name: log, image: x, health: {command: [x], startup: {command: [y]}}}]\n", nil, "",
			"shipit.yaml:11:57: sidecars[0].health.startup: only the app's health has a startup check (drop it; a sidecar's health is its readiness and liveness)"},
		{"volume item at an absolute path", base + "volumes: [{name: tls, path: /tls, secret: {name: web-tls, items: [{key: tls.crt, path: /etc/tls.crt}]}}]\n", nil, "",
			`shipit.yaml:11:88: volumes[0].secret.items[0].path: "/etc/tls.crt" must be a relative path (write it relative to the volume's path, e.g. etc/tls.crt)`},
		{"volume item mode above 0777", base + "volumes: [{name: tls, path: /tls, secret: {name: web-tls, items: [{key: tls.key, path: tls.key, mode: 0o1000}]}}]\n", nil, "",
			"shipit.yaml:11:103: volumes[0].secret.items[0].mode: 0o1000 (512) is not a file mode (write an octal mode from 0 to 0777, e.g. 0o400)"},
		{"port out of range", strings.Replace(base, "port: 80", "port: 70000", 1), nil, "",
			"shipit.yaml:4:7: ports[0].port: 70000 is not a port number (1–65535)"},
		{"bad cpu", strings.Replace(base, "cpu: 0.5", "cpu: lots", 1), nil, "",
			`shipit.yaml:5:6: cpu: "lots" is not a CPU amount (write vCPUs such as 0.5 or millicores such as "500m")`},
		{"memory without unit", strings.Replace(base, "memory: 1Gi", "memory: 1024", 1), nil, "",
			`shipit.yaml:6:9: memory: "1024" has no unit (write a size with a unit, such as 512Mi or 1Gi)`},
		{"autoscale max below min", base + "autoscale: {min: 5, max: 2, cpu: 70}\n", nil, "",
			"shipit.yaml:11:26: autoscale.max: 2 is less than min 5 (set max to 5 or more)"},
		{"autoscale without target", base + "autoscale: {min: 1, max: 2}\n", nil, "",
			"shipit.yaml:11:1: autoscale: needs a cpu, memory or requests target (add cpu: 70 (target average utilisation, percent))"},
		{"negative requests per task", base + "autoscale: {min: 1, max: 4, cpu: 50, requests: -5}\n", nil, "",
			"shipit.yaml:11:48: autoscale.requests: -5 is not a number of requests per task"},
		{"replicas outside autoscale", base + "replicas: 20\nautoscale: {min: 1, max: 5, cpu: 70}\n", nil, "",
			"shipit.yaml:11:11: replicas: 20 is outside autoscale's 1–5"},
		{"secret value instead of reference", base + "secrets: {DB_PASSWORD: hunter2}\n", nil, "",
			"shipit.yaml:11:24: secrets.DB_PASSWORD: not a secret reference (secrets hold references, never values) (use a Secrets Manager ARN, an SSM parameter ARN or name (/app/db-password), or k8s:<secret>/<key>)"},
		{"secrets manager ARN with a partial suffix", base + "secrets: {DB_USER: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf:username'}\n", nil, "",
			"shipit.yaml:11:20: secrets.DB_USER: not a Secrets Manager reference ECS can read (write the ARN alone, or with all three parts: …:secret:NAME-AbCdEf:json-key:version-stage:version-id (empty parts allowed, e.g. …:username::))"},
		{"secrets manager version stage and id", base + "secrets: {DB_USER: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf:username:AWSCURRENT:0f3c'}\n", nil, "",
			"shipit.yaml:11:20: secrets.DB_USER: a Secrets Manager reference takes a version stage or a version id, not both (keep the version stage or the version id (…:json-key:stage: or …:json-key::id))"},
		{"port 0 is not dropped", strings.Replace(base, "port: 80", "port: 0", 1), nil, "",
			"shipit.yaml:4:7: ports[0].port: 0 is not a port number (1–65535)"},
		{"negative port is not dropped", strings.Replace(base, "port: 80", "port: -80", 1), nil, "",
			"shipit.yaml:4:7: ports[0].port: -80 is not a port number (1–65535)"},
		{"replicas past int32", base + "replicas: 4294967296\n", nil, "",
			"shipit.yaml:11:11: replicas: 4294967296 is more replicas than Kubernetes or ECS can hold (at most 2147483647)"},
		{"autoscale max past int32", base + "autoscale: {min: 1, max: 4294967296, cpu: 70}\n", nil, "",
			"shipit.yaml:11:26: autoscale.max: 4294967296 is more replicas than Kubernetes or ECS can hold (at most 2147483647)"},
		{"rollout timeout past int32 seconds", base + "rollout: {timeout: 1000000h}\n", nil, "",
			"shipit.yaml:11:20: rollout.timeout: 1000000h is longer than Kubernetes and ECS can hold (at most 2147483647s, about 68 years)"},
		{"health grace past int32 seconds", base + "health: {path: /h, grace: 2147483648s}\n", nil, "",
			"shipit.yaml:11:27: health.grace: 2147483648s is longer than Kubernetes and ECS can hold (at most 2147483647s, about 68 years)"},
		{"days that overflow a duration", base + "rollout: {timeout: 9999999999d}\n", nil, "",
			`shipit.yaml:11:20: rollout.timeout: "9999999999d" is not a duration of whole seconds (write whole seconds such as 10s)`},
		{"a huge bad value is not echoed whole", base + "secrets: {A: " + strings.Repeat("x", 100000) + "}\n", nil, "",
			"shipit.yaml:11:14: secrets.A: not a secret reference (secrets hold references, never values) (use a Secrets Manager ARN, an SSM parameter ARN or name (/app/db-password), or k8s:<secret>/<key>)"},
		{"cpu beyond any platform", strings.Replace(base, "cpu: 0.5", "cpu: 1Ei", 1), nil, "",
			`shipit.yaml:5:6: cpu: "1Ei" is more CPU than any platform runs (write vCPUs such as 0.5 or millicores such as "500m")`},
		{"env and secret twice", base + "env: {A: x}\nsecrets: {A: 'k8s:s/k'}\n", nil, "",
			"shipit.yaml:11:10: env.A: A is both in env and in secrets (keep it in one of env: or secrets:)"},
		{"health path without slash", base + "health: {path: healthz}\n", nil, "",
			`shipit.yaml:11:16: health.path: "healthz" must start with / (write /healthz)`},
		{"health port not exposed", base + "health: {path: /h, port: 81}\n", nil, "",
			"shipit.yaml:11:26: health.port: port 81 is not one of the app's ports (use one of the app's ports)"},
		{"expose without ports", strings.Replace(base, "port: 80\n", "", 1) + "expose: public\n", nil, "",
			`shipit.yaml:10:9: expose: "public" needs at least one exposed port (add port: N (or a port without expose: false), or expose: none)`},
		{"role not an ARN", base + "role: web-role\n", nil, "",
			`shipit.yaml:11:7: role: "web-role" is not an IAM role ARN (use arn:aws:iam::<account>:role/<name>)`},
		{"volume without efs", base + "volumes: [{name: data, path: /data}]\n", nil, "",
			"shipit.yaml:11:11: volumes[0]: needs exactly one source, has 0 (give it exactly one of efs: {fileSystem: fs-…}, scratch: {}, secret: {name: …} or configMap: {name: …})"},
		{"volume mounted nowhere", base + "volumes: [{name: tmp, scratch: {}}]\n", nil, "",
			"shipit.yaml:11:11: volumes[0].path: required: the volume is mounted nowhere (add path: /data, or mount it into a sidecar (sidecars[].mounts))"},
		{"sidecar mounts an unknown volume", base + "sidecars: [{name: log, image: x, cpu: 0.125, memory: 128Mi, mounts: [{volume: nope, path: /x}]}]\n", nil, "",
			"shipit.yaml:11:79: sidecars[0].mounts[0].volume: no volume named \"nope\" (name one of volumes:)"},
		{"service port of a hidden port", strings.Replace(base, "port: 80", "ports: [{port: 80}, {name: metrics, port: 9090, servicePort: 90, expose: false}]", 1), nil, "",
			"shipit.yaml:4:62: ports[1].servicePort: a port that is not exposed has no service port (drop servicePort or expose: false)"},
		{"two ports on one service port", strings.Replace(base, "port: 80", "ports: [{port: 80}, {name: alt, port: 8080, servicePort: 80}]", 1), nil, "",
			"shipit.yaml:4:58: ports[1].servicePort: service port 80/tcp is used twice (give each exposed port its own service port)"},
		{"fsGroup on a sidecar", base + "sidecars: [{name: log, image: x, cpu: 0.125, memory: 128Mi, security: {fsGroup: 1}}]\n", nil, "",
			"shipit.yaml:11:81: sidecars[0].security.fsGroup: fsGroup is a pod setting (set fsGroup in the app's security: it applies to the whole pod)"},
		{"a limit above what the app container has", base + "limits: {memory: 2Gi}\n", nil, "",
			"shipit.yaml:11:18: limits.memory: 2 GiB is more than the 1 GiB the app container has (raise memory, or lower the limit)"},
		{"dependsOn an unknown container", base + "sidecars: [{name: a, image: x, cpu: 0.125, memory: 64Mi, dependsOn: [{container: nope, condition: START}]}]\n", nil, "",
			"shipit.yaml:11:82: sidecars[0].dependsOn[0].container: no other container named \"nope\" (name the app, another sidecar or an init container)"},
		{"an init container with ports", base + "init: [{name: m, image: x, ports: [{port: 1}]}]\n", nil, "",
			"shipit.yaml:11:8: init[0]: an init container runs once: no ports, health, dependsOn or firelens (keep name, image, command, args, env, cpu, memory, requests, security and mounts)"},
		{"a check of two kinds", base + "health: {path: /h, tcp: true}\n", nil, "",
			"shipit.yaml:11:1: health: checks one thing; it has 2 (keep one of path, tcp, grpc and command)"},
		{"liveness with successes", base + "health: {path: /h, liveness: {path: /live, successes: 2}}\n", nil, "",
			"shipit.yaml:11:55: health.liveness.successes: 2: a liveness check succeeds on one success (Kubernetes requires 1 for liveness)"},
		{"headers without a path", base + "health: {command: [x], headers: {A: b}}\n", nil, "",
			"shipit.yaml:11:24: health.headers: headers need an HTTP check (headers go with path:)"},
		{"requests above the limit", base + "requests: {cpu: 1}\n", nil, "",
			"shipit.yaml:11:17: requests.cpu: 1 vCPU is more than the container's 0.5 vCPU (requests stay at or below the limit)"},
		{"non-root as root", base + "security: {runAsNonRoot: true, runAsUser: 0}\n", nil, "",
			"shipit.yaml:11:43: security.runAsUser: runAsNonRoot with runAsUser 0 can never start (use a non-zero uid, or drop runAsNonRoot)"},
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
		{"sidecar without limits on EKS", base + "sidecars: [{name: log, image: x, memory: 64Mi}]\n", TargetEKS,
			"shipit.yaml:11:12: sidecars[0].cpu: [eks] required on Kubernetes: every container has a limit (e.g. cpu: 0.25)"},
		{"sidecar sharing the task on ECS", base + "sidecars: [{name: log, image: x}]\n", TargetECS, ""},
		{"a GPU on Fargate", base + "limits: {gpu: 1}\n", TargetECS,
			"shipit.yaml:11:15: limits.gpu: [ecs] ECS on Fargate does not support GPU resourceRequirements: Fargate tasks have no GPUs (run GPU work on EKS, or remove limits.gpu for ECS)"},
		{"a GPU on EKS", base + "limits: {gpu: 1}\n", TargetEKS, ""},
		{"Kubernetes Secret volume on ECS", base + "volumes: [{name: tls, path: /tls, secret: {name: web-tls}}]\n", TargetECS,
			"shipit.yaml:11:11: volumes[0]: [ecs] a Kubernetes Secret or ConfigMap volume exists only on Kubernetes (move it under environments for EKS only, or read the values through secrets:)"},
		{"tmpfs on Fargate", base + "volumes: [{name: tmp, path: /tmp, scratch: {memory: true}}]\n", TargetECS,
			"shipit.yaml:11:53: volumes[0].scratch.memory: [ecs] Fargate has no memory-backed (tmpfs) volumes (drop memory: true for ECS (the scratch volume is then on the task's ephemeral storage))"},
		{"capability Fargate cannot add", base + "security: {capabilities: {add: [NET_ADMIN]}}\n", TargetECS,
			"shipit.yaml:11:27: security.capabilities.add: [ecs] NET_ADMIN cannot be added on Fargate (Fargate adds only SYS_PTRACE)"},
		{"group without user on ECS", base + "security: {runAsGroup: 1000}\n", TargetECS,
			"shipit.yaml:11:24: security.runAsGroup: [ecs] ECS cannot set a group without a user (add runAsUser: ECS's user field is uid or uid:gid)"},
		{"bad pod annotation key", base + "eks: {podAnnotations: {'bad key': x}}\n", TargetEKS,
			"shipit.yaml:11:35: eks.podAnnotations.bad key: [eks] Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
		{"stopGrace past Fargate's stopTimeout", base + "stopGrace: 300s\n", TargetECS,
			"shipit.yaml:11:12: stopGrace: [ecs] 300s is longer than Fargate's stopTimeout allows (at most 120s on Fargate)"},
		{"the same stopGrace on EKS", base + "stopGrace: 300s\n", TargetEKS, ""},
		{"toleration seconds without NoExecute", base + "eks: {tolerations: [{key: gpu, operator: Exists, effect: NoSchedule, seconds: 60}]}\n", TargetEKS,
			"shipit.yaml:11:79: eks.tolerations[0].seconds: [eks] seconds (tolerationSeconds) applies only to NoExecute (set effect: NoExecute)"},
		{"envFrom naming both", base + "eks: {envFrom: [{configMap: a, secret: b}]}\n", TargetEKS,
			"shipit.yaml:11:17: eks.envFrom[0]: [eks] names exactly one ConfigMap or Secret (give one of configMap: or secret:)"},
		{"eks.env reading every label", base + "eks: {env: {LABELS: {field: metadata.labels}}}\n", TargetEKS,
			"shipit.yaml:11:29: eks.env.LABELS.field: [eks] \"metadata.labels\" is not a pod field env can read (name one key: metadata.labels['app'] (env holds one value; a downwardAPI volume holds them all))"},
		{"eks.env from a pod field env cannot read", base + "eks: {env: {PHASE: {field: status.phase}}}\n", TargetEKS,
			"shipit.yaml:11:28: eks.env.PHASE.field: [eks] \"status.phase\" is not a pod field env can read (use one of metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s), metadata.labels['key'] or metadata.annotations['key'])"},
		{"eks.env from a ConfigMap without a key", base + "eks: {env: {USER: {configMap: demo}}}\n", TargetEKS,
			"shipit.yaml:11:13: eks.env.USER.key: [eks] required: which key of configMap demo (add key: <the configMap's key>)"},
		{"eks.env naming two sources", base + "eks: {env: {NS: {field: metadata.namespace, configMap: demo, key: ns}}}\n", TargetEKS,
			"shipit.yaml:11:13: eks.env.NS: [eks] needs exactly one source, has 2 (give one of field: metadata.namespace, configMap: <name> with key:, or secret: <name> with key:)"},
		{"a name in env and in eks.env", base + "env: {NS: x}\neks: {env: {NS: {field: metadata.namespace}}}\n", TargetEKS,
			"shipit.yaml:12:13: eks.env.NS: [eks] NS is both in env and in eks.env (keep it in one of env: and eks.env:)"},
		{"a Service port name Kubernetes refuses", strings.Replace(base, "port: 80", "ports: [{name: http-server, port: 8080, servicePortName: http_api}]", 1), TargetEKS,
			"shipit.yaml:4:58: ports[0].servicePortName: [eks] \"http_api\" is not a Kubernetes port name: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-) (e.g. http or grpc-api)"},
		{"a node port outside the range", strings.Replace(base, "port: 80", "ports: [{name: http, port: 8080, nodePort: 80}]", 1) + "eks: {serviceType: NodePort}\n", TargetEKS,
			"shipit.yaml:4:44: ports[0].nodePort: [eks] 80 is outside the cluster's node port range (use 30000–32767, the default service-node-port-range, or leave it out for one the cluster picks)"},
		{"a node port on a ClusterIP Service", strings.Replace(base, "port: 80", "ports: [{name: http, port: 8080, nodePort: 30001}]", 1), TargetEKS,
			"shipit.yaml:4:44: ports[0].nodePort: [eks] a node port needs a NodePort Service (add eks.serviceType: NodePort)"},
		{"NodePort where the NLB is the app's Service", base + "expose: public\neks: {publicVia: nlb, serviceType: NodePort}\n", TargetEKS,
			"shipit.yaml:12:36: eks.serviceType: [eks] with expose: public over an NLB the app's Service is the LoadBalancer (add eks.publicService: {name: web-external} for the load balancer, or drop eks.serviceType)"},
		{"a public Service of an internal app", base + "eks: {publicService: {name: web-external}}\n", TargetEKS,
			"shipit.yaml:11:7: eks.publicService: [eks] the public Service exists only for expose: public (set expose: public, or drop eks.publicService)"},
		{"a public Service named as the app's", base + "expose: public\neks: {publicService: {name: web}}\n", TargetEKS,
			"shipit.yaml:12:29: eks.publicService.name: [eks] web is already the app's Service (e.g. web-external)"},
		{"a startup window past ECS's startPeriod", base + "health: {command: [/bin/check], startup: {command: [/bin/started], interval: 10s, failures: 40}}\n", TargetECS,
			"shipit.yaml:11:33: health.startup: [ecs] the startup check allows 400s (initial delay + failures × interval); ECS's startPeriod takes at most 300s (set health.grace: 300s (or less) for ECS, or lower startup's failures or interval)"},
		{"two bases in a capacity strategy", strings.Replace(base, "  subnets:", "  capacityProviders: [{name: FARGATE, base: 1, weight: 1}, {name: FARGATE_SPOT, base: 2}]\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:3: ecs.capacityProviders: [ecs] only one provider of a strategy can have a base (give base to one provider)"},
		{"ephemeral storage below Fargate's", strings.Replace(base, "  subnets:", "  ephemeralStorage: 10Gi\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:21: ecs.ephemeralStorage: [ecs] \"10Gi\" is not an ephemeral storage size Fargate takes (write whole GiB from 21Gi to 200Gi)"},
		{"a ulimit ECS does not know", strings.Replace(base, "  subnets:", "  ulimits: [{name: files, soft: 1, hard: 2}]\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:20: ecs.ulimits[0].name: [ecs] \"files\" is not a ulimit ECS knows (e.g. nofile, nproc, memlock)"},
		{"awsfirelens without a router", strings.Replace(base, "  subnets:", "  logDriver: {name: awsfirelens}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:21: ecs.logDriver.name: [ecs] awsfirelens needs a FireLens log router (add a sidecar with firelens: {type: fluentbit})"},
		{"HEALTHY on a container without an ECS check", base + "sidecars: [{name: a, image: x}, {name: b, image: y, dependsOn: [{container: a, condition: HEALTHY}]}]\n", TargetECS,
			"shipit.yaml:11:91: sidecars[1].dependsOn[0].condition: [ecs] a has no ECS container health check to become HEALTHY (give that container a health command, or wait for START)"},
		{"an ALB for a port that is not HTTP", strings.Replace(base, "port: 80", "ports: [{name: pg, port: 5432}]", 1) + "expose: public\neks: {publicVia: alb}\n", TargetEKS,
			"shipit.yaml:12:18: eks.publicVia: [eks] an ALB routes HTTP: no exposed port is HTTP (name the HTTP port http (or https), or use publicVia: nlb)"},
		{"label value with a space on EKS", base + "labels: {team: web team}\n", TargetEKS,
			"shipit.yaml:11:16: labels.team: [eks] \"web team\" is not a Kubernetes label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?') (try web-team)"},
		{"label value with a space is an ECS tag value", base + "labels: {team: web team}\n", TargetECS, ""},
		{"label key with two slashes", base + "labels: {a/b/c: x}\n", TargetEKS,
			"shipit.yaml:11:17: labels.a/b/c: [eks] \"a/b/c\" is not a Kubernetes label key: a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName') (e.g. team or example.com/team)"},
		{"aws: tag key on ECS", base + "labels: {'aws:owner': x}\n", TargetECS,
			"shipit.yaml:11:23: labels.aws:owner: [ecs] \"aws:owner\": tag keys starting with aws: are reserved for AWS (drop the aws: prefix)"},
		{"FireLens container name on EKS", base + "sidecars: [{name: log_router, image: x, cpu: 0.125, memory: 128Mi}]\n", TargetEKS,
			"shipit.yaml:11:19: sidecars[0].name: [eks] \"log_router\" is a valid ECS container name but not a Kubernetes one: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?') (rename it log-router)"},
		{"ECS container name with a dot", base + "sidecars: [{name: log.router, image: x, cpu: 0.125, memory: 128Mi}]\n", TargetECS,
			"shipit.yaml:11:19: sidecars[0].name: [ecs] \"log.router\" is not an ECS container name (use letters, digits, '_' and '-' (at most 255))"},
		{"ECS health check interval below 5s", base + "health: {command: [/bin/check], interval: 3s, timeout: 2s}\n", TargetECS,
			"shipit.yaml:11:43: health.interval: [ecs] 3s is outside ECS's container health check bounds (ECS takes 5s to 300s)"},
		{"ECS health check retries above 10", base + "health: {command: [/bin/check], failures: 11}\n", TargetECS,
			"shipit.yaml:11:43: health.failures: [ecs] 11 is outside ECS's container health check bounds (ECS takes 1 to 10 retries)"},
		{"Kubernetes takes 11 failures", base + "health: {command: [/bin/check], failures: 11}\n", TargetEKS, ""},
		{"memory not in whole MiB on ECS", base + "sidecars: [{name: log, image: x, cpu: 0.125, memory: 100M}]\n", TargetECS,
			"shipit.yaml:11:54: sidecars[0].memory: [ecs] 100M is 95.37 MiB; ECS sizes memory in whole MiB (write 96Mi)"},
		{"more tasks than an ECS service runs", base + "replicas: 6000\n", TargetECS,
			"shipit.yaml:11:11: replicas: [ecs] 6000 is more tasks than an ECS service runs (quota: 5000 tasks per service) (at most 5000)"},
		{"target group with expose none", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  subnets:", 1) + "expose: none\n", TargetECS,
			"shipit.yaml:10:16: ecs.targetGroup: [ecs] a target group needs the app exposed; with expose: none nothing would be registered in it (set expose: internal (internal load balancer) or public, or remove ecs.targetGroup)"},
		{"existing service account without a name", base + "eks: {createServiceAccount: false}\n", TargetEKS,
			"shipit.yaml:11:29: eks.createServiceAccount: [eks] createServiceAccount: false needs the name of the existing ServiceAccount (add eks.serviceAccount: <the existing account's name>)"},
		{"App Mesh proxy that is not a sidecar", strings.Replace(base, "  subnets:", proxyOK("mesh", "80"), 1) + envoySidecar, TargetECS,
			"shipit.yaml:10:22: ecs.proxy.container: [ecs] no sidecar named \"mesh\" (add the proxy (Envoy) to sidecars:, or name the sidecar that is)"},
		{"the app as its own App Mesh proxy", strings.Replace(base, "  subnets:", proxyOK("web", "80"), 1) + envoySidecar, TargetECS,
			"shipit.yaml:10:22: ecs.proxy.container: [ecs] the app container cannot be its own App Mesh proxy (name the Envoy sidecar)"},
		{"App Mesh proxy without ports or ignored uid", strings.Replace(base, "  subnets:", "  proxy: {container: envoy, properties: {AppPorts: '80', IgnoredGID: ''}}\n  subnets:", 1) + envoySidecar, TargetECS,
			"shipit.yaml:10:29: ecs.proxy.properties: [ecs] ECS needs IgnoredUID or IgnoredGID: the proxy's own traffic must not be redirected to itself (add IgnoredUID: the proxy sidecar's runAsUser (e.g. \"1337\"))\nshipit.yaml:10:29: ecs.proxy.properties: [ecs] required by ECS: ProxyIngressPort, ProxyEgressPort (e.g. AppPorts: \"8080\", ProxyIngressPort: \"15000\", ProxyEgressPort: \"15001\")"},
		{"App Mesh app ports that are not ports", strings.Replace(base, "  subnets:", proxyOK("envoy", "80,http"), 1) + envoySidecar, TargetECS,
			"shipit.yaml:10:72: ecs.proxy.properties.AppPorts: [ecs] \"http\" is not a port number (1–65535) (write ports separated by commas, e.g. \"8080,8443\")"},
		{"a sidecar ulimit soft above hard", base + "sidecars: [{name: envoy, image: envoy:1, ecs: {ulimits: [{name: nofile, soft: 20000, hard: 15000}]}}]\n", TargetECS,
			"shipit.yaml:11:58: sidecars[0].ecs.ulimits[0]: [ecs] soft 20000 and hard 15000 are not a ulimit (0 ≤ soft ≤ hard ≤ 2147483647)"},
		{"a sidecar's ecs block is not checked on EKS", base + "sidecars: [{name: envoy, image: envoy:1, cpu: 0.25, memory: 128Mi, ecs: {ulimits: [{name: files, soft: 1, hard: 2}]}}]\n", TargetEKS, ""},
		{"a log driver secret option that is a value", strings.Replace(base, "  subnets:", "  logDriver: {name: splunk, secretOptions: {splunk-token: s3cr3t-value}}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:59: ecs.logDriver.secretOptions.splunk-token: [ecs] not a secret reference (secret options hold references, never values) (use a Secrets Manager ARN, or an SSM parameter ARN or name (/app/datadog-api-key))"},
		{"a log driver secret option from Kubernetes", strings.Replace(base, "  subnets:", "  logDriver: {name: splunk, secretOptions: {splunk-token: 'k8s:splunk/token'}}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:59: ecs.logDriver.secretOptions.splunk-token: [ecs] a k8s: secret exists only on Kubernetes; ECS reads log driver secrets from Secrets Manager or SSM (use a Secrets Manager or SSM ARN, or move it under environments for EKS only)"},
		{"an awslogs option shipit writes", strings.Replace(base, "  subnets:", "  logOptions: {awslogs-group: other}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:31: ecs.logOptions.awslogs-group: [ecs] shipit writes awslogs-group itself (from ecs.logGroup) (set ecs.logGroup instead)"},
		{"awslogs-create-group that is not a boolean", strings.Replace(base, "  subnets:", "  logOptions: {awslogs-create-group: 'yes'}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:38: ecs.logOptions.awslogs-create-group: [ecs] \"yes\" is not a boolean (use \"true\" or \"false\")"},
		{"family ECS refuses", strings.Replace(base, "  subnets:", "  family: web.v2\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:11: ecs.family: [ecs] \"web.v2\" is not a task definition family (use letters, digits, '_' and '-' (at most 255))"},
		{"service name ECS refuses", strings.Replace(base, "  subnets:", "  serviceName: web/v2\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:16: ecs.serviceName: [ecs] \"web/v2\" is not an ECS service name (use letters, digits, '_' and '-' (at most 255))"},
		{"a CloudFormation service name", strings.Replace(base, "  subnets:", "  serviceName: Shop-Service-AbC123_x\n  subnets:", 1), TargetECS, ""},
		{"platform version ECS does not have", strings.Replace(base, "  subnets:", "  platformVersion: latest\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:20: ecs.platformVersion: [ecs] \"latest\" is not a platform version (use LATEST or a Fargate platform version such as 1.4.0)"},
		{"tag propagation ECS does not have", strings.Replace(base, "  subnets:", "  propagateTags: TASK\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:18: ecs.propagateTags: [ecs] \"TASK\" is not a tag propagation (use SERVICE, TASK_DEFINITION or NONE)"},
		{"request-count scaling without a target group", base + "autoscale: {min: 1, max: 4, requests: 500}\n", TargetECS,
			"shipit.yaml:11:39: autoscale.requests: [ecs] request-count scaling counts the requests of the app's target group, and the app is behind none (add ecs.targetGroup (with expose: public or internal) and ecs.loadBalancer)"},
		{"request-count scaling without the load balancer", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  subnets:", 1) + "expose: public\nautoscale: {min: 1, max: 4, requests: 500}\n", TargetECS,
			"shipit.yaml:7:1: ecs.loadBalancer: [ecs] required by autoscale.requests: Application Auto Scaling names the load balancer and the target group (add ecs.loadBalancer: the ARN of the ALB that forwards to ecs.targetGroup)"},
		{"a network load balancer for request-count scaling", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  loadBalancer: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/web/50dc6c495c0c9188\n  subnets:", 1) + "expose: public\nautoscale: {min: 1, max: 4, requests: 500}\n", TargetECS,
			"shipit.yaml:11:17: ecs.loadBalancer: [ecs] \"arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/web/50dc6c495c0c9188\" is not an Application Load Balancer ARN (use the ARN of an Application Load Balancer (arn:aws:elasticloadbalancing:…:loadbalancer/app/<name>/<id>))"},
		{"request-count scaling alone on EKS", base + "autoscale: {min: 1, max: 4, requests: 500}\n", TargetEKS,
			"shipit.yaml:11:39: autoscale.requests: [eks] Kubernetes' HorizontalPodAutoscaler has no load balancer request count without a metrics adapter, and nothing else to scale on (add autoscale.cpu or memory for Kubernetes, or move requests under environments for ECS only)"},
		{"Service Connect on a port the task definition does not name", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: shop, services: [{port: web}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:55: ecs.serviceConnect.services[0].port: [ecs] \"web\" is not the name of a port mapping of the task definition (ports[].name or a sidecar's ports[].name) (use one of the task definition's port names: http)"},
		{"Service Connect without a port", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{discoveryName: web}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:31: ecs.serviceConnect.services[0]: [ecs] port is required: Service Connect publishes a named port of the task definition (add port: the name of one of the app's ports (ports[].name))"},
		{"Service Connect discovery name ECS refuses", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{port: http, discoveryName: Web}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:59: ecs.serviceConnect.services[0].discoveryName: [ecs] \"Web\" is not a Service Connect discovery name (use lowercase letters, digits, '_' and '-' (at most 64, not starting with '-'))"},
		{"Service Connect discovery name twice", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{port: http}, {port: http}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:45: ecs.serviceConnect.services[1].discoveryName: [ecs] ecs.serviceConnect.services[0] already publishes \"http\": discovery names are unique in the namespace (give one of them another discoveryName)"},
		{"Service Connect with two client aliases", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{port: http, clientAliases: [{port: 80}, {port: 8080}]}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:44: ecs.serviceConnect.services[0].clientAliases: [ecs] 2 client aliases; ECS takes at most 1 per Service Connect service (keep one alias per service; publish the port again under another discoveryName for a second name)"},
		{"Service Connect alias port out of range", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{port: http, clientAliases: [{port: 65536}]}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:67: ecs.serviceConnect.services[0].clientAliases[0].port: [ecs] 65536 is not a port (use a port in 0–65535)"},
		{"Service Connect DNS name ECS refuses", strings.Replace(base, "  subnets:", "  serviceConnect: {services: [{port: http, clientAliases: [{port: 80, dnsName: -web}]}]}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:80: ecs.serviceConnect.services[0].clientAliases[0].dnsName: [ecs] \"-web\" is not a Service Connect DNS name (use lowercase letters, digits, '_', '-' and '.' (at most 127, not starting with '-'))"},
		{"Service Connect namespace ARN of something else", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: 'arn:aws:iam::123456789012:role/shop'}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:31: ecs.serviceConnect.namespace: [ecs] \"arn:aws:iam::123456789012:role/shop\" is not a Cloud Map namespace ARN (use the namespace's name or its ARN (arn:aws:servicediscovery:<region>:<account>:namespace/ns-…))"},
		{"Service Connect namespace name with a space", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: 'my shop'}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:31: ecs.serviceConnect.namespace: [ecs] \"my shop\" is not a Cloud Map namespace name (use the namespace's name (printable characters, no spaces, at most 1024) or its ARN)"},
		{"Service Connect on Fargate 1.3.0", strings.Replace(base, "  subnets:", "  platformVersion: 1.3.0\n  serviceConnect: {namespace: shop}\n  subnets:", 1), TargetECS,
			"shipit.yaml:10:20: ecs.platformVersion: [ecs] Service Connect needs Fargate platform version 1.4.0 or later, not 1.3.0 (use platformVersion 1.4.0 or LATEST)"},
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

// TestOnceWronglyRefused: valid configurations that shipit used to refuse, each checked for
// the targets where ECS or Kubernetes itself accepts it.
func TestOnceWronglyRefused(t *testing.T) {
	both := []string{TargetECS, TargetEKS}
	cases := []struct {
		name, src string
		targets   []string
	}{
		{"Kubernetes: probe timeout longer than its period", base + "health: {path: /h, interval: 15s, timeout: 30s}\n", []string{TargetEKS}},
		{"ECS: health check timeout longer than its interval", base + "health: {command: [/bin/check], interval: 5s, timeout: 6s}\n", both},
		{"an interval below the default timeout", base + "health: {path: /h, interval: 3s}\n", []string{TargetEKS}},
		{"prefixed label keys", base + "labels: {app.kubernetes.io/part-of: shop, example.com/owner: web}\n", both},
		{"cpu 2.01 on Kubernetes", strings.Replace(base, "cpu: 0.5", "cpu: 2.01", 1), []string{TargetEKS}},
		{"a 0.0625 vCPU sidecar", base + "sidecars: [{name: log, image: x, cpu: 0.0625, memory: 128Mi}]\n", both},
		{"memory in decimal units on Kubernetes", strings.Replace(base, "memory: 1Gi", "memory: 1G", 1), []string{TargetEKS}},
		{"an SSM parameter by name", base + "secrets: {DB_PASSWORD: /app/db-password}\n", both},
		{"a Secrets Manager JSON key", base + "secrets: {DB_USER: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf:username::'}\n", both},
		{"a FireLens log_router on ECS", base + "sidecars: [{name: log_router, image: x, cpu: 0.125, memory: 128Mi}]\n", []string{TargetECS}},
		{"Cloud Map beside a public load balancer", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  discovery: {namespace: ns-1}\n  subnets:", 1) + "expose: public\n", []string{TargetECS}},
		{"an internal load balancer", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  subnets:", 1), []string{TargetECS}},
		{"a shared ServiceAccount", base + "eks: {serviceAccount: shared, createServiceAccount: false}\n", []string{TargetEKS}},
		{"5000 tasks on ECS", base + "replicas: 5000\n", both},
		{"no guaranteed cpu share (ECS's container cpu 0)", base + "requests: {cpu: 0}\n", both},
		{"env from the downward API and single keys", base + "eks: {env: {NS: {field: metadata.namespace}, APP: {field: \"metadata.labels['app']\"}, HOST: {field: spec.host}, USER: {configMap: demo, key: USER, optional: true}, TOKEN: {secret: api, key: token}}}\n", []string{TargetEKS}},
		{"a NodePort Service with a fixed node port", strings.Replace(base, "port: 80", "ports: [{name: http, port: 8079, servicePort: 80, nodePort: 30001}]", 1) + "eks: {serviceType: NodePort}\n", []string{TargetEKS}},
		{"a public NLB Service beside a NodePort one", base + "expose: public\neks: {serviceType: NodePort, publicService: {name: web-external}}\n", []string{TargetEKS}},
		{"half a GiB of ephemeral storage", base + "requests: {ephemeralStorage: 0.5Gi}\nlimits: {ephemeralStorage: 0.5Gi}\nsidecars: [{name: log, image: x, cpu: 0.125, memory: 128Mi, requests: {ephemeralStorage: 100Mi}}]\n", []string{TargetEKS}},
		{"a startup check beside grace", base + "health: {path: /ready, grace: 300s, startup: {path: /healthy, interval: 10s}}\nvolumes: [{name: k, path: /k, secret: {name: jwt, items: [{key: a.pub, path: publickey, mode: 0o400}]}}]\n", []string{TargetEKS}},
		{"a pod fsGroup", base + "security: {fsGroup: 2000}\n", []string{TargetEKS}},
		{"EFS without transit encryption (ECS's default)", base + "volumes: [{name: conf, path: /conf, efs: {fileSystem: fs-12345678, transitEncryption: false}}]\n", both},
		{"awslogs-create-group (with logs:CreateLogGroup on the execution role)", strings.Replace(base, "  subnets:", "  logOptions: {awslogs-create-group: \"true\"}\n  subnets:", 1), both},
		{"App Mesh's published properties, empty IgnoredGID and all", strings.Replace(base, "  subnets:", "  proxy: {container: envoy, properties: {IgnoredUID: '1337', IgnoredGID: '', AppPorts: '80', ProxyIngressPort: '15000', ProxyEgressPort: '15001', EgressIgnoredIPs: '169.254.170.2,169.254.169.254', EgressIgnoredPorts: ''}}\n  subnets:", 1) + "sidecars: [{name: envoy, image: envoy:1, cpu: 0.25, memory: 128Mi, security: {runAsUser: 1337}}]\n", both},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := load(t, c.src, nil, "")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			for _, tgt := range c.targets {
				if errs, _ := app.Validate(tgt); len(errs) > 0 {
					t.Errorf("%s: %v", tgt, errs)
				}
			}
		})
	}
}

// TestTargetWarnings: settings a target cannot honour are said once, sorted by position.
func TestTargetWarnings(t *testing.T) {
	cases := []struct {
		name, src, target string
		want              []string
	}{
		{"health path without a load balancer on ECS", base + "health: {path: /healthz}\n", TargetECS, []string{
			"shipit.yaml:11:16: health.path: [ecs] ECS does not check an HTTP path without a load balancer: this health check has no effect on ECS (add health.command (e.g. [curl, -f, http://localhost/healthz]) for ECS's container health check, or a target group)"}},
		{"health path behind a target group on ECS", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  subnets:", 1) + "expose: public\nhealth: {path: /healthz}\n", TargetECS, []string{
			"shipit.yaml:13:16: health.path: [ecs] on ECS the target group's own health check decides, and shipit does not change the target group (set the target group's health check path to /healthz)"}},
		{"a log driver key in plaintext", strings.Replace(base, "  subnets:", "  logDriver: {name: splunk, options: {splunk-token: abc}}\n  subnets:", 1), TargetECS, []string{
			"shipit.yaml:10:53: ecs.logDriver.options.splunk-token: [ecs] splunk-token looks like a secret in plaintext; it would be stored in the task definition (move it to ecs.logDriver.secretOptions.splunk-token: <a Secrets Manager or SSM reference>)"}},
		{"probe settings ECS cannot honour", base + "health: {command: [/bin/check], initialDelay: 5s, successes: 2}\n", TargetECS, []string{
			"shipit.yaml:11:47: health.initialDelay: [ecs] ECS's container health check has no initial delay (use health.grace (ECS startPeriod) for start-up time)",
			"shipit.yaml:11:62: health.successes: [ecs] ECS's container health check has no success threshold: one success is healthy"}},
		{"a liveness path on ECS", base + "health: {command: [/bin/check], liveness: {path: /live}}\n", TargetECS, []string{
			"shipit.yaml:11:33: health.liveness: [ecs] ECS replaces tasks only on its container health check, which runs a command: this liveness check has no effect on ECS (give liveness a command for ECS)"}},
		{"a proxy property ECS does not document", strings.Replace(base, "  subnets:", "  proxy: {container: envoy, properties: {IgnoredUid: '1', IgnoredUID: '1337', AppPorts: '80', ProxyIngressPort: '15000', ProxyEgressPort: '15001'}}\n  subnets:", 1) + envoySidecar, TargetECS, []string{
			"shipit.yaml:10:54: ecs.proxy.properties.IgnoredUid: [ecs] IgnoredUid is not an App Mesh proxy property ECS documents: it has no effect (ECS documents IgnoredUID, IgnoredGID, AppPorts, ProxyIngressPort, ProxyEgressPort, EgressIgnoredIPs and EgressIgnoredPorts)"}},
		{"an IgnoredUID that is not the proxy's uid", strings.Replace(base, "  subnets:", proxyOK("envoy", "80"), 1) + strings.Replace(envoySidecar, "1337", "101", 1), TargetECS, []string{
			"shipit.yaml:10:54: ecs.proxy.properties.IgnoredUID: [ecs] envoy runs as uid 101, not the IgnoredUID 1337: the proxy's own traffic would be redirected to itself (set IgnoredUID: \"101\", or the sidecar's runAsUser to 1337)"}},
		{"awslogs options nobody uses", strings.Replace(base, "  subnets:", "  logOptions: {mode: non-blocking}\n  logDriver: {name: splunk}\n  subnets:", 1), TargetECS, []string{
			"shipit.yaml:10:3: ecs.logOptions: [ecs] no container logs to awslogs (ecs.logDriver is splunk): these options have no effect (drop ecs.logOptions, or set them in ecs.logDriver.options)"}},
		{"ephemeral storage per container on ECS", base + "requests: {ephemeralStorage: 1Gi}\nlimits: {ephemeralStorage: 2Gi}\n", TargetECS, []string{
			"shipit.yaml:11:30: requests.ephemeralStorage: [ecs] ECS sizes ephemeral storage per task, not per container: this is honoured on EKS only (size the task's with ecs.ephemeralStorage (21Gi–200Gi))",
			"shipit.yaml:12:28: limits.ephemeralStorage: [ecs] ECS sizes ephemeral storage per task, not per container: this is honoured on EKS only (size the task's with ecs.ephemeralStorage (21Gi–200Gi))"}},
		{"a startup check on ECS", base + "health: {command: [/bin/check], startup: {command: [/bin/started], interval: 10s, failures: 30}}\n", TargetECS, []string{
			"shipit.yaml:11:33: health.startup: [ecs] ECS has no startup check: only its window (300s) maps, to the container health check's startPeriod and the load balancer's grace period; the check itself does not run on ECS"}},
		{"a Service port name and node port on ECS", strings.Replace(base, "port: 80", "ports: [{name: http-server, port: 8080, servicePortName: http, nodePort: 30080}]", 1) + "eks: {serviceType: NodePort}\n", TargetECS, []string{
			"shipit.yaml:4:58: ports[0].servicePortName: [ecs] ECS has no Service port: servicePortName names the Kubernetes Service's port only",
			"shipit.yaml:4:74: ports[0].nodePort: [ecs] ECS tasks open no node ports: nodePort is honoured on EKS only"}},
		{"the same health path is a probe on EKS", base + "health: {path: /healthz}\n", TargetEKS, nil},
		{"a stop command on ECS", base + "stopCommand: [sleep, \"5\"]\n", TargetECS, []string{"shipit.yaml:11:1: stopCommand: [ecs] ECS has no preStop hook: this command does not run on ECS, which deregisters the task from its load balancer, then sends SIGTERM (for connection draining, the target group's deregistration delay does that on ECS)"}},
		{"a stop command on EKS", base + "stopCommand: [sleep, \"5\"]\n", TargetEKS, nil},
		{"a stop command that outsleeps the grace", base + "stopCommand: [sleep, 30s]\n", TargetEKS, []string{"shipit.yaml:11:1: stopCommand: [eks] the stop command sleeps 30s, but the pod has 30s in all to stop (stopGrace): it is killed before the app is sent SIGTERM (sleep less than 30s, or raise stopGrace)"}},
		{"no history to roll back to", base + "eks: {revisionHistoryLimit: 0}\n", TargetEKS, []string{"shipit.yaml:11:29: eks.revisionHistoryLimit: [eks] 0 keeps no old ReplicaSet once a rollout completes: `shipit rollback` has nothing to return to (an automatic rollback of a failed deploy still works: the old ReplicaSet stays until a rollout completes) (keep at least 1 to be able to roll back)"}},
		{"a budget that blocks every drain", base + "replicas: 2\neks: {disruptionBudget: {minAvailable: 2}}\n", TargetEKS, []string{"shipit.yaml:12:7: eks.disruptionBudget: [eks] this budget allows no voluntary eviction of the app's 2 pod(s): node drains and cluster upgrades wait on it until they time out (allow at least one pod to go, e.g. maxUnavailable: 1)"}},
		{"Service Connect is ECS-only", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: shop, services: [{port: http}]}\n  subnets:", 1), TargetEKS, []string{"shipit.yaml:10:3: ecs.serviceConnect: [eks] Service Connect is ECS-only: on Kubernetes the app's Service already gives it a DNS name, and the client aliases are not created (call the app by its Service's name (<service>.<namespace>.svc) on Kubernetes)"}},
		{"Service Connect on ECS", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: 'arn:aws:servicediscovery:ap-northeast-2:123456789012:namespace/ns-abcdef0123456789', services: [{port: http, discoveryName: web_api, clientAliases: [{port: 80, dnsName: web.shop.local}]}]}\n  subnets:", 1), TargetECS, nil},
		{"a client-only Service Connect app", strings.Replace(base, "  subnets:", "  serviceConnect: {namespace: shop}\n  subnets:", 1), TargetECS, nil},
		{"ECS Exec without a task role", strings.Replace(base, "  subnets:", "  exec: true\n  subnets:", 1), TargetECS, []string{
			"shipit.yaml:10:9: ecs.exec: [ecs] ECS Exec runs through the task role, and the app has none: execute-command will be refused (add role: with ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel)"}},
		{"ECS Exec with a task role", strings.Replace(base, "  subnets:", "  exec: true\n  subnets:", 1) + "role: arn:aws:iam::123456789012:role/web\n", TargetECS, nil},
		{"a load balancer nothing uses", strings.Replace(base, "  subnets:", "  loadBalancer: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n  subnets:", 1), TargetECS, []string{
			"shipit.yaml:10:17: ecs.loadBalancer: [ecs] only request-count scaling uses it: it has no effect (remove it, or add autoscale.requests)"}},
		{"request-count scaling on EKS", base + "autoscale: {min: 1, max: 4, cpu: 60, requests: 500}\n", TargetEKS, []string{
			"shipit.yaml:11:48: autoscale.requests: [eks] Kubernetes' HorizontalPodAutoscaler has no load balancer request count without a metrics adapter: it is ignored on EKS (scale on cpu or memory on Kubernetes, or serve the ALB's request count through a metrics adapter)"}},
		{"request-count scaling on ECS", strings.Replace(base, "  subnets:", "  targetGroup: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web/0123456789abcdef\n  loadBalancer: arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n  subnets:", 1) + "expose: public\nautoscale: {min: 1, max: 4, requests: 500}\n", TargetECS, nil},
		{"the service settings on ECS", strings.Replace(base, "  subnets:", "  family: openab_broker-1\n  platformVersion: 1.4.0\n  propagateTags: TASK_DEFINITION\n  managedTags: false\n  circuitBreaker: false\n  subnets:", 1), TargetECS, nil},
		{"a shared ServiceAccount with a role", base + "role: arn:aws:iam::123456789012:role/web\neks: {serviceAccount: shared, createServiceAccount: false}\n", TargetEKS, []string{
			"shipit.yaml:11:7: role: [eks] shipit does not change the existing ServiceAccount shared: the role reaches the pods only if that account carries the annotation (annotate it: eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/web)"}},
		{"warnings come sorted", strings.Replace(base, "  executionRole: arn:aws:iam::123456789012:role/exec", "  executionRole: arn:aws:iam::123456789012:role/web", 1) + "health: {path: /healthz}\nrole: arn:aws:iam::123456789012:role/web\n", TargetECS, []string{
			"shipit.yaml:9:18: ecs.executionRole: [ecs] the task role and the execution role are the same role: the app can read every secret and pull every image the agent can (give the app its own task role)",
			"shipit.yaml:11:16: health.path: [ecs] ECS does not check an HTTP path without a load balancer: this health check has no effect on ECS (add health.command (e.g. [curl, -f, http://localhost/healthz]) for ECS's container health check, or a target group)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := load(t, c.src, nil, "")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			errs, warns := app.Validate(c.target)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var got []string
			for _, w := range warns {
				got = append(got, w.Error())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestParseSecretRef(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	for in, want := range map[string]SecretRef{
		sm + "db-AbCdEf":                                       {Kind: SecretsManager, SecretARN: sm + "db-AbCdEf"},
		sm + "db-AbCdEf:username::":                            {Kind: SecretsManager, SecretARN: sm + "db-AbCdEf", JSONKey: "username"},
		sm + "db-AbCdEf::AWSPREVIOUS:":                         {Kind: SecretsManager, SecretARN: sm + "db-AbCdEf", VersionStage: "AWSPREVIOUS"},
		sm + "db-AbCdEf:password::v-123":                       {Kind: SecretsManager, SecretARN: sm + "db-AbCdEf", JSONKey: "password", VersionID: "v-123"},
		sm + "db-AbCdEf:username":                              {Kind: SecretInvalid},
		"arn:aws:ssm:us-east-1:123456789012:parameter/web/key": {Kind: SSMParameter, Parameter: "/web/key"},
		"arn:aws:ssm:us-east-1:123456789012:parameter/key":     {Kind: SSMParameter, Parameter: "key"},
		"/app/db-password":                                     {Kind: SSMParameter, Parameter: "/app/db-password"},
		"k8s:web/session":                                      {Kind: KubernetesSecret, SecretName: "web", SecretKey: "session"},
		"hunter2":                                              {Kind: SecretInvalid},
		"/":                                                    {Kind: SecretInvalid},
		"/has space/x":                                         {Kind: SecretInvalid},
		"postgres://u:p@db":                                    {Kind: SecretInvalid},
	} {
		got := ParseSecretRef(in)
		want.Raw = in
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
	}
}

// TestAdoptingNames: an existing app's own names can be kept, each checked by its target's
// rules.
func TestAdoptingNames(t *testing.T) {
	src := base + "containerName: web_app\nlabels: {app: web}\neks: {selector: {app: web}, serviceName: web-svc}\n"
	app, err := load(t, strings.Replace(src, "  subnets:", "  logGroup: /aws/ecs/web\n  logStreamPrefix: ecs\n  subnets:", 1), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(TargetECS); len(errs) > 0 {
		t.Errorf("ecs: %v", errs)
	}
	errs, _ := app.Validate(TargetEKS)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `containerName: [eks] "web_app" is not a Kubernetes container name`) {
		t.Errorf("eks: %v, want the container name refused", errs)
	}
	clash := base + "labels: {app: web}\neks: {selector: {app: api}}\n"
	app, err = load(t, clash, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(TargetEKS); len(errs) != 1 || !strings.Contains(errs[0].Message, "the selector wants app=api but labels say web") {
		t.Errorf("clash: %v", errs)
	}
}

// envoySidecar and proxyOK build the App Mesh rows: an Envoy sidecar running as 1337, and an
// ecs.proxy naming container with the given AppPorts.
const envoySidecar = "sidecars: [{name: envoy, image: envoy:1, security: {runAsUser: 1337}}]\n"

func proxyOK(container, appPorts string) string {
	return "  proxy: {container: " + container + ", properties: {IgnoredUID: '1337', AppPorts: '" + appPorts + "', ProxyIngressPort: '15000', ProxyEgressPort: '15001'}}\n  subnets:"
}

package ecs

import (
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func loadSpec(t *testing.T, src string) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(src), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(spec.TargetECS); len(errs) > 0 {
		t.Fatal(errs)
	}
	return app
}

const renderBase = `version: 1
name: web
image: web:1
port: 80
ecs:
  region: us-east-1
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

// TestTaskDefinitionSizeLimit: a task definition over ECS's 64 KiB is refused at render,
// naming its size, and one just under passes.
func TestTaskDefinitionSizeLimit(t *testing.T) {
	big := renderBase + "env: {BLOB: " + strings.Repeat("x", 70000) + "}\n"
	_, err := Render(loadSpec(t, big), RenderOptions{})
	if err == nil || !strings.Contains(err.Error(), "KiB; ECS takes at most 64 KiB") {
		t.Fatalf("got %v, want the 64 KiB refusal", err)
	}
	if _, ok := err.(spec.Errors); !ok {
		t.Errorf("error is %T, want spec.Errors (exit 2)", err)
	}
	small := renderBase + "env: {BLOB: " + strings.Repeat("x", 60000) + "}\n"
	if _, err := Render(loadSpec(t, small), RenderOptions{}); err != nil {
		t.Errorf("60 KB of env refused: %v", err)
	}
}

// TestExposureHonoured: a target group with expose: internal is an internal load balancer,
// and Cloud Map beside a public load balancer registers too.
func TestExposureHonoured(t *testing.T) {
	tg := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	internal := loadSpec(t, strings.Replace(renderBase, "  subnets:", "  targetGroup: "+tg+"\n  subnets:", 1))
	r, err := Render(internal, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Service.LoadBalancers) != 1 {
		t.Errorf("internal + targetGroup: %d load balancers, want 1", len(r.Service.LoadBalancers))
	}
	public := loadSpec(t, strings.Replace(renderBase, "  subnets:", "  targetGroup: "+tg+"\n  discovery: {namespace: ns-1}\n  subnets:", 1)+"expose: public\n")
	if !wantsDiscovery(public) {
		t.Errorf("public + discovery: no Cloud Map registration")
	}
}

// TestLivenessCommandIsTheECSHealthCheck: ECS replaces a task whose container check fails,
// which is what liveness means; a liveness command becomes that check.
func TestLivenessCommandIsTheECSHealthCheck(t *testing.T) {
	app := loadSpec(t, renderBase+"health: {path: /ready, grace: 30s, liveness: {command: [/bin/alive], interval: 15s}}\n")
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := r.TaskDefinition.ContainerDefinitions[0].HealthCheck
	if hc == nil || strings.Join(hc.Command, " ") != "CMD /bin/alive" || *hc.Interval != 15 || *hc.StartPeriod != 30 {
		t.Fatalf("health check = %+v", hc)
	}
}

// TestTaskSettings: a capacity provider mix, ARM64, more ephemeral storage and ulimits reach
// the service and the task definition as ECS takes them.
func TestTaskSettings(t *testing.T) {
	app := loadSpec(t, strings.Replace(renderBase, "  subnets:", `  capacityProviders: [{name: FARGATE, base: 1, weight: 1}, {name: FARGATE_SPOT, weight: 3}]
  architecture: ARM64
  ephemeralStorage: 50Gi
  ulimits: [{name: nofile, soft: 65536, hard: 65536}]
  subnets:`, 1))
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cps := r.Service.CapacityProviderStrategy
	if len(cps) != 2 || *cps[0].CapacityProvider != "FARGATE" || cps[0].Base != 1 || cps[1].Weight != 3 || r.Service.LaunchType != "" {
		t.Errorf("capacity: %+v, launch type %q", cps, r.Service.LaunchType)
	}
	td := r.TaskDefinition
	if td.RuntimePlatform == nil || td.RuntimePlatform.CpuArchitecture != "ARM64" || td.EphemeralStorage == nil || td.EphemeralStorage.SizeInGiB != 50 {
		t.Errorf("task: %+v %+v", td.RuntimePlatform, td.EphemeralStorage)
	}
	if u := td.ContainerDefinitions[0].Ulimits; len(u) != 1 || u[0].Name != "nofile" || u[0].HardLimit != 65536 {
		t.Errorf("ulimits: %+v", u)
	}
}

// TestFireLensAndLimits: with awsfirelens, the app logs through the router while the router
// itself keeps awslogs; limits.memory caps the app container below the task's share.
func TestFireLensAndLimits(t *testing.T) {
	app := loadSpec(t, strings.Replace(renderBase, "  subnets:", `  logDriver: {name: awsfirelens, options: {Name: cloudwatch_logs, region: us-east-1}}
  dockerLabels: {team: web}
  subnets:`, 1)+`cpu: 0.5
memory: 1Gi
limits: {memory: 512Mi}
sidecars: [{name: log_router, image: fluent-bit:1, memory: 64Mi, firelens: {type: fluentbit, options: {enable-ecs-log-metadata: "true"}}}]
`)
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	main, router := r.TaskDefinition.ContainerDefinitions[0], r.TaskDefinition.ContainerDefinitions[1]
	if main.LogConfiguration.LogDriver != "awsfirelens" || main.LogConfiguration.Options["Name"] != "cloudwatch_logs" || main.DockerLabels["team"] != "web" {
		t.Errorf("app container: %+v %v", main.LogConfiguration, main.DockerLabels)
	}
	if *main.Memory != 512 {
		t.Errorf("app container memory %d, want the 512 MiB limit", *main.Memory)
	}
	if router.LogConfiguration.LogDriver != "awslogs" || router.FirelensConfiguration == nil || router.FirelensConfiguration.Type != "fluentbit" {
		t.Errorf("router: %+v %+v", router.LogConfiguration, router.FirelensConfiguration)
	}
}

// TestInitContainersAndRealSidecars: an init container is non-essential and every other
// container waits for its success; a sidecar has its own ports, health check and start order.
func TestInitContainersAndRealSidecars(t *testing.T) {
	app := loadSpec(t, renderBase+`cpu: 0.5
memory: 1Gi
init: [{name: migrate, image: web:1, command: [/app/migrate]}]
sidecars:
  - name: envoy
    image: envoy:1
    memory: 128Mi
    ports: [{port: 9901}]
    health: {command: [curl, -f, localhost:9901/ready]}
  - name: agent
    image: agent:1
    memory: 64Mi
    dependsOn: [{container: envoy, condition: HEALTHY}]
`)
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := map[string]int{}
	for i, c := range r.TaskDefinition.ContainerDefinitions {
		cs[*c.Name] = i
	}
	td := r.TaskDefinition.ContainerDefinitions
	migrate, envoy, agent, web := td[cs["migrate"]], td[cs["envoy"]], td[cs["agent"]], td[cs["web"]]
	if *migrate.Essential || len(migrate.DependsOn) != 0 {
		t.Errorf("init container: essential %v, dependsOn %+v", *migrate.Essential, migrate.DependsOn)
	}
	for _, c := range []string{"web", "envoy", "agent"} {
		deps := td[cs[c]].DependsOn
		found := false
		for _, d := range deps {
			found = found || (*d.ContainerName == "migrate" && d.Condition == "SUCCESS")
		}
		if !found {
			t.Errorf("%s does not wait for migrate: %+v", c, deps)
		}
	}
	if len(envoy.PortMappings) != 1 || *envoy.PortMappings[0].ContainerPort != 9901 || envoy.HealthCheck == nil {
		t.Errorf("envoy: %+v %+v", envoy.PortMappings, envoy.HealthCheck)
	}
	if len(agent.DependsOn) != 2 || *agent.DependsOn[0].ContainerName != "envoy" || agent.DependsOn[0].Condition != "HEALTHY" {
		t.Errorf("agent dependsOn: %+v", agent.DependsOn)
	}
	_ = web
}

// TestAppWaitsForASidecarAndLogOptions: the app container's dependsOn and more awslogs
// options reach the task definition beside shipit's group, region and prefix (validation
// refuses those three in ecs.logOptions).
func TestAppWaitsForASidecarAndLogOptions(t *testing.T) {
	app := loadSpec(t, strings.Replace(renderBase, "  subnets:", "  logOptions: {mode: non-blocking, awslogs-create-group: \"true\"}\n  subnets:", 1)+`cpu: 0.5
memory: 1Gi
dependsOn: [{container: envoy, condition: HEALTHY}]
sidecars: [{name: envoy, image: envoy:1, memory: 128Mi, health: {command: [curl, -f, localhost:9901/ready]}}]
`)
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	main := r.TaskDefinition.ContainerDefinitions[0]
	if len(main.DependsOn) != 1 || *main.DependsOn[0].ContainerName != "envoy" || main.DependsOn[0].Condition != "HEALTHY" {
		t.Errorf("dependsOn: %+v", main.DependsOn)
	}
	if o := main.LogConfiguration.Options; o["mode"] != "non-blocking" || o["awslogs-create-group"] != "true" || o["awslogs-group"] != "/ecs/web" {
		t.Errorf("log options: %v", o)
	}
}

// TestAppMeshTaskDefinition: the App Mesh proxy configuration (properties sorted, an empty
// value kept), a sidecar's own ulimits, the log driver's secret options as references, and an
// EFS volume without transit encryption (and so without IAM authorization).
func TestAppMeshTaskDefinition(t *testing.T) {
	const key = "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-AbCdEf"
	app := loadSpec(t, strings.Replace(renderBase, "  subnets:", `  proxy:
    container: envoy
    properties: {ProxyIngressPort: "15000", ProxyEgressPort: "15001", AppPorts: "80", IgnoredUID: "1337", IgnoredGID: ""}
  logDriver:
    name: awsfirelens
    options: {Name: datadog}
    secretOptions: {apikey: `+key+`}
  subnets:`, 1)+`cpu: 0.5
memory: 1Gi
dependsOn: [{container: envoy, condition: HEALTHY}]
volumes: [{name: conf, efs: {fileSystem: fs-12345678, transitEncryption: false}}]
sidecars:
  - name: envoy
    image: envoy:1
    security: {runAsUser: 1337}
    health: {command: [curl, -f, localhost:9901/ready]}
    ecs: {ulimits: [{name: nofile, soft: 15000, hard: 15000}]}
  - name: log_router
    image: fluent-bit:1
    firelens: {type: fluentbit}
    mounts: [{volume: conf, path: /configs}]
`)
	r, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	td := r.TaskDefinition
	pc := td.ProxyConfiguration
	if pc == nil || pc.Type != "APPMESH" || *pc.ContainerName != "envoy" {
		t.Fatalf("proxy configuration: %+v", pc)
	}
	var props []string
	for _, p := range pc.Properties {
		props = append(props, *p.Name+"="+*p.Value)
	}
	if got := strings.Join(props, " "); got != "AppPorts=80 IgnoredGID= IgnoredUID=1337 ProxyEgressPort=15001 ProxyIngressPort=15000" {
		t.Errorf("proxy properties: %s", got)
	}
	byName := map[string]int{}
	for i, c := range td.ContainerDefinitions {
		byName[*c.Name] = i
	}
	envoy, router, main := td.ContainerDefinitions[byName["envoy"]], td.ContainerDefinitions[byName["log_router"]], td.ContainerDefinitions[byName["web"]]
	if len(envoy.Ulimits) != 1 || envoy.Ulimits[0].Name != "nofile" || envoy.Ulimits[0].SoftLimit != 15000 || envoy.Ulimits[0].HardLimit != 15000 {
		t.Errorf("envoy ulimits: %+v", envoy.Ulimits)
	}
	if len(main.Ulimits) != 0 || len(router.Ulimits) != 0 {
		t.Errorf("ulimits leaked to other containers: app %+v, router %+v", main.Ulimits, router.Ulimits)
	}
	for _, c := range []string{"web", "envoy"} {
		lc := td.ContainerDefinitions[byName[c]].LogConfiguration
		if lc.LogDriver != "awsfirelens" || len(lc.SecretOptions) != 1 || *lc.SecretOptions[0].Name != "apikey" || *lc.SecretOptions[0].ValueFrom != key {
			t.Errorf("%s log configuration: %+v", c, lc)
		}
	}
	if lc := router.LogConfiguration; lc.LogDriver != "awslogs" || len(lc.SecretOptions) != 0 {
		t.Errorf("router log configuration (its own awslogs, no secret options): %+v", lc)
	}
	efs := td.Volumes[0].EfsVolumeConfiguration
	if efs == nil || efs.TransitEncryption != "DISABLED" || efs.AuthorizationConfig != nil {
		t.Errorf("EFS volume: %+v", efs)
	}
}

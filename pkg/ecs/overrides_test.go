package ecs

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const overrideBase = renderBase + `sidecars:
  - {name: envoy, image: envoy:1, cpu: 0.125, memory: 128Mi}
cpu: 0.5
memory: 1Gi
`

// TestOverrides: each kind of path step lands where it says, in both inputs.
func TestOverrides(t *testing.T) {
	src := strings.Replace(overrideBase, "  subnets: [subnet-0abc]\n", `  subnets: [subnet-0abc]
  overrides:
    - {path: "taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled", value: true}
    - {path: "taskDefinition.containerDefinitions[name=envoy].ulimits[-]", value: {name: nofile, softLimit: 15000, hardLimit: 15000}}
    - {path: "taskDefinition.containerDefinitions[1].stopTimeout", value: 10}
    - {path: "taskDefinition.pidMode", value: task}
    - {path: "service.healthCheckGracePeriodSeconds", value: 45}
    - {path: "service.deploymentConfiguration.deploymentCircuitBreaker", value: null}
`, 1)
	r, err := Render(loadSpec(t, src), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	td, svc := r.TaskDefinition, r.Service
	web, envoy := td.ContainerDefinitions[0], td.ContainerDefinitions[1]
	if web.LinuxParameters == nil || !aws.ToBool(web.LinuxParameters.InitProcessEnabled) {
		t.Errorf("web linuxParameters %+v", web.LinuxParameters)
	}
	if len(envoy.Ulimits) != 1 || envoy.Ulimits[0].SoftLimit != 15000 || aws.ToInt32(envoy.StopTimeout) != 10 {
		t.Errorf("envoy ulimits %+v stopTimeout %v", envoy.Ulimits, envoy.StopTimeout)
	}
	if td.PidMode != "task" || aws.ToInt32(svc.HealthCheckGracePeriodSeconds) != 45 || svc.DeploymentConfiguration.DeploymentCircuitBreaker != nil {
		t.Errorf("pidMode %q grace %v breaker %+v", td.PidMode, svc.HealthCheckGracePeriodSeconds, svc.DeploymentConfiguration.DeploymentCircuitBreaker)
	}
	// What the spec renders itself is kept.
	if aws.ToString(web.Image) != "web:1" || aws.ToString(td.Cpu) != "512" {
		t.Errorf("image %q cpu %q", aws.ToString(web.Image), aws.ToString(td.Cpu))
	}
}

// TestOverrideErrors: a field the SDK input lacks, a wrong type, a missing item: an error
// naming the override's place, before anything is sent.
func TestOverrideErrors(t *testing.T) {
	for _, tc := range []struct{ override, want string }{
		{`{path: "taskDefinition.containerDefinitions[name=web].linuxParamters.initProcessEnabled", value: true}`,
			`shipit.yaml:10:7: ecs.overrides[0]: [ecs] the task definition does not take this: json: unknown field "linuxParamters"`},
		{`{path: "service.healthCheckGracePeriodSeconds", value: soon}`,
			"shipit.yaml:10:7: ecs.overrides[0]: [ecs] the service input does not take this: json: cannot unmarshal string into Go struct field"},
		{`{path: "taskDefinition.containerDefinitions[name=api].stopTimeout", value: 5}`,
			"shipit.yaml:10:14: ecs.overrides[0].path: [ecs] taskDefinition.containerDefinitions[name=api].stopTimeout: containerDefinitions has no item with name=api"},
		{`{path: "service.placementStrategy", value: [{type: spread, field: "attribute:ecs.availability-zone"}]}`,
			"shipit.yaml:10:14: ecs.overrides[0].path: [ecs] service.placementStrategy is not among the settings a deploy keeps on the live service (it would hold on the first deploy only), so shipit does not override it (override one of capacityProviderStrategy, deploymentConfiguration,"},
		{`{path: "taskDefinition.containerDefinitions[7].stopTimeout", value: 5}`,
			"shipit.yaml:10:14: ecs.overrides[0].path: [ecs] taskDefinition.containerDefinitions[7].stopTimeout: containerDefinitions[7]: the list has 2 item(s)"},
	} {
		src := strings.Replace(overrideBase, "  subnets: [subnet-0abc]\n", "  subnets: [subnet-0abc]\n  overrides:\n    - "+tc.override+"\n", 1)
		_, err := Render(loadSpec(t, src), RenderOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got  %v\n want %s", tc.override, err, tc.want)
		}
	}
}

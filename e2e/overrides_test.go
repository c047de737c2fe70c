//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// ecs.overrides and eks.patches, deployed to the sandbox and read back with the AWS CLI and
// kubectl; a second deploy of the same spec writes nothing and diff sees no change, so an
// override is part of what shipit compares, not only of what it sends.

func TestECSOverridesReadBack(t *testing.T) {
	a := newECSApp(t, ecsFast)
	image := a.ecrImage("web", "v1", '1')
	spec := a.spec(ecsSpec{Image: image, ECSExtra: `  overrides:
    - path: taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled
      value: true
    - path: taskDefinition.containerDefinitions[name=web].ulimits[-]
      value: {name: core, softLimit: 0, hardLimit: 0}
    - path: service.deploymentConfiguration.minimumHealthyPercent
      value: 50
`})
	if r := a.run("deploy", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.stderr)
	}
	var td struct {
		TaskDefinition struct {
			Revision             int
			ContainerDefinitions []struct {
				Name            string
				LinuxParameters struct{ InitProcessEnabled bool }
				Ulimits         []struct {
					Name                 string
					SoftLimit, HardLimit int
				}
			}
		}
	}
	awsCLI(t, ecsRegion, &td, "ecs", "describe-task-definition", "--task-definition", "web")
	c := td.TaskDefinition.ContainerDefinitions[0]
	if !c.LinuxParameters.InitProcessEnabled || len(c.Ulimits) != 1 || c.Ulimits[0].Name != "core" {
		t.Errorf("container %+v", c)
	}
	var svc struct {
		Services []struct {
			DeploymentConfiguration struct{ MinimumHealthyPercent int }
		}
	}
	awsCLI(t, ecsRegion, &svc, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
	if got := svc.Services[0].DeploymentConfiguration.MinimumHealthyPercent; got != 50 {
		t.Errorf("minimumHealthyPercent %d, want 50", got)
	}
	if r := a.run("deploy", "-f", spec); r.code != 0 || !strings.Contains(r.stdout, "nothing changed") {
		t.Errorf("second deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := a.run("diff", "-f", spec); r.code != 0 {
		t.Errorf("diff after deploy: exit %d\n%s", r.code, r.stdout)
	}
	awsCLI(t, ecsRegion, &td, "ecs", "describe-task-definition", "--task-definition", "web")
	if td.TaskDefinition.Revision != 1 {
		t.Errorf("revision %d after an unchanged deploy, want 1", td.TaskDefinition.Revision)
	}
}

func TestEKSPatchesReadBack(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "")
	spec = rewrite(t, spec, "eks: {namespace: "+ns+"}", `eks:
  namespace: `+ns+`
  patches:
    - kind: Deployment
      patch:
        spec: {template: {spec: {shareProcessNamespace: true, containers: [{name: web, lifecycle: {postStart: {exec: {command: [/bin/true]}}}}]}}}
    - kind: Service
      jsonPatch:
        - {op: add, path: /spec/sessionAffinity, value: ClientIP}`)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.stderr)
	}
	got := kubectlOut(t, "-n", ns, "get", "deployment", "web", "-o",
		"jsonpath={.spec.template.spec.shareProcessNamespace} {.spec.template.spec.containers[0].lifecycle.postStart.exec.command[0]} {.spec.template.spec.containers[0].image}")
	if got != "true /bin/true registry.local/web:v1" {
		t.Errorf("deployment: %q", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "web", "-o", "jsonpath={.spec.sessionAffinity}"); got != "ClientIP" {
		t.Errorf("service sessionAffinity %q", got)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 || !strings.Contains(r.stdout, "nothing changed") {
		t.Errorf("second deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runShipit(t, "diff", "--target", "eks", "-f", spec); r.code != 0 {
		t.Errorf("diff after deploy: exit %d\n%s", r.code, r.stdout)
	}
	// A patch the Deployment's schema refuses stops the deploy before anything is written.
	bad := rewrite(t, spec, "shareProcessNamespace: true", "shareProcesNamespace: true")
	r := runShipit(t, "deploy", "--target", "eks", "-f", bad)
	if r.code != 2 || !strings.Contains(r.stderr, `eks.patches[0]: [eks] Deployment web: json: unknown field "shareProcesNamespace"`) {
		t.Errorf("bad patch: exit %d\n%s", r.code, r.stderr)
	}
}

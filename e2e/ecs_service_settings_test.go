//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

const testLoadBalancer = "arn:aws:elasticloadbalancing:" + ecsRegion + ":123456789012:loadbalancer/app/shop/50dc6c495c0c9188"

// serviceSettings is what `aws ecs describe-services` says of the service-level settings.
type serviceSettings struct {
	TaskDefinition          string
	EnableExecuteCommand    bool
	EnableECSManagedTags    bool
	PlatformVersion         string
	PropagateTags           string
	DeploymentConfiguration struct {
		DeploymentCircuitBreaker struct{ Enable, Rollback bool }
	}
}

func (a *ecsApp) settings() serviceSettings {
	a.t.Helper()
	var out struct{ Services []serviceSettings }
	awsCLI(a.t, ecsRegion, &out, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
	if len(out.Services) != 1 {
		a.t.Fatalf("describe-services: %d services", len(out.Services))
	}
	return out.Services[0]
}

// TestECSServiceSettingsReadBack: the service-level settings reach the service on create, a
// change of one of them alone is a difference (`shipit diff`, exit 6) and an update without a
// new task definition, an automatic rollback puts them back (here with the circuit breaker off:
// shipit's own fail-fast decides), and the family the spec names is the one deploy, rollback
// and destroy work on. Read back with the aws CLI.
func TestECSServiceSettingsReadBack(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms"}`)
	const extra = "expose: public\nrole: arn:aws:iam::123456789012:role/web-task\n"
	ecsExtra := func(settings string) string {
		return "  targetGroup: " + testTargetGroup + "\n  loadBalancer: " + testLoadBalancer + "\n  family: legacy-web\n  circuitBreaker: false\n" + settings
	}
	on := "  exec: true\n  platformVersion: 1.4.0\n  managedTags: false\n  propagateTags: TASK_DEFINITION\n"
	spec := a.spec(ecsSpec{Image: "nginx:1.27", Autoscale: "{min: 2, max: 4, cpu: 60, requests: 500}", Extra: extra, ECSExtra: ecsExtra(on)})
	a.run("deploy", "-f", spec).wantExit(t, 0, "Succeeded", "registered task definition legacy-web:1")

	s := a.settings()
	cb := s.DeploymentConfiguration.DeploymentCircuitBreaker
	if !strings.HasSuffix(s.TaskDefinition, ":task-definition/legacy-web:1") || !s.EnableExecuteCommand || s.EnableECSManagedTags ||
		s.PlatformVersion != "1.4.0" || s.PropagateTags != "TASK_DEFINITION" || cb.Enable || cb.Rollback {
		t.Fatalf("after create: %+v", s)
	}
	if td := a.taskDef("legacy-web"); td.TaskDefinition.Family != "legacy-web" || len(a.revisions("ACTIVE")) != 0 {
		t.Errorf("family: %s; revisions of family web: %v", td.TaskDefinition.Family, a.revisions("ACTIVE"))
	}
	var policies struct {
		ScalingPolicies []struct {
			PolicyName                               string
			TargetTrackingScalingPolicyConfiguration struct {
				TargetValue                   float64
				PredefinedMetricSpecification struct{ PredefinedMetricType, ResourceLabel string }
			}
		}
	}
	awsCLI(t, ecsRegion, &policies, "application-autoscaling", "describe-scaling-policies", "--service-namespace", "ecs",
		"--resource-id", "service/"+a.cluster+"/web")
	if len(policies.ScalingPolicies) != 2 || policies.ScalingPolicies[1].PolicyName != "web-requests" {
		t.Fatalf("policies: %+v", policies)
	}
	c := policies.ScalingPolicies[1].TargetTrackingScalingPolicyConfiguration
	if c.PredefinedMetricSpecification.PredefinedMetricType != "ALBRequestCountPerTarget" || c.TargetValue != 500 ||
		c.PredefinedMetricSpecification.ResourceLabel != "app/shop/50dc6c495c0c9188/targetgroup/web/7a7a1fcbd0455d4b" {
		t.Errorf("request-count policy: %+v", c)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)
	a.run("deploy", "-f", spec).wantExit(t, 0, "nothing changed")

	// Changed behind shipit's back: a difference, and the next deploy puts the settings back
	// on the same task definition.
	awsCLI(t, ecsRegion, nil, "ecs", "update-service", "--cluster", a.cluster, "--service", "web",
		"--disable-execute-command", "--enable-ecs-managed-tags", "--propagate-tags", "SERVICE")
	a.run("diff", "-f", spec).wantExit(t, 6, `-  "enableECSManagedTags": true`, `+  "enableExecuteCommand": true`, `+  "propagateTags": "TASK_DEFINITION"`)
	a.run("deploy", "-f", spec).wantExit(t, 0, "differed from the spec in: ECS Exec, ECS-managed tags, tag propagation",
		"the task definition stays legacy-web:1")
	if s := a.settings(); !strings.HasSuffix(s.TaskDefinition, ":task-definition/legacy-web:1") || !s.EnableExecuteCommand || s.EnableECSManagedTags || s.PropagateTags != "TASK_DEFINITION" {
		t.Fatalf("after the deploy that put the settings back: %+v", s)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)

	// The spec changes only service settings: `shipit diff` shows them, and the deploy (a new
	// spec, so a new revision) sets them.
	off := "  platformVersion: 1.4.0\n  managedTags: true\n"
	newer := a.spec(ecsSpec{Image: "nginx:1.27", Autoscale: "{min: 2, max: 4, cpu: 60, requests: 500}", Extra: extra, ECSExtra: ecsExtra(off)})
	a.run("diff", "-f", newer).wantExit(t, 6, `-  "enableExecuteCommand": true`, `+  "enableECSManagedTags": true`, `-  "propagateTags": "TASK_DEFINITION"`)
	a.run("deploy", "-f", newer).wantExit(t, 0, "registered task definition legacy-web:2")
	s = a.settings()
	if !strings.HasSuffix(s.TaskDefinition, ":task-definition/legacy-web:2") || s.EnableExecuteCommand || !s.EnableECSManagedTags || s.PropagateTags != "SERVICE" {
		t.Fatalf("after the deploy of the new settings: %+v", s)
	}
	a.run("diff", "-f", newer).wantExit(t, 0)

	// A failing image that also turns ECS Exec on, moves to LATEST and drops the tag
	// propagation, with the circuit breaker off: shipit's fail-fast fails it and its rollback
	// puts the settings back too.
	failing := a.spec(ecsSpec{Image: "registry.example.test/web:fail-pull", Autoscale: "{min: 2, max: 4, cpu: 60, requests: 500}", Extra: extra,
		ECSExtra: ecsExtra("  exec: true\n  propagateTags: NONE\n")})
	a.run("deploy", "-f", failing).wantExit(t, 4, "CannotPullContainerError", "rolling back to legacy-web:2 (rollout.autoRollback)",
		"restored what the failed deploy had changed besides the task definition: ECS Exec, platform version, tag propagation", "RolledBack")
	s = a.settings()
	if !strings.HasSuffix(s.TaskDefinition, ":task-definition/legacy-web:2") || s.EnableExecuteCommand || s.PlatformVersion != "1.4.0" ||
		s.PropagateTags != "SERVICE" || !s.EnableECSManagedTags {
		t.Errorf("after the automatic rollback: %+v", s)
	}

	// `shipit rollback --to 1` takes a revision of the spec's family; destroy deregisters them.
	a.run("rollback", "-f", newer, "--to", "1").wantExit(t, 0, "legacy-web:2 → legacy-web:1")
	a.run("destroy", "-f", newer, "--yes").wantExit(t, 0, "deregistered 3 task definition revisions of legacy-web")
	var left struct{ TaskDefinitionArns []string }
	awsCLI(t, ecsRegion, &left, "ecs", "list-task-definitions", "--family-prefix", "legacy-web", "--status", "ACTIVE")
	if len(left.TaskDefinitionArns) != 0 {
		t.Errorf("revisions left after destroy: %v", left.TaskDefinitionArns)
	}
}

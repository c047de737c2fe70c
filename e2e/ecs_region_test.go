//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// --region beats ecs.region (as --context beats eks.context): a spec written for eu-west-1
// deploys to the region the flag names, its log configuration included; without the flag the
// spec's region is the one used, over AWS_REGION (the sandbox exports us-east-1).
func TestECSBackendRegionFlagBeatsSpec(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := rewrite(t, a.spec(ecsSpec{Image: "nginx:1.27", Replicas: 1}), "  region: "+ecsRegion+"\n", "  region: eu-west-1\n")

	a.run("deploy", "-f", spec, "--region", ecsRegion).wantExit(t, 0,
		"created service web in cluster "+a.cluster+" in "+ecsRegion+" with web:1, 1 desired",
		"✓ web on ecs: Succeeded")
	svc := a.service()
	var td struct {
		TaskDefinition struct {
			ContainerDefinitions []struct {
				LogConfiguration struct{ Options map[string]string }
			}
		}
	}
	awsCLI(t, ecsRegion, &td, "ecs", "describe-task-definition", "--task-definition", svc.TaskDefinition)
	if c := td.TaskDefinition.ContainerDefinitions; len(c) != 1 || c[0].LogConfiguration.Options["awslogs-region"] != ecsRegion {
		t.Errorf("awslogs-region: %+v, want %s (--region)", c, ecsRegion)
	}
	a.run("status", "-f", spec, "--region", ecsRegion).wantExit(t, 0, "revision:  web:1", "cluster "+a.cluster+" in "+ecsRegion)
	// Without --region, ecs.region (eu-west-1), not AWS_REGION, is where shipit looks.
	r := a.run("status", "-f", spec)
	if !strings.Contains(r.stdout+r.stderr, "in eu-west-1") || strings.Contains(r.stdout, "revision:") {
		t.Errorf("status without --region: exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
	}
}

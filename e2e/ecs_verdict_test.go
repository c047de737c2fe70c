//go:build e2e

package e2e

// The ECS verdict on the shapes real ECS shows that a counts-only or revision-only rule gets
// wrong: a first deployment whose tasks run the desired count and then crash, tasks replaced
// for failing their load balancer health checks, and deployments that change only the
// service's settings (the same task definition), rolled back by the circuit breaker or not.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

const testTargetGroup = "arn:aws:elasticloadbalancing:" + ecsRegion + ":123456789012:targetgroup/web/7a7a1fcbd0455d4b"

// simScenario forces a scenario on the service's next deployments (the simulator's control
// endpoint); newECSApp's reset clears it when the test ends.
func simScenario(t *testing.T, cluster, service, scenario string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"cluster": cluster, "service": service, "scenario": scenario, "region": ecsRegion})
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/scenario", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("simulator scenario: %v", err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator scenario %s: %s %s", body, resp.Status, out)
	}
}

// A first deployment whose containers run for three steps and then exit: the desired count is
// running, IN_PROGRESS, when shipit polls (a step is 1 s, shipit polls every 2 s), which is no
// success; the exits then fail it (exit 3: a first deployment has nothing to roll back to).
func TestECSVerdictFirstDeployOfAFailLateImage(t *testing.T) {
	a := newECSApp(t, `{"step":"1s"}`)
	r := a.run("deploy", "-f", a.spec(ecsSpec{Image: "registry.example.test/web:fail-late"}))
	r.wantExit(t, 3, "✗ web on ecs: Failed:", "Essential container in task exited (container web exited with code 1)",
		"nothing to roll back to")
	if strings.Contains(r.stdout, "Succeeded") {
		t.Errorf("a failing first deployment reported success:\n%s", r.stdout)
	}
	t.Logf("fail-late first deploy: exit %d after %s (step 1 s; the tasks exit 4 s after the create)", r.code, r.took.Round(100*time.Millisecond))
}

// Tasks behind a load balancer that fail its health checks are stopped by the scheduler
// (ServiceSchedulerInitiated) with "Task failed ELB health checks in (target-group …)": the
// rollout fails within a few steps, quoting that, and is rolled back (exit 4).
func TestECSVerdictFailHealthBehindALoadBalancer(t *testing.T) {
	a := newECSApp(t, `{"step":"500ms","healthGrace":"1s"}`)
	lb := "expose: public\n"
	tg := "  targetGroup: " + testTargetGroup + "\n"
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27", Extra: lb, ECSExtra: tg})).wantExit(t, 0, "Succeeded")

	r := a.run("deploy", "-f", a.spec(ecsSpec{Image: "registry.example.test/web:fail-health", Extra: lb, ECSExtra: tg}))
	r.wantExit(t, 4, "RolledBack", "Task failed ELB health checks in (target-group "+testTargetGroup+")",
		"is unhealthy in (target-group "+testTargetGroup+")")
	// Started at once, unhealthy after the 1 s grace plus one 500 ms step, replaced, unhealthy
	// again: a few steps, far from the 2 minute rollout timeout.
	if r.took > 30*time.Second {
		t.Errorf("the fail-health deploy took %s; want a few simulator steps", r.took)
	}
	t.Logf("fail-health deploy: exit %d after %s (step 500 ms, grace 1 s)", r.code, r.took.Round(100*time.Millisecond))
	a.waitService("back on web:1", 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn("web:1") })
}

// A deploy of the live spec that finds the service's settings changed behind its back (here
// its network configuration, changed with the aws CLI) puts them back with UpdateService: a
// deployment on the same task definition. When it completes, exit 0; when the circuit breaker
// rolls it back (to the deployment before, same revision, same id), exit 4, not success and
// not a plain failure.
func TestECSVerdictSettingsOnlyDeploy(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms"}`)
	spec := a.spec(ecsSpec{Image: "nginx:1.27"})
	a.run("deploy", "-f", spec).wantExit(t, 0)
	drift := func() string {
		t.Helper()
		var out struct{ Service ecsService }
		awsCLI(t, ecsRegion, &out, "ecs", "update-service", "--cluster", a.cluster, "--service", "web",
			"--network-configuration", "awsvpcConfiguration={subnets=["+a.subnet+"],assignPublicIp=ENABLED}")
		id := out.Service.Deployments[0].ID
		a.waitService("the drift deployed", 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn("web:1") && s.Deployments[0].ID == id })
		return id
	}

	drifted := drift()
	r := a.run("deploy", "-f", spec)
	r.wantExit(t, 0, "re-applied what did not match the spec: service web settings (network configuration)")
	svc := a.service()
	if !svc.steadyOn("web:1") || svc.Deployments[0].ID == drifted {
		t.Fatalf("want a new deployment of web:1, completed:\n%s", svc)
	}

	// Again, and this time the settings deployment fails: the breaker (2 failures: both tasks
	// fail at once) rolls the service back to the deployment before it.
	good := drift()
	simConfig(t, `{"failureThreshold":2}`)
	simScenario(t, a.cluster, "web", "fail-pull")
	r = a.run("deploy", "-f", spec)
	r.wantExit(t, 4, "✗ web on ecs: RolledBack:", "settings only", "ECS rolled the service back to its previous deployment "+good,
		"event: (service web) rolling back to deployment "+good+".", "was unable to place a task. Reason: CannotPullContainerError")
	if strings.Contains(r.stdout, "Succeeded") {
		t.Errorf("a rolled back settings deploy reported success:\n%s", r.stdout)
	}
	svc = a.waitService("back on "+good, 30*time.Second, nil, func(s ecsService) bool {
		return s.steadyOn("web:1") && s.Deployments[0].ID == good
	})
	if !svc.hasEvent("(service web) (deployment " + good + ") deployment completed.") {
		t.Errorf("no completion of the rollback deployment %s:\n%s", good, svc)
	}
}

// A revision whose awslogs group does not exist (here an override points the app's logs at a
// group nobody created) never starts a task: ECS stops each one PENDING with a
// ResourceInitializationError. The rollout fails fast quoting it and is rolled back (exit 4).
func TestECSVerdictMissingLogGroup(t *testing.T) {
	a := newECSApp(t, `{"step":"500ms"}`)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"})).wantExit(t, 0, "Succeeded")

	typo := `  overrides:
    - path: taskDefinition.containerDefinitions[name=web].logConfiguration.options.awslogs-group
      value: /ecs/web-typo
`
	r := a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27", ECSExtra: typo}))
	r.wantExit(t, 4, "RolledBack", "ResourceInitializationError: failed to validate logger args",
		"The specified log group does not exist")
	t.Logf("missing log group deploy: exit %d after %s (step 500 ms)", r.code, r.took.Round(100*time.Millisecond))
	a.waitService("back on web:1", 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn("web:1") })
}

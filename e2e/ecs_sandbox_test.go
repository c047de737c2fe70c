//go:build e2e

package e2e

// Tests of the sandbox's ECS half itself (the rollout simulator in front of moto), driven with
// the real aws CLI the way a person would check a deployment: create-service, update-service,
// describe-services, list-tasks and describe-tasks, reading their JSON output. shipit's own ECS
// tests build on these behaviours; e2e/ecssim/README.md describes them.

import (
	"strings"
	"testing"
	"time"
)

// ecsSimStep is the simulator's step during these tests: long enough for CLI polling (each aws
// call takes most of a second) to see the intermediate states, short enough to stay quick.
const ecsSimStep = "500ms"

type cliTask struct {
	TaskArn           string
	TaskDefinitionArn string
	LastStatus        string
	StopCode          string
	StoppedReason     string
	Containers        []struct {
		Reason   string
		ExitCode *int
	}
}

// ecsSimSetup gives a test a clean AWS with a fast simulator, a cluster of its own and two task
// definitions of family "web": a healthy one and one with the given image.
func ecsSimSetup(t *testing.T, secondImage string) (a *ecsApp, td1, td2 string) {
	t.Helper()
	a = newECSApp(t, `{"step":"`+ecsSimStep+`"}`)
	return a, a.registerTaskDef("nginx:1.27"), a.registerTaskDef(secondImage)
}

func createECSSimService(a *ecsApp, td, breaker string) ecsService {
	a.t.Helper()
	var out struct{ Service ecsService }
	awsCLI(a.t, ecsRegion, &out, "ecs", "create-service", "--cluster", a.cluster, "--service-name", "web",
		"--task-definition", td, "--desired-count", "2", "--launch-type", "FARGATE",
		"--network-configuration", "awsvpcConfiguration={subnets=["+a.subnet+"],assignPublicIp=ENABLED}",
		"--deployment-configuration", "deploymentCircuitBreaker={"+breaker+"},maximumPercent=200,minimumHealthyPercent=100")
	return out.Service
}

func stoppedECSSimTasks(a *ecsApp) []cliTask {
	a.t.Helper()
	var list struct{ TaskArns []string }
	awsCLI(a.t, ecsRegion, &list, "ecs", "list-tasks", "--cluster", a.cluster, "--service-name", "web", "--desired-status", "STOPPED")
	if len(list.TaskArns) == 0 {
		return nil
	}
	var out struct{ Tasks []cliTask }
	awsCLI(a.t, ecsRegion, &out, append([]string{"ecs", "describe-tasks", "--cluster", a.cluster, "--tasks"}, list.TaskArns...)...)
	return out.Tasks
}

// A new service rolls out, then an update replaces its tasks: the old deployment drains and
// disappears, and the events read as on ECS.
func TestECSSandboxRolloutAndUpdate(t *testing.T) {
	a, td1, td2 := ecsSimSetup(t, "nginx:1.28")

	created := createECSSimService(a, td1, "enable=true,rollback=true")
	if len(created.Deployments) != 1 || created.Deployments[0].RolloutState != "IN_PROGRESS" || created.TaskDefinition != td1 {
		t.Errorf("create-service answer, want one IN_PROGRESS deployment on %s:\n%s", td1, created)
	}
	if cb := created.DeploymentConfiguration.DeploymentCircuitBreaker; !cb.Enable || !cb.Rollback {
		t.Errorf("create-service answer lost the circuit breaker: %+v", cb)
	}
	svc := a.waitService("COMPLETED on "+td1, 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn(td1) })
	firstID := svc.Deployments[0].ID
	for _, msg := range []string{
		"(service web) has reached a steady state.",
		"(service web) (deployment " + firstID + ") deployment completed.",
	} {
		if !svc.hasEvent(msg) {
			t.Errorf("missing event %q:\n%s", msg, svc)
		}
	}
	if len(svc.Events) == 0 || svc.Events[0].Message != "(service web) has reached a steady state." {
		t.Errorf("newest event is not the steady state:\n%s", svc)
	}

	// family:rev, as people type it; the answer carries the full ARN.
	var up struct{ Service ecsService }
	awsCLI(t, ecsRegion, &up, "ecs", "update-service", "--cluster", a.cluster, "--service", "web", "--task-definition", "web:2")
	if up.Service.TaskDefinition != td2 || len(up.Service.Deployments) != 2 ||
		up.Service.Deployments[0].Status != "PRIMARY" || up.Service.Deployments[1].Status != "ACTIVE" ||
		up.Service.Deployments[1].TaskDefinition != td1 {
		t.Errorf("update-service answer, want PRIMARY on %s and ACTIVE on %s:\n%s", td2, td1, up.Service)
	}
	svc = a.waitService("COMPLETED on "+td2, 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn(td2) })
	if !svc.hasEvent("(service web) (deployment " + svc.Deployments[0].ID + ") deployment completed.") {
		t.Errorf("no completion event for the update:\n%s", svc)
	}
	stopped := stoppedECSSimTasks(a)
	if len(stopped) != 2 {
		t.Fatalf("%d stopped tasks after the update, want the 2 old ones", len(stopped))
	}
	for _, tk := range stopped {
		if tk.TaskDefinitionArn != td1 || !strings.HasPrefix(tk.StoppedReason, "Scaling activity initiated by (deployment ") {
			t.Errorf("old task %s: td %s, stoppedReason %q", tk.TaskArn, tk.TaskDefinitionArn, tk.StoppedReason)
		}
	}
}

// An image that cannot be pulled trips the circuit breaker, which rolls the service back.
func TestECSSandboxCircuitBreakerRollback(t *testing.T) {
	a, td1, td2 := ecsSimSetup(t, "registry.example.test/web:fail-pull")
	createECSSimService(a, td1, "enable=true,rollback=true")
	svc := a.waitService("COMPLETED on "+td1, 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn(td1) })
	goodID := svc.Deployments[0].ID

	var up struct{ Service ecsService }
	awsCLI(t, ecsRegion, &up, "ecs", "update-service", "--cluster", a.cluster, "--service", "web", "--task-definition", td2)
	badID := up.Service.Deployments[0].ID
	// The bad deployment is FAILED only between two polls at most (it leaves once the
	// rollback completes): its failure is proven by the "deployment failed" event below.
	svc = a.waitService("rolled back to "+td1, 60*time.Second, nil,
		// ECS rolls back to the last completed deployment under its own id: it is PRIMARY and
		// COMPLETED again once the rollback is over.
		func(s ecsService) bool {
			return s.steadyOn(td1) && s.Deployments[0].ID == goodID && s.hasEvent("(service web) rolling back to deployment "+goodID+".")
		})
	for _, msg := range []string{
		"(service web) (deployment " + badID + ") deployment failed: tasks failed to start.",
		"(service web) rolling back to deployment " + goodID + ".",
	} {
		if !svc.hasEvent(msg) {
			t.Errorf("missing event %q:\n%s", msg, svc)
		}
	}
	unplaced := false
	for _, e := range svc.Events {
		unplaced = unplaced || strings.HasPrefix(e.Message, "(service web) was unable to place a task. Reason: CannotPullContainerError: ")
	}
	if !unplaced {
		t.Errorf("no 'was unable to place a task. Reason: CannotPullContainerError' event:\n%s", svc)
	}

	pulls := 0
	for _, tk := range stoppedECSSimTasks(a) {
		if tk.TaskDefinitionArn != td2 {
			continue
		}
		pulls++
		if !strings.HasPrefix(tk.StoppedReason, "CannotPullContainerError:") || tk.StopCode != "TaskFailedToStart" ||
			len(tk.Containers) == 0 || tk.Containers[0].Reason != tk.StoppedReason {
			t.Errorf("failed task %s: stopCode %s, stoppedReason %q", tk.TaskArn, tk.StopCode, tk.StoppedReason)
		}
	}
	if pulls < 3 {
		t.Errorf("%d stopped tasks of the failing deployment, want at least 3 (the breaker's threshold)", pulls)
	}
}

// rollback:false leaves the deployment FAILED and the service on the new task definition, with
// the old tasks still running.
func TestECSSandboxCircuitBreakerWithoutRollback(t *testing.T) {
	a, td1, td2 := ecsSimSetup(t, "registry.example.test/web:fail-exit")
	createECSSimService(a, td1, "enable=true,rollback=false")
	a.waitService("COMPLETED on "+td1, 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn(td1) })
	awsCLI(t, ecsRegion, nil, "ecs", "update-service", "--cluster", a.cluster, "--service", "web", "--task-definition", td2)

	svc := a.waitService("FAILED", 60*time.Second, nil, func(s ecsService) bool {
		return len(s.Deployments) > 0 && s.Deployments[0].RolloutState == "FAILED"
	})
	if svc.TaskDefinition != td2 || len(svc.Deployments) != 2 || svc.Deployments[1].TaskDefinition != td1 ||
		svc.Deployments[1].RunningCount != 2 {
		t.Errorf("want the service on %s, FAILED, with the old deployment still running 2 tasks:\n%s", td2, svc)
	}
	exited := 0
	for _, tk := range stoppedECSSimTasks(a) {
		if tk.StoppedReason == "Essential container in task exited" && len(tk.Containers) > 0 &&
			tk.Containers[0].ExitCode != nil && *tk.Containers[0].ExitCode == 1 {
			exited++
		}
	}
	if exited < 3 {
		t.Errorf("%d tasks stopped with 'Essential container in task exited' and exit code 1, want at least 3", exited)
	}
}

// The simulator throttles on demand; the CLI reports ThrottlingException once its retries are
// used up (one attempt here).
func TestECSSandboxThrottling(t *testing.T) {
	a, _, _ := ecsSimSetup(t, "nginx:1.28")
	simConfig(t, `{"throttleRatio":1,"throttleOps":["DescribeServices"]}`)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")

	stderr := awsCLIError(t, ecsRegion, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
	if !strings.Contains(stderr, "ThrottlingException") || !strings.Contains(stderr, "Rate exceeded") {
		t.Errorf("describe-services under throttling: %s, want ThrottlingException: Rate exceeded", stderr)
	}
	awsCLI(t, ecsRegion, nil, "ecs", "list-clusters") // not throttled
	simConfig(t, `{"throttleRatio":0}`)
	awsCLI(t, ecsRegion, nil, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
}

package ecssim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The behaviours below make the simulator closer to real ECS; each is described, with its
// public source, in README.md.

const testTargetGroup = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/7a7a1fcbd0455d4b"

// createWith creates a 2-task Fargate service with a circuit breaker (rollback on) and,
// when lb, a load balancer.
func (f *fixture) createWith(name, td string, lb bool) types.Service {
	f.t.Helper()
	in := &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1]}},
		DeploymentConfiguration: &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	}
	if lb {
		in.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String(testTargetGroup), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}}
	}
	out, err := f.ecs.CreateService(ctx(f.t), in)
	if err != nil {
		f.t.Fatalf("CreateService: %v", err)
	}
	return *out.Service
}

// COMPLETED waits for the tasks to pass their health checks: with a grace period of 2 steps a
// new service completes one step later than without (3 steps instead of 2), while it already
// runs the desired count.
func TestHealthGraceDelaysCompletion(t *testing.T) {
	f := newFixture(t, withSettings(func(s *Settings) { s.HealthGrace = 2 * testStep }))
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	for i, want := range []string{"PRIMARY IN_PROGRESS r2 p0", "PRIMARY IN_PROGRESS r2 p0", "PRIMARY COMPLETED r2 p0"} {
		f.step(1)
		if got := shape(f.describe("web")); got != want {
			t.Fatalf("step %d: %q, want %q", i+1, got, want)
		}
	}
}

// fail-late: the tasks run the desired count for failLateSteps steps (IN_PROGRESS all along:
// they never pass the steady-state check), then their essential container exits.
func TestFailLateNeverCompletes(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "app:fail-late")
	f.createWith("web", td, false)
	for i := 1; i <= failLateSteps; i++ {
		f.step(1)
		svc := f.describe("web")
		if got := shape(svc); got != "PRIMARY IN_PROGRESS r2 p0" {
			t.Fatalf("step %d: %q, want the desired count running, IN_PROGRESS", i, got)
		}
	}
	f.step(1)
	svc := f.describe("web")
	if d := svc.Deployments[0]; d.FailedTasks != 2 || d.RolloutState != types.DeploymentRolloutStateInProgress {
		t.Fatalf("after %d steps: %s failed=%d, want IN_PROGRESS failed=2\n%s", failLateSteps+1, d.RolloutState, d.FailedTasks, dump(svc))
	}
	stopped := f.tasks("web", types.DesiredStatusStopped)
	if len(stopped) != 2 {
		t.Fatalf("%d stopped tasks, want 2", len(stopped))
	}
	for _, tk := range stopped {
		ran := tk.StoppedAt.Sub(*tk.StartedAt)
		if tk.StopCode != types.TaskStopCodeEssentialContainerExited || ran != failLateSteps*testStep ||
			tk.Containers[0].ExitCode == nil || *tk.Containers[0].ExitCode != 1 {
			t.Errorf("task: code %s, ran %s, exit %v", tk.StopCode, ran, tk.Containers[0].ExitCode)
		}
	}
	// The first deployment has nothing to roll back to: the breaker fails it.
	f.step(2 * failLateSteps)
	if d := f.describe("web").Deployments[0]; d.RolloutState != types.DeploymentRolloutStateFailed {
		t.Errorf("after more exits: %s failed=%d, want FAILED", d.RolloutState, d.FailedTasks)
	}
}

// fail-health behind a load balancer: the tasks start, the target group's checks fail after
// the grace period, the scheduler stops them (ServiceSchedulerInitiated, "Task failed ELB
// health checks in (target-group …)") and replaces them, with ECS's events; the breaker then
// rolls back to the last completed deployment, under that deployment's own id.
func TestFailHealthBehindLoadBalancerRollsBackToTheSameDeployment(t *testing.T) {
	f := newFixture(t, withSettings(func(s *Settings) { s.HealthGrace = testStep }))
	good := f.registerTD("web", "nginx:1")
	bad := f.registerTD("web", "app:fail-health")
	created := f.createWith("web", good, true)
	goodID := aws.ToString(created.Deployments[0].Id)
	f.step(3)
	if got := shape(f.describe("web")); got != "PRIMARY COMPLETED r2 p0" {
		t.Fatalf("before the update: %q", got)
	}
	up := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String(bad)})
	badID := aws.ToString(up.Deployments[0].Id)

	f.step(1) // started
	f.step(2) // grace over, one step of failing checks: told to stop
	svc := f.describe("web")
	msgs := messages(svc)
	if n := countContaining(msgs, "(port 80) is unhealthy in (target-group "+testTargetGroup+") due to (reason Health checks failed with these codes: [500])."); n != 2 {
		t.Errorf("%d 'is unhealthy in (target-group …)' events, want 2:\n%s", n, strings.Join(msgs, "\n"))
	}
	if d := svc.Deployments[0]; aws.ToString(d.Id) != badID || d.FailedTasks != 2 {
		t.Errorf("failing deployment: %s failed=%d, want %s failed=2", aws.ToString(d.Id), d.FailedTasks, badID)
	}
	if got := svc.Deployments[1]; got.RunningCount != 2 {
		t.Errorf("the old deployment was drained while the new tasks were unhealthy:\n%s", dump(svc))
	}
	f.step(1) // stopped, and replaced (within maximumPercent)
	if msgs := messages(f.describe("web")); countContaining(msgs, "Amazon ECS replaced 2 tasks due to an unhealthy status.") != 1 {
		t.Errorf("no 'replaced 2 tasks due to an unhealthy status' event:\n%s", strings.Join(msgs, "\n"))
	}
	for _, tk := range f.tasks("web", types.DesiredStatusStopped) {
		if tk.StopCode != types.TaskStopCodeServiceSchedulerInitiated ||
			aws.ToString(tk.StoppedReason) != "Task failed ELB health checks in (target-group "+testTargetGroup+")" ||
			aws.ToString(tk.StartedBy) != badID {
			t.Errorf("stopped task: %s %q by %s", tk.StopCode, aws.ToString(tk.StoppedReason), aws.ToString(tk.StartedBy))
		}
	}

	var rolling types.Service
	for range 10 {
		f.step(1)
		if rolling = f.describe("web"); aws.ToString(rolling.TaskDefinition) == good {
			break
		}
	}
	p := rolling.Deployments[0]
	if aws.ToString(p.Id) != goodID || aws.ToString(p.TaskDefinition) != good || p.RolloutState != types.DeploymentRolloutStateInProgress ||
		aws.ToString(p.RolloutStateReason) != "ECS deployment circuit breaker: rolling back to deploymentId "+goodID+"." {
		t.Fatalf("rollback PRIMARY %s on %s %s %q, want %s (the last completed deployment) rolling back\n%s",
			aws.ToString(p.Id), aws.ToString(p.TaskDefinition), p.RolloutState, aws.ToString(p.RolloutStateReason), goodID, dump(rolling))
	}
	for range 5 {
		f.step(1)
		if rolling = f.describe("web"); shape(rolling) == "PRIMARY COMPLETED r2 p0" {
			break
		}
	}
	msgs = messages(rolling)
	completed := indexOf(msgs, "(service web) (deployment "+goodID+") deployment completed.")
	back := indexOf(msgs, "(service web) rolling back to deployment "+goodID+".")
	failed := indexOf(msgs, "(service web) (deployment "+badID+") deployment failed: tasks failed to start.")
	if shape(rolling) != "PRIMARY COMPLETED r2 p0" || completed < 0 || back < 0 || failed < 0 || !(completed < back && back < failed) {
		t.Errorf("want failed, rolling back, then completed for %s (newest first):\n%s\n%s", goodID, strings.Join(msgs, "\n"), dump(rolling))
	}
}

// fail-health without a load balancer: the container's health checks.
func TestFailHealthWithoutLoadBalancer(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "app:fail-health")
	f.createWith("web", td, false)
	f.step(3)
	svc := f.describe("web")
	stopped := f.tasks("web", types.DesiredStatusStopped)
	if len(stopped) != 2 || countContaining(messages(svc), ") failed container health checks.") != 2 {
		t.Fatalf("%d stopped tasks, events:\n%s", len(stopped), strings.Join(messages(svc), "\n"))
	}
	for _, tk := range stopped {
		if tk.StopCode != types.TaskStopCodeServiceSchedulerInitiated || aws.ToString(tk.StoppedReason) != "Task failed container health checks" {
			t.Errorf("stopped task: %s %q", tk.StopCode, aws.ToString(tk.StoppedReason))
		}
	}
}

// A change of network configuration, load balancers or registries starts a deployment on the
// same task definition; the same values again, or a deployment configuration change, do not.
func TestLaunchSettingsChangeStartsDeployment(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	created := f.createService("web", td, nil)
	oldID := aws.ToString(created.Deployments[0].Id)
	f.step(2)
	same := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1], AssignPublicIp: types.AssignPublicIpEnabled}}
	if got := shape(f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), NetworkConfiguration: same})); got != "PRIMARY COMPLETED r2 p0" {
		t.Errorf("same network configuration: %q, want no new deployment", got)
	}
	if got := shape(f.update(&ecs.UpdateServiceInput{Service: aws.String("web"),
		DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(50)}})); got != "PRIMARY COMPLETED r2 p0" {
		t.Errorf("deployment configuration: %q, want no new deployment", got)
	}
	changed := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1], AssignPublicIp: types.AssignPublicIpDisabled}}
	up := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), NetworkConfiguration: changed})
	if got := shape(up); got != "PRIMARY IN_PROGRESS r0 p2|ACTIVE COMPLETED r2 p0" {
		t.Fatalf("new network configuration: %q, want a new deployment", got)
	}
	newID := aws.ToString(up.Deployments[0].Id)
	if newID == oldID || aws.ToString(up.Deployments[0].TaskDefinition) != td || aws.ToString(up.Deployments[1].TaskDefinition) != td {
		t.Errorf("want a new deployment on the same task definition:\n%s", dump(up))
	}
	f.step(3)
	if svc := f.describe("web"); shape(svc) != "PRIMARY COMPLETED r2 p0" || aws.ToString(svc.Deployments[0].Id) != newID {
		t.Errorf("the settings deployment did not complete:\n%s", dump(svc))
	}
	up = f.update(&ecs.UpdateServiceInput{Service: aws.String("web"),
		ServiceRegistries: []types.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1")}}})
	if got := shape(up); !strings.HasPrefix(got, "PRIMARY IN_PROGRESS") {
		t.Errorf("new service registry: %q, want a new deployment", got)
	}
}

// Tasks that cannot start are reported as ECS reports them on Fargate: "was unable to place a
// task. Reason: …".
func TestUnableToPlaceEvents(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "registry.example/app:fail-pull")
	f.createService("web", td, nil)
	f.step(1)
	msgs := messages(f.describe("web"))
	want := "(service web) was unable to place a task. Reason: CannotPullContainerError: pull image manifest has been retried 1 time(s): " +
		"failed to resolve ref registry.example/app:fail-pull: registry.example/app:fail-pull: not found."
	if indexOf(msgs, want) < 0 {
		t.Errorf("events lack %q:\n%s", want, strings.Join(msgs, "\n"))
	}
}

// The simulator's default breaker threshold is ECS's rule (half the desired count, 3..200):
// a 10-task deployment fails at its 5th failed task, not its 3rd.
func TestDefaultThresholdIsECSRule(t *testing.T) {
	if got := DefaultSettings().FailureThreshold; got != 0 {
		t.Fatalf("default FailureThreshold %d, want 0 (ECS's rule)", got)
	}
	r := testRules(DefaultSettings().FailureThreshold)
	s := newTestService(10, obj{"deploymentCircuitBreaker": obj{"enable": true, "rollback": false}}, scenarioFailPull, r)
	p := s.primary()
	p.failed = 4
	if s.breaker(t0, r) || p.rollout != rolloutInProgress {
		t.Fatalf("4 failed tasks of 10 tripped the breaker")
	}
	p.failed = 5
	if !s.breaker(t0, r) || p.rollout != rolloutFailed {
		t.Fatalf("5 failed tasks of 10 did not trip the breaker")
	}
}

// failedTasks resets when a task of the deployment turns healthy (the breaker's
// resetOnHealthyTask, on by default); tasks that will not last never reset it.
func TestFailedTasksResetWhenATaskTurnsHealthy(t *testing.T) {
	for _, c := range []struct {
		sc    scenario
		grace time.Duration
		want  []int // failedTasks after each step
	}{
		{scenarioOK, 0, []int{0, 0}},
		{scenarioOK, 2 * time.Second, []int{2, 2, 0}}, // healthy once the grace period is over
		{scenarioFailExit, 0, []int{2, 4}},
	} {
		r := testRules(100)
		r.grace = c.grace
		s := newTestService(2, nil, c.sc, r)
		s.primary().failed = 2
		for i, want := range c.want {
			s.advance(t0.Add(time.Duration(i+1)*time.Second), r)
			if got := s.primary().failed; got != want {
				t.Errorf("%s, grace %s, step %d: failedTasks %d, want %d", c.sc, c.grace, i+1, got, want)
			}
		}
	}
}

package ecssim

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

var startedTwo = regexp.MustCompile(`^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$`)

// On the wall clock, as the binary runs: a new service goes IN_PROGRESS, then COMPLETED with
// ECS's events, newest first.
func TestCreateServiceRollsOutOnRealTime(t *testing.T) {
	f := newFixture(t, realTime(100*time.Millisecond))
	td := f.registerTD("web", "nginx:1.27")

	svc := f.createService("web", td, &types.DeploymentCircuitBreaker{Enable: true, Rollback: true})
	if got := shape(svc); got != "PRIMARY IN_PROGRESS r0 p2" {
		t.Errorf("CreateService answer: deployments %q, want PRIMARY IN_PROGRESS r0 p2", got)
	}
	if aws.ToString(svc.TaskDefinition) != td || svc.DesiredCount != 2 || svc.PendingCount != 2 {
		t.Errorf("CreateService answer:\n%s", dump(svc))
	}
	if cb := svc.DeploymentConfiguration.DeploymentCircuitBreaker; cb == nil || !cb.Enable || !cb.Rollback {
		t.Errorf("deploymentConfiguration not returned as sent: %+v", svc.DeploymentConfiguration)
	}

	start := time.Now()
	svc = f.waitFor("web", 5*time.Second, "COMPLETED", func(s types.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
	// Two steps: one to start the tasks, one to judge the deployment complete.
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("completed after %s, faster than one step", took)
	}
	d := svc.Deployments[0]
	if svc.RunningCount != 2 || svc.PendingCount != 0 || d.RunningCount != 2 || d.PendingCount != 0 || d.DesiredCount != 2 {
		t.Errorf("counts after completion:\n%s", dump(svc))
	}
	msgs := messages(svc)
	want := []string{
		"(service web) has reached a steady state.",
		"(service web) (deployment " + aws.ToString(d.Id) + ") deployment completed.",
	}
	if len(msgs) != 3 || msgs[0] != want[0] || msgs[1] != want[1] || !startedTwo.MatchString(msgs[2]) {
		t.Errorf("events, newest first:\n%s\nwant %q, %q, then 'has started 2 tasks'", strings.Join(msgs, "\n"), want[0], want[1])
	}
	for i := 1; i < len(svc.Events); i++ {
		if svc.Events[i].CreatedAt.After(*svc.Events[i-1].CreatedAt) {
			t.Errorf("event %d is newer than event %d: not newest first", i, i-1)
		}
	}

	tasks := f.tasks("web", types.DesiredStatusRunning)
	if len(tasks) != 2 {
		t.Fatalf("ListTasks(RUNNING): %d tasks, want 2", len(tasks))
	}
	for _, tk := range tasks {
		if aws.ToString(tk.LastStatus) != "RUNNING" || aws.ToString(tk.Group) != "service:web" ||
			aws.ToString(tk.StartedBy) != aws.ToString(d.Id) || aws.ToString(tk.TaskDefinitionArn) != td {
			t.Errorf("task %s: last=%s group=%s startedBy=%s td=%s", aws.ToString(tk.TaskArn), aws.ToString(tk.LastStatus),
				aws.ToString(tk.Group), aws.ToString(tk.StartedBy), aws.ToString(tk.TaskDefinitionArn))
		}
	}
}

// An update to a new task definition: a new PRIMARY, the old deployment ACTIVE and draining to
// 0, then gone; one state per step.
func TestUpdateDrainsOldDeployment(t *testing.T) {
	f := newFixture(t)
	td1 := f.registerTD("web", "nginx:1")
	td2 := f.registerTD("web", "nginx:2")
	f.createService("web", td1, nil)
	f.step(2)
	if got := shape(f.describe("web")); got != "PRIMARY COMPLETED r2 p0" {
		t.Fatalf("before update: %q", got)
	}

	// family:rev, which moto stores literally: the answer must still carry the full ARN.
	up := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	if aws.ToString(up.TaskDefinition) != td2 {
		t.Errorf("UpdateService answer taskDefinition = %q, want %q", aws.ToString(up.TaskDefinition), td2)
	}
	newID := aws.ToString(up.Deployments[0].Id)
	steps := []struct {
		shape         string
		activeDesired int32
	}{
		{"PRIMARY IN_PROGRESS r0 p2|ACTIVE COMPLETED r2 p0", 2}, // at the update
		{"PRIMARY IN_PROGRESS r2 p0|ACTIVE COMPLETED r2 p0", 0}, // new tasks up, old told to stop
		{"PRIMARY IN_PROGRESS r2 p0|ACTIVE COMPLETED r0 p0", 0}, // old tasks stopped
		{"PRIMARY COMPLETED r2 p0", 0},                          // old deployment gone
	}
	for i, want := range steps {
		svc := up
		if i > 0 {
			f.step(1)
			svc = f.describe("web")
		}
		if got := shape(svc); got != want.shape {
			t.Fatalf("step %d: deployments %q, want %q\n%s", i, got, want.shape, dump(svc))
		}
		if len(svc.Deployments) == 2 {
			if got := aws.ToString(svc.Deployments[1].TaskDefinition); got != td1 {
				t.Errorf("step %d: ACTIVE deployment runs %s, want %s", i, got, td1)
			}
			if got := svc.Deployments[1].DesiredCount; got != want.activeDesired {
				t.Errorf("step %d: ACTIVE desiredCount %d, want %d (it drains)", i, got, want.activeDesired)
			}
		}
		if aws.ToString(svc.TaskDefinition) != td2 || aws.ToString(svc.Deployments[0].TaskDefinition) != td2 {
			t.Errorf("step %d: service/PRIMARY task definition not %s:\n%s", i, td2, dump(svc))
		}
	}

	msgs := messages(f.describe("web"))
	if msgs[0] != "(service web) has reached a steady state." ||
		msgs[1] != "(service web) (deployment "+newID+") deployment completed." ||
		!strings.HasPrefix(msgs[2], "(service web) has stopped 2 running tasks: (task ") {
		t.Errorf("events:\n%s", strings.Join(msgs, "\n"))
	}
	stopped := f.tasks("web", types.DesiredStatusStopped)
	if len(stopped) != 2 {
		t.Fatalf("%d stopped tasks, want the 2 old ones", len(stopped))
	}
	for _, tk := range stopped {
		if aws.ToString(tk.StoppedReason) != "Scaling activity initiated by (deployment "+newID+")" ||
			tk.StopCode != types.TaskStopCodeServiceSchedulerInitiated || aws.ToString(tk.TaskDefinitionArn) != td1 ||
			aws.ToString(tk.LastStatus) != "STOPPED" || tk.StoppedAt == nil {
			t.Errorf("stopped task: reason=%q code=%s td=%s last=%s", aws.ToString(tk.StoppedReason), tk.StopCode,
				aws.ToString(tk.TaskDefinitionArn), aws.ToString(tk.LastStatus))
		}
	}
}

// A deployment whose image cannot be pulled trips the circuit breaker, which rolls the
// service back to the last completed task definition.
func TestCircuitBreakerRollsBack(t *testing.T) {
	f := newFixture(t)
	td1 := f.registerTD("web", "nginx:1")
	td2 := f.registerTD("web", "registry.example/app:fail-pull")
	created := f.createService("web", td1, &types.DeploymentCircuitBreaker{Enable: true, Rollback: true})
	goodID := aws.ToString(created.Deployments[0].Id)
	f.step(2)
	up := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String(td2)})
	badID := aws.ToString(up.Deployments[0].Id)

	f.step(1) // the first 2 tasks fail to pull and are replaced: below the threshold of 3
	svc := f.describe("web")
	if d := svc.Deployments[0]; d.RolloutState != types.DeploymentRolloutStateInProgress || d.FailedTasks != 2 {
		t.Fatalf("after 1 step: %s failed=%d, want IN_PROGRESS failed=2\n%s", d.RolloutState, d.FailedTasks, dump(svc))
	}
	f.step(1) // 4 failed: the breaker trips
	svc = f.describe("web")
	if aws.ToString(svc.TaskDefinition) != td1 {
		t.Errorf("service.taskDefinition = %s, want the rollback target %s", aws.ToString(svc.TaskDefinition), td1)
	}
	var failed *types.Deployment
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Id) == badID {
			failed = &svc.Deployments[i]
		}
	}
	if failed == nil || failed.RolloutState != types.DeploymentRolloutStateFailed || aws.ToString(failed.Status) != "ACTIVE" ||
		!strings.Contains(aws.ToString(failed.RolloutStateReason), "circuit breaker") {
		t.Fatalf("failed deployment not ACTIVE/FAILED by the circuit breaker:\n%s", dump(svc))
	}
	if p := svc.Deployments[0]; aws.ToString(p.TaskDefinition) != td1 || p.RolloutState != types.DeploymentRolloutStateInProgress {
		t.Errorf("PRIMARY is not a rollback to %s:\n%s", td1, dump(svc))
	}
	msgs := messages(svc)
	failedMsg := "(service web) (deployment " + badID + ") deployment failed: tasks failed to start."
	rollbackMsg := "(service web) rolling back to deployment " + goodID + "."
	iRollback, iFailed := indexOf(msgs, rollbackMsg), indexOf(msgs, failedMsg)
	if iRollback < 0 || iFailed < 0 || iRollback > iFailed {
		t.Errorf("want %q newer than %q in events:\n%s", rollbackMsg, failedMsg, strings.Join(msgs, "\n"))
	}

	for range 5 {
		f.step(1)
		if svc = f.describe("web"); shape(svc) == "PRIMARY COMPLETED r2 p0" {
			break
		}
	}
	if shape(svc) != "PRIMARY COMPLETED r2 p0" || aws.ToString(svc.Deployments[0].TaskDefinition) != td1 {
		t.Fatalf("rollback did not complete on %s:\n%s", td1, dump(svc))
	}

	pulls := 0
	for _, tk := range f.tasks("web", types.DesiredStatusStopped) {
		if aws.ToString(tk.TaskDefinitionArn) != td2 {
			continue
		}
		pulls++
		reason := aws.ToString(tk.StoppedReason)
		if !strings.HasPrefix(reason, "CannotPullContainerError: pull image manifest has been retried 1 time(s): "+
			"failed to resolve ref registry.example/app:fail-pull") || tk.StopCode != types.TaskStopCodeTaskFailedToStart ||
			aws.ToString(tk.Containers[0].Reason) != reason || tk.StartedAt != nil {
			t.Errorf("failed task: reason=%q code=%s container reason=%q startedAt=%v",
				reason, tk.StopCode, aws.ToString(tk.Containers[0].Reason), tk.StartedAt)
		}
	}
	if pulls != 4 {
		t.Errorf("%d stopped tasks of the failed deployment, want 4 (the scheduler retries)", pulls)
	}
}

// enable:true rollback:false: the deployment goes FAILED and stays; the old tasks keep running.
func TestCircuitBreakerWithoutRollback(t *testing.T) {
	f := newFixture(t)
	td1 := f.registerTD("web", "nginx:1")
	td2 := f.registerTD("web", "app:fail-exit")
	f.createService("web", td1, &types.DeploymentCircuitBreaker{Enable: true, Rollback: false})
	f.step(2)
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String(td2)})

	var svc types.Service
	for range 10 {
		f.step(1)
		if svc = f.describe("web"); svc.Deployments[0].RolloutState == types.DeploymentRolloutStateFailed {
			break
		}
	}
	want := "PRIMARY FAILED r0 p0|ACTIVE COMPLETED r2 p0"
	if shape(svc) != want {
		t.Fatalf("deployments %q, want %q\n%s", shape(svc), want, dump(svc))
	}
	f.step(5)
	svc = f.describe("web")
	if shape(svc) != want || aws.ToString(svc.TaskDefinition) != td2 {
		t.Errorf("5 steps later: %q on %s, want %q still on %s", shape(svc), aws.ToString(svc.TaskDefinition), want, td2)
	}
	if n := countContaining(messages(svc), "rolling back"); n != 0 {
		t.Errorf("rolled back with rollback:false")
	}
	exited := f.tasks("web", types.DesiredStatusStopped)
	if len(exited) < 3 {
		t.Fatalf("%d stopped tasks, want at least 3", len(exited))
	}
	for _, tk := range exited {
		c := tk.Containers[0]
		if aws.ToString(tk.StoppedReason) != "Essential container in task exited" || tk.StopCode != types.TaskStopCodeEssentialContainerExited ||
			c.ExitCode == nil || *c.ExitCode != 1 || tk.StartedAt == nil {
			t.Errorf("exited task: reason=%q code=%s exit=%v startedAt=%v", aws.ToString(tk.StoppedReason), tk.StopCode, c.ExitCode, tk.StartedAt)
		}
	}
}

// Without a circuit breaker ECS retries failing tasks forever and warns once.
func TestWithoutCircuitBreakerRetriesForever(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "app:fail-secrets")
	f.createService("web", td, nil)
	f.step(10)
	svc := f.describe("web")
	d := svc.Deployments[0]
	if d.RolloutState != types.DeploymentRolloutStateInProgress || d.FailedTasks != 20 {
		t.Fatalf("after 10 steps: %s failed=%d, want IN_PROGRESS failed=20\n%s", d.RolloutState, d.FailedTasks, dump(svc))
	}
	msgs := messages(svc)
	if n := countContaining(msgs, "is unable to consistently start tasks successfully"); n != 1 {
		t.Errorf("%d 'unable to consistently start' events, want 1", n)
	}
	if n := countContaining(msgs, "has started 2 tasks"); n != 11 {
		t.Errorf("%d 'has started' events, want 11 (one per retry)", n)
	}
	stopped := f.tasks("web", types.DesiredStatusStopped)
	if len(stopped) != 20 {
		t.Errorf("%d stopped tasks, want 20", len(stopped))
	}
	for _, tk := range stopped {
		if !strings.HasPrefix(aws.ToString(tk.StoppedReason), "ResourceInitializationError: unable to pull secrets") {
			t.Errorf("stoppedReason %q", aws.ToString(tk.StoppedReason))
		}
	}
}

// The control endpoint forces a scenario on a service's next deployments, whatever the image.
func TestScenarioForcedByControlEndpoint(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	f.step(2)

	if code, body := f.control("POST", "scenario", obj{"account": f.account, "cluster": "c1", "service": "web", "scenario": "fail-pull"}); code != 200 {
		t.Fatalf("POST scenario: %d %s", code, body)
	}
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), ForceNewDeployment: true})
	f.step(1)
	svc := f.describe("web")
	if got := svc.Deployments[0].FailedTasks; got != 2 {
		t.Errorf("forced fail-pull: failedTasks %d, want 2\n%s", got, dump(svc))
	}

	if code, _ := f.control("POST", "scenario", obj{"account": f.account, "cluster": "c1", "service": "web", "scenario": "ok"}); code != 200 {
		t.Fatal("clearing the scenario failed")
	}
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), ForceNewDeployment: true})
	f.step(4)
	if got := shape(f.describe("web")); got != "PRIMARY COMPLETED r2 p0" {
		t.Errorf("after clearing: %q, want PRIMARY COMPLETED r2 p0", got)
	}
	if code, _ := f.control("POST", "scenario", obj{"service": "web", "scenario": "explode"}); code != 400 {
		t.Errorf("unknown scenario accepted (HTTP %d)", code)
	}
}

// Changing only desiredCount scales within the current deployment: no new deployment.
func TestDesiredCountScalesWithoutNewDeployment(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	f.step(2)
	up := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(3)})
	if got := shape(up); got != "PRIMARY COMPLETED r2 p1" {
		t.Errorf("scale out: %q, want PRIMARY COMPLETED r2 p1", got)
	}
	f.step(2)
	svc := f.describe("web")
	if shape(svc) != "PRIMARY COMPLETED r3 p0" || countContaining(messages(svc), "steady state") != 2 {
		t.Errorf("after scale out:\n%s", dump(svc))
	}
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	f.step(2)
	if got := shape(f.describe("web")); got != "PRIMARY COMPLETED r1 p0" {
		t.Errorf("scale in: %q, want PRIMARY COMPLETED r1 p0", got)
	}
}

func TestDeleteServiceStopsTasks(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	f.step(2)
	out, err := f.ecs.DeleteService(ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String("c1"), Service: aws.String("web"), Force: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Service.Status) != "DRAINING" || out.Service.RunningCount != 0 {
		t.Errorf("DeleteService answer: status %s running %d", aws.ToString(out.Service.Status), out.Service.RunningCount)
	}
	f.step(1)
	svc := f.describe("web")
	if aws.ToString(svc.Status) != "INACTIVE" || svc.RunningCount != 0 || len(svc.Deployments) != 0 {
		t.Errorf("after delete:\n%s status %s", dump(svc), aws.ToString(svc.Status))
	}
	if n := len(f.tasks("web", types.DesiredStatusStopped)); n != 2 {
		t.Errorf("%d stopped tasks after delete, want 2", n)
	}
	// ECS allows the name again once the service is gone.
	f.createService("web", td, nil)
}

// moto silently replaces a duplicate; ECS refuses it, and so does the simulator.
func TestDuplicateCreateServiceRefused(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	_, err := f.ecs.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("c1"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(td), DesiredCount: aws.Int32(1)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
		t.Errorf("duplicate CreateService: %v, want InvalidParameterException", err)
	}
}

// moto's own errors reach the client as typed exceptions.
func TestMotoErrorsPassThrough(t *testing.T) {
	f := newFixture(t)
	_, err := f.ecs.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
	var notFound *types.ClusterNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeServices on a missing cluster: %v, want ClusterNotFoundException", err)
	}
	_, err = f.ecs.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("c1"), Service: aws.String("ghost"), DesiredCount: aws.Int32(1)})
	var svcNotFound *types.ServiceNotFoundException
	if !errors.As(err, &svcNotFound) {
		t.Errorf("UpdateService on a missing service: %v, want ServiceNotFoundException", err)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// moto's CreateService ignores enableExecuteCommand and enableECSManagedTags; the simulator
// hands them to moto's UpdateService, which stores them, so the CreateService answer and
// DescribeServices (both moto's) carry them, and moto's other fields stay its own.
func TestCreateServiceKeepsExecAndManagedTags(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1.27")
	out, err := f.ecs.CreateService(ctx(t), &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1]}},
		EnableExecuteCommand: true, EnableECSManagedTags: true, PlatformVersion: aws.String("1.4.0"), PropagateTags: types.PropagateTagsTaskDefinition,
	})
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]types.Service{"CreateService": *out.Service, "DescribeServices": f.describe("web")} {
		if !s.EnableExecuteCommand || !s.EnableECSManagedTags || aws.ToString(s.PlatformVersion) != "1.4.0" || s.PropagateTags != types.PropagateTagsTaskDefinition {
			t.Errorf("%s: exec %v, managed tags %v, platform %s, propagate %s", what, s.EnableExecuteCommand, s.EnableECSManagedTags,
				aws.ToString(s.PlatformVersion), s.PropagateTags)
		}
	}
	// Without them (the SDK leaves false out), nothing is handed over.
	f.createService("api", td, nil)
	if s := f.describe("api"); s.EnableExecuteCommand || s.EnableECSManagedTags {
		t.Errorf("api: exec %v, managed tags %v", s.EnableExecuteCommand, s.EnableECSManagedTags)
	}
}

// moto drops serviceConnectConfiguration; the simulator keeps the one CreateService or
// UpdateService sent on the deployments it starts, as ECS reports it: a change starts a new
// deployment, an UpdateService without it keeps it, and turning it off is kept as sent.
func TestServiceConnectOnTheDeployments(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1.27")
	on := &types.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String("shop"),
		Services: []types.ServiceConnectService{{PortName: aws.String("http"), ClientAliases: []types.ServiceConnectClientAlias{{Port: aws.Int32(80)}}}}}
	out, err := f.ecs.CreateService(ctx(t), &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration:        &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1]}},
		ServiceConnectConfiguration: on,
	})
	if err != nil {
		t.Fatal(err)
	}
	primary := func(s types.Service) *types.ServiceConnectConfiguration {
		return s.Deployments[0].ServiceConnectConfiguration
	}
	for what, s := range map[string]types.Service{"CreateService": *out.Service, "DescribeServices": f.describe("web")} {
		if c := primary(s); c == nil || !c.Enabled || aws.ToString(c.Namespace) != "shop" || aws.ToString(c.Services[0].PortName) != "http" ||
			aws.ToInt32(c.Services[0].ClientAliases[0].Port) != 80 {
			t.Fatalf("%s: %+v", what, c)
		}
	}
	// Another setting alone: the configuration stays, and no deployment starts.
	s := f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(2)})
	if len(s.Deployments) != 1 || primary(s) == nil || !primary(s).Enabled {
		t.Fatalf("after a desired count: %d deployments, %+v", len(s.Deployments), primary(s))
	}
	// Turned off: a new deployment, which reports it off; the old one keeps what it ran.
	s = f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), ServiceConnectConfiguration: &types.ServiceConnectConfiguration{Enabled: false}})
	if len(s.Deployments) != 2 || primary(s) == nil || primary(s).Enabled || s.Deployments[1].ServiceConnectConfiguration == nil ||
		!s.Deployments[1].ServiceConnectConfiguration.Enabled {
		t.Fatalf("after turning it off: %+v", s.Deployments)
	}
}

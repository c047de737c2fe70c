package ecssim

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// The standalone tasks RunTask starts, stepped with the manual clock and read back with the
// real SDK clients, ECS and CloudWatch Logs.

func TestCommandModel(t *testing.T) {
	for _, c := range []struct {
		cmd   []string
		exit  int
		run   time.Duration
		lines []string
	}{
		{[]string{"./manage.py", "migrate"}, 0, testStep, nil},
		{[]string{"sh", "-c", "echo migrating; exit 3"}, 3, testStep, []string{"migrating"}},
		{[]string{"sh", "-c", `echo "a b" && echo 'c'; exit 0`}, 0, testStep, []string{"a b", "c"}},
		{[]string{"sh", "-c", "exit 300"}, 44, testStep, nil},
		{[]string{"sh", "-c", "sleep 5; sleep 2; exit 1"}, 1, 7 * time.Second, nil},
		{[]string{"sh", "-c", "exit 2; echo unreachable"}, 0, testStep, []string{"unreachable"}},
		{[]string{"bin/exit", "4"}, 0, testStep, nil},
	} {
		if got := commandExit(c.cmd); got != c.exit {
			t.Errorf("%q: exit %d, want %d", c.cmd, got, c.exit)
		}
		if got := commandRunTime(c.cmd, testStep); got != c.run {
			t.Errorf("%q: runs %s, want %s", c.cmd, got, c.run)
		}
		if got := commandOutput(c.cmd); !slices.Equal(got, c.lines) {
			t.Errorf("%q: prints %q, want %q", c.cmd, got, c.lines)
		}
	}
}

// registerRunTD registers a task definition whose app container logs to /ecs/app with prefix
// "app" and sets no memory of its own (Fargate takes the task's), beside a sidecar.
func (f *fixture) registerRunTD(image string) string {
	f.t.Helper()
	logs := &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
		"awslogs-group": "/ecs/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}}
	out, err := f.ecs.RegisterTaskDefinition(ctx(f.t), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"), NetworkMode: types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String(image), Essential: aws.Bool(true), LogConfiguration: logs},
			{Name: aws.String("proxy"), Image: aws.String("envoy:1"), Essential: aws.Bool(false), Memory: aws.Int32(128)},
		},
	})
	if err != nil {
		f.t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (f *fixture) runTask(in *ecs.RunTaskInput) (*ecs.RunTaskOutput, error) {
	in.Cluster = aws.String(f.cluster)
	if in.NetworkConfiguration == nil {
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets[:1]}}
	}
	return f.ecs.RunTask(ctx(f.t), in)
}

func (f *fixture) describeTask(arn string) types.Task {
	f.t.Helper()
	out, err := f.ecs.DescribeTasks(ctx(f.t), &ecs.DescribeTasksInput{Cluster: aws.String(f.cluster), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 || len(out.Failures) != 0 {
		f.t.Fatalf("DescribeTasks %s: %v %+v", arn, err, out)
	}
	return out.Tasks[0]
}

func (f *fixture) listRun(desired types.DesiredStatus) []string {
	f.t.Helper()
	out, err := f.ecs.ListTasks(ctx(f.t), &ecs.ListTasksInput{Cluster: aws.String(f.cluster), StartedBy: aws.String("shipit-run"), DesiredStatus: desired})
	if err != nil {
		f.t.Fatalf("ListTasks: %v", err)
	}
	return out.TaskArns
}

func override(cmd ...string) *types.TaskOverride {
	return &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("app"), Command: cmd}}}
}

// A task goes PROVISIONING, PENDING, RUNNING while its command runs, DEPROVISIONING with the
// exit code of its command's "exit N", then STOPPED; it logs its echo lines to its awslogs
// stream; ListTasks follows its desired status.
func TestRunTaskLifecycle(t *testing.T) {
	f := newFixture(t)
	// CloudWatch Logs drops events older than 14 days (PutLogEvents, "tooOldLogEventEndIndex"),
	// and moto does too: the task's log lines carry the simulator's time, so it is today's.
	f.clock.Add(time.Since(f.clock.Now()))
	logs := f.logsClient()
	if _, err := logs.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/app")}); err != nil {
		t.Fatal(err)
	}
	td := f.registerRunTD("repo/app:1")
	out, err := f.runTask(&ecs.RunTaskInput{TaskDefinition: aws.String("app"), LaunchType: types.LaunchTypeFargate,
		StartedBy: aws.String("shipit-run"), Overrides: override("sh", "-c", "echo migrating; echo 12 done; exit 3")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 1 || len(out.Failures) != 0 {
		t.Fatalf("RunTask: %+v", out)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	id := arn[len(arn)-32:]
	type view struct{ last, desired string }
	see := func(tk types.Task) view { return view{aws.ToString(tk.LastStatus), aws.ToString(tk.DesiredStatus)} }
	if got := see(out.Tasks[0]); got != (view{"PROVISIONING", "RUNNING"}) || aws.ToString(out.Tasks[0].TaskDefinitionArn) != td ||
		aws.ToString(out.Tasks[0].StartedBy) != "shipit-run" || aws.ToString(out.Tasks[0].Group) != "family:app" {
		t.Fatalf("RunTask's task: %+v", out.Tasks[0])
	}
	f.step(1)
	if got := see(f.describeTask(arn)); got != (view{"PENDING", "RUNNING"}) {
		t.Errorf("one step on: %+v", got)
	}
	f.step(1)
	tk := f.describeTask(arn)
	if got := see(tk); got != (view{"RUNNING", "RUNNING"}) || tk.StartedAt == nil || aws.ToString(tk.Containers[0].LastStatus) != "RUNNING" {
		t.Errorf("two steps on: %+v", tk)
	}
	if got := f.listRun(types.DesiredStatusRunning); !slices.Equal(got, []string{arn}) {
		t.Errorf("ListTasks RUNNING: %v", got)
	}
	f.step(1)
	tk = f.describeTask(arn)
	if got := see(tk); got != (view{"DEPROVISIONING", "STOPPED"}) || aws.ToInt32(tk.Containers[0].ExitCode) != 3 ||
		tk.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToString(tk.StoppedReason) != "Essential container in task exited" {
		t.Errorf("after the command exited: %+v", tk)
	}
	if got := f.listRun(types.DesiredStatusStopped); !slices.Equal(got, []string{arn}) {
		t.Errorf("ListTasks STOPPED: %v", got)
	}
	if got := f.listRun(types.DesiredStatusRunning); len(got) != 0 {
		t.Errorf("ListTasks RUNNING after the exit: %v", got)
	}
	f.step(1)
	tk = f.describeTask(arn)
	if got := see(tk); got != (view{"STOPPED", "STOPPED"}) || tk.StoppedAt == nil || aws.ToInt32(tk.Containers[0].ExitCode) != 3 ||
		aws.ToInt32(tk.Containers[1].ExitCode) != 0 || aws.ToString(tk.Containers[0].Name) != "app" {
		t.Errorf("one step after the exit: %+v", tk)
	}
	ev, err := logs.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/app"),
		LogStreamName: aws.String("app/app/" + id), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetLogEvents: %v", err)
	}
	var lines []string
	for _, e := range ev.Events {
		lines = append(lines, aws.ToString(e.Message))
	}
	if !slices.Equal(lines, []string{"migrating", "12 done"}) {
		t.Errorf("log lines %q", lines)
	}

	// A command that prints nothing still has its stream, empty, once it has started.
	out, err = f.runTask(&ecs.RunTaskInput{TaskDefinition: aws.String("app"), LaunchType: types.LaunchTypeFargate, Overrides: override("true")})
	if err != nil {
		t.Fatal(err)
	}
	arn = aws.ToString(out.Tasks[0].TaskArn)
	f.step(2)
	f.describeTask(arn)
	ev, err = logs.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/app"),
		LogStreamName: aws.String("app/app/" + arn[len(arn)-32:]), StartFromHead: aws.Bool(true)})
	if err != nil || len(ev.Events) != 0 {
		t.Errorf("the stream of a silent task: %v, %d events", err, len(ev.Events))
	}
}

// StopTask stops a RUNNING task: UserInitiated with the request's reason, the container
// SIGTERMed (143), STOPPED one step later.
func TestRunTaskStopTask(t *testing.T) {
	f := newFixture(t)
	if _, err := f.logsClient().CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/app")}); err != nil {
		t.Fatal(err)
	}
	f.registerRunTD("repo/app:1")
	out, err := f.runTask(&ecs.RunTaskInput{TaskDefinition: aws.String("app"), LaunchType: types.LaunchTypeFargate, Overrides: override("sh", "-c", "sleep 600")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	f.step(5)
	if tk := f.describeTask(arn); aws.ToString(tk.LastStatus) != "RUNNING" {
		t.Fatalf("a sleeping task: %s", aws.ToString(tk.LastStatus))
	}
	stop, err := f.ecs.StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: aws.String(arn), Reason: aws.String("shipit run: interrupted")})
	if err != nil {
		t.Fatal(err)
	}
	if tk := stop.Task; aws.ToString(tk.DesiredStatus) != "STOPPED" || tk.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(tk.StoppedReason) != "shipit run: interrupted" {
		t.Errorf("StopTask's task: %+v", tk)
	}
	f.step(1)
	if tk := f.describeTask(arn); aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToInt32(tk.Containers[0].ExitCode) != 143 {
		t.Errorf("one step after StopTask: %s, exit %v", aws.ToString(tk.LastStatus), tk.Containers[0].ExitCode)
	}
}

// A fail-pull image never starts: TaskFailedToStart with CannotPullContainerError, no exit
// code. Fargate Spot through a capacity provider strategy, and an app container without a
// memory of its own, run as on ECS (moto's RunTask refuses both).
func TestRunTaskFailPullOnSpot(t *testing.T) {
	f := newFixture(t)
	f.registerRunTD("repo/app:fail-pull")
	out, err := f.runTask(&ecs.RunTaskInput{TaskDefinition: aws.String("app"), Overrides: override("true"),
		CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	f.step(3)
	tk := f.describeTask(arn)
	if aws.ToString(tk.LastStatus) != "STOPPED" || tk.StopCode != types.TaskStopCodeTaskFailedToStart || tk.StartedAt != nil ||
		tk.Containers[0].ExitCode != nil || aws.ToString(tk.CapacityProviderName) != "FARGATE_SPOT" ||
		!startsWith(aws.ToString(tk.StoppedReason), "CannotPullContainerError: ") || !startsWith(aws.ToString(tk.Containers[0].Reason), "CannotPullContainerError: ") {
		t.Errorf("fail-pull task: %+v", tk)
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// RunTask refuses what ECS refuses, with ECS's error codes.
func TestRunTaskErrors(t *testing.T) {
	f := newFixture(t)
	f.registerRunTD("repo/app:1")
	for _, c := range []struct {
		name string
		in   *ecs.RunTaskInput
		code string
	}{
		{"unknown cluster", &ecs.RunTaskInput{TaskDefinition: aws.String("app")}, "ClusterNotFoundException"},
		{"unknown task definition", &ecs.RunTaskInput{TaskDefinition: aws.String("nope")}, "ClientException"},
		{"no network", &ecs.RunTaskInput{TaskDefinition: aws.String("app"), NetworkConfiguration: &types.NetworkConfiguration{}}, "InvalidParameterException"},
		{"too many", &ecs.RunTaskInput{TaskDefinition: aws.String("app"), Count: aws.Int32(11)}, "InvalidParameterException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			_, err := f.runTask(in)
			if c.name == "unknown cluster" {
				in.Cluster = aws.String("nope")
				_, err = f.ecs.RunTask(ctx(t), in)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != c.code {
				t.Errorf("error %v, want %s", err, c.code)
			}
		})
	}
}

// A standalone task whose awslogs group does not exist fails to start, as a service's does.
func TestRunTaskMissingLogGroup(t *testing.T) {
	f := newFixture(t)
	f.registerRunTD("repo/app:1")
	out, err := f.runTask(&ecs.RunTaskInput{TaskDefinition: aws.String("app"), LaunchType: types.LaunchTypeFargate, Overrides: override("sh", "-c", "exit 0")})
	if err != nil {
		t.Fatal(err)
	}
	f.step(5)
	tk := f.describeTask(aws.ToString(out.Tasks[0].TaskArn))
	if aws.ToString(tk.LastStatus) != "STOPPED" || tk.StopCode != types.TaskStopCodeTaskFailedToStart || aws.ToString(tk.StoppedReason) != missingLogGroupReason {
		t.Errorf("task %s, stop code %s, reason %q; want STOPPED, TaskFailedToStart and the log group's ResourceInitializationError",
			aws.ToString(tk.LastStatus), tk.StopCode, aws.ToString(tk.StoppedReason))
	}
}

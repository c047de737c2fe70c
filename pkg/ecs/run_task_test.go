package ecs

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/shipit-dev/shipit/pkg/target"
)

// The tests of shipit run on ECS drive RunTask against fakes: the task goes through the
// states a script gives, and its logs come a page at a time.

const runTaskARN = "arn:aws:ecs:us-east-1:123456789012:task/c1/0123456789abcdef0123456789abcdef"

// runECS is fakeECS with RunTask, StopTask and a scripted DescribeTasks.
type runECS struct {
	*fakeECS
	mu     sync.Mutex
	runs   []*ecs.RunTaskInput
	stops  []*ecs.StopTaskInput
	runOut *ecs.RunTaskOutput // nil: one task, PROVISIONING
	// states answer DescribeTasks in turn (the last repeats); an error state answers it.
	states []func() (*types.Task, error)
	n      int
	// onDescribe, when set, runs before the nth (0-based) answer.
	onDescribe func(n int)
}

func (f *runECS) RunTask(ctx context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, in)
	if f.runOut != nil {
		return f.runOut, nil
	}
	return &ecs.RunTaskOutput{Tasks: []types.Task{{TaskArn: aws.String(runTaskARN), LastStatus: aws.String("PROVISIONING")}}}, nil
}

func (f *runECS) StopTask(ctx context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, in)
	return &ecs.StopTaskOutput{Task: &types.Task{TaskArn: in.Task, StopCode: types.TaskStopCodeUserInitiated, StoppedReason: in.Reason}}, nil
}

func (f *runECS) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	n := f.n
	f.n++
	hook := f.onDescribe
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	t, err := f.states[min(n, len(f.states)-1)]()
	if err != nil {
		return nil, err
	}
	return &ecs.DescribeTasksOutput{Tasks: []types.Task{*t}}, nil
}

// state is a DescribeTasks answer: the task in lastStatus st; the app container "web" with
// exit code (when not nil) and reason.
func state(st string, exit *int32, stopCode types.TaskStopCode, stopped, reason string) func() (*types.Task, error) {
	return func() (*types.Task, error) {
		t := &types.Task{TaskArn: aws.String(runTaskARN), LastStatus: aws.String(st), StopCode: stopCode}
		if stopped != "" {
			t.StoppedReason = aws.String(stopped)
		}
		if st == "RUNNING" || exit != nil {
			t.StartedAt = aws.Time(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))
		}
		c := types.Container{Name: aws.String("web"), ExitCode: exit}
		if reason != "" {
			c.Reason = aws.String(reason)
		}
		t.Containers = []types.Container{c, {Name: aws.String("log-router")}}
		return t, nil
	}
}

func exit(n int32) *int32 { return &n }

// runLogs serves lines from one stream, two events a page, with CloudWatch's tokens: the
// answer's nextForwardToken is the one passed when nothing more is there. The first missing
// reads answer ResourceNotFoundException, as before the awslogs driver created the stream.
type runLogs struct {
	*fakeLogs
	mu      sync.Mutex
	lines   []string
	missing int
	reads   []*cloudwatchlogs.GetLogEventsInput
}

func (f *runLogs) GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, in)
	if f.missing > 0 {
		f.missing--
		return nil, &logtypes.ResourceNotFoundException{Message: aws.String("The specified log stream does not exist.")}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "f/%d", &start)
	}
	end := min(start+2, len(f.lines))
	out := &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: aws.String(fmt.Sprintf("f/%d", end))}
	for _, l := range f.lines[start:end] {
		out.Events = append(out.Events, logtypes.OutputLogEvent{Message: aws.String(l + "\n")})
	}
	return out, nil
}

// instantClock fires every timer at once, moving time on by its duration.
type instantClock struct{ *testingclock.FakeClock }

func (c instantClock) NewTimer(d time.Duration) clock.Timer {
	t := c.FakeClock.NewTimer(d)
	c.FakeClock.Step(d)
	return t
}

func newRunSession(f *runECS, logs *runLogs) *Session {
	s := newTestSession(f.fakeECS)
	if logs.fakeLogs == nil {
		logs.fakeLogs = &fakeLogs{retention: 30}
	}
	s.ecs, s.logs = f, logs
	s.clock = instantClock{testingclock.NewFakeClock(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))}
	return s
}

func TestRunTask(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	const live = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	for _, c := range []struct {
		name    string
		extra   string // more YAML under ecs:
		service bool   // the service runs this spec as web:7
		states  []func() (*types.Task, error)
		logs    *runLogs
		want    target.RunResult
		events  []string
		out     string
	}{
		{name: "exit 0 on the live revision", service: true,
			states: []func() (*types.Task, error){
				state("PROVISIONING", nil, "", "", ""), state("PENDING", nil, "", "", ""), state("RUNNING", nil, "", "", ""),
				state("STOPPED", exit(0), types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", ""),
			},
			logs: &runLogs{lines: []string{"migrating", "12 migrations", "done"}, missing: 3},
			want: target.RunResult{Status: target.RunSucceeded, Revision: "web:7", ContainerExitCode: new(int),
				StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
				Message: "web exited 0 (task 0123456789abcdef0123456789abcdef, web:7)",
				Logs:    "/ecs/web web/web/0123456789abcdef0123456789abcdef: 3 lines"},
			events: []string{
				"running web:7, the revision service web runs (spec " + rd.Hash + ")",
				"started task 0123456789abcdef0123456789abcdef of web:7 in cluster c1 in us-east-1: ./manage.py migrate",
				"task 0123456789abcdef0123456789abcdef: PROVISIONING",
				"task 0123456789abcdef0123456789abcdef: PENDING",
				"task 0123456789abcdef0123456789abcdef: RUNNING",
				"task 0123456789abcdef0123456789abcdef: STOPPED",
			},
			out: "migrating\n12 migrations\ndone\n"},
		{name: "exit 3 on a new revision, Fargate Spot, throttled", extra: "  capacity: FARGATE_SPOT\n",
			states: []func() (*types.Task, error){
				func() (*types.Task, error) { return nil, throttled() }, state("RUNNING", nil, "", "", ""),
				state("STOPPED", exit(3), types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", ""),
			},
			logs: &runLogs{lines: []string{"no such table: users"}},
			want: target.RunResult{Status: target.RunFailed, Revision: "web:2", ContainerExitCode: ptr(3),
				StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
				Message: "web exited 3 (task 0123456789abcdef0123456789abcdef, web:2): EssentialContainerExited: Essential container in task exited",
				Logs:    "/ecs/web web/web/0123456789abcdef0123456789abcdef: 1 line"},
			events: []string{
				"registered task definition web:2 (spec HASH; a deploy of the same spec reuses it)",
				"started task 0123456789abcdef0123456789abcdef of web:2 in cluster c1 in us-east-1: ./manage.py migrate",
				"task 0123456789abcdef0123456789abcdef: RUNNING",
				"task 0123456789abcdef0123456789abcdef: STOPPED",
			},
			out: "no such table: users\n"},
		{name: "image not pulled", service: true,
			states: []func() (*types.Task, error){
				state("PENDING", nil, "", "", ""),
				state("STOPPED", nil, types.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: pull image manifest has been retried 1 time(s): not found", "CannotPullContainerError: not found"),
			},
			logs: &runLogs{missing: 100},
			want: target.RunResult{Status: target.RunNotRun, Revision: "web:7",
				StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: pull image manifest has been retried 1 time(s): not found",
				Message: "task 0123456789abcdef0123456789abcdef (web:7) stopped before web ran: TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 1 time(s): not found (web: CannotPullContainerError: not found)",
				Logs:    "none: the container never started"},
			events: []string{
				"running web:7, the revision service web runs (spec " + rd.Hash + ")",
				"started task 0123456789abcdef0123456789abcdef of web:7 in cluster c1 in us-east-1: ./manage.py migrate",
				"task 0123456789abcdef0123456789abcdef: PENDING",
				"task 0123456789abcdef0123456789abcdef: STOPPED",
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := testApp(t, c.extra)
			rd := render(t, app)
			f := &runECS{fakeECS: &fakeECS{taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{}}, states: c.states}
			if c.service {
				f.script = []func() (*types.Service, error){returns(steadyLive(rd, live))}
				f.taskDefs[live] = liveTD(live, rd)
			}
			s := newRunSession(f, c.logs)
			var got events
			var out bytes.Buffer
			res, err := s.RunTask(context.Background(), app, target.RunOptions{Command: []string{"./manage.py", "migrate"}, Logs: &out}, &got)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			want.Target, want.App, want.Task, want.Container, want.Image = "ecs", "web", runTaskARN, "web", "nginx:1.27"
			want.Command = []string{"./manage.py", "migrate"}
			if !sameResult(*res, want) {
				t.Errorf("result\n%+v\nwant\n%+v", *res, want)
			}
			wantEvents := strings.Join(c.events, "\n")
			wantEvents = strings.ReplaceAll(wantEvents, "HASH", rd.Hash)
			if g := strings.Join(got.messages(), "\n"); g != wantEvents {
				t.Errorf("events:\n%s\nwant:\n%s", g, wantEvents)
			}
			if out.String() != c.out {
				t.Errorf("logs %q, want %q", out.String(), c.out)
			}
			if len(f.runs) != 1 {
				t.Fatalf("%d RunTask calls", len(f.runs))
			}
			in := f.runs[0]
			if len(f.stops) != 0 {
				t.Errorf("StopTask %v", f.stops)
			}
			wantTD := live
			if !c.service {
				wantTD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
				if len(f.registers) != 1 {
					t.Errorf("%d registrations, want 1", len(f.registers))
				}
			} else if len(f.registers) != 0 {
				t.Errorf("registered %d revisions of a spec that is live", len(f.registers))
			}
			ov := in.Overrides.ContainerOverrides
			if aws.ToString(in.Cluster) != "c1" || aws.ToString(in.TaskDefinition) != wantTD || aws.ToInt32(in.Count) != 1 ||
				aws.ToString(in.StartedBy) != "shipit-run" || in.PropagateTags != types.PropagateTagsTaskDefinition ||
				len(ov) != 1 || aws.ToString(ov[0].Name) != "web" || !slices.Equal(ov[0].Command, []string{"./manage.py", "migrate"}) ||
				!slices.Equal(in.NetworkConfiguration.AwsvpcConfiguration.Subnets, []string{"subnet-1", "subnet-2"}) ||
				!slices.Equal(in.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, []string{"sg-1"}) ||
				in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != types.AssignPublicIpDisabled {
				t.Errorf("RunTask input %+v", in)
			}
			if c.extra == "" && (in.LaunchType != types.LaunchTypeFargate || in.CapacityProviderStrategy != nil) {
				t.Errorf("launch type %q, capacity %v", in.LaunchType, in.CapacityProviderStrategy)
			}
			if c.extra != "" && (in.LaunchType != "" || len(in.CapacityProviderStrategy) != 1 || aws.ToString(in.CapacityProviderStrategy[0].CapacityProvider) != "FARGATE_SPOT") {
				t.Errorf("launch type %q, capacity %v, want FARGATE_SPOT", in.LaunchType, in.CapacityProviderStrategy)
			}
			for _, r := range c.logs.reads {
				if aws.ToString(r.LogGroupName) != "/ecs/web" || aws.ToString(r.LogStreamName) != "web/web/0123456789abcdef0123456789abcdef" {
					t.Errorf("GetLogEvents %s %s", aws.ToString(r.LogGroupName), aws.ToString(r.LogStreamName))
				}
			}
		})
	}
}

func ptr(n int) *int { return &n }

// sameResult compares two results, their exit codes by value.
func sameResult(a, b target.RunResult) bool {
	ea, eb := a.ContainerExitCode, b.ContainerExitCode
	if (ea == nil) != (eb == nil) || ea != nil && *ea != *eb {
		return false
	}
	a.ContainerExitCode, b.ContainerExitCode = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// An interrupt or the command's time bound stops the task with StopTask, naming why, and the
// result says so; what the task logged until then is printed.
func TestRunTaskStopped(t *testing.T) {
	for _, c := range []struct {
		name    string
		limit   time.Duration
		status  target.RunStatus
		message string
		reason  string
	}{
		{"interrupted", 0, target.RunInterrupted,
			"interrupted while it was RUNNING; stopped task 0123456789abcdef0123456789abcdef (StopTask)", "shipit run: interrupted"},
		{"timed out", time.Millisecond, target.RunTimedOut,
			"timed out after 1ms while it was RUNNING; stopped task 0123456789abcdef0123456789abcdef (StopTask)", "shipit run: timed out after 1ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := testApp(t, "")
			process, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			// The bound is set once the task runs, so that it cannot run out before.
			ctx, cancel := target.CommandContext(process, 0)
			defer cancel()
			f := &runECS{fakeECS: &fakeECS{}, states: []func() (*types.Task, error){state("RUNNING", nil, "", "", "")}}
			f.onDescribe = func(n int) {
				if n == 1 {
					if c.limit == 0 {
						interrupt()
					} else {
						target.SetLimit(ctx, c.limit)
					}
					<-ctx.Done()
				}
			}
			logs := &runLogs{lines: []string{"migrating"}}
			s := newRunSession(f, logs)
			var out bytes.Buffer
			res, err := s.RunTask(ctx, app, target.RunOptions{Command: []string{"sleep", "600"}, Logs: &out}, &events{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.Message != c.message || res.ContainerExitCode != nil || res.StopCode != "UserInitiated" {
				t.Errorf("result %+v", res)
			}
			if len(f.stops) != 1 || aws.ToString(f.stops[0].Task) != runTaskARN || aws.ToString(f.stops[0].Cluster) != "c1" || aws.ToString(f.stops[0].Reason) != c.reason {
				t.Errorf("StopTask %+v", f.stops)
			}
			if out.String() != "migrating\n" || res.Logs != "/ecs/web web/web/0123456789abcdef0123456789abcdef: 1 line" {
				t.Errorf("logs %q (%s)", out.String(), res.Logs)
			}
			if got := res.ExitCode(); got != map[target.RunStatus]int{target.RunInterrupted: 130, target.RunTimedOut: 5}[c.status] {
				t.Errorf("exit %d", got)
			}
		})
	}
}

// RunTask answering failures and no task is a run that never ran (exit 3), nothing to stop.
func TestRunTaskPlacementFailure(t *testing.T) {
	app := testApp(t, "")
	f := &runECS{fakeECS: &fakeECS{}, runOut: &ecs.RunTaskOutput{Failures: []types.Failure{
		{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:container-instance/c1/x"), Reason: aws.String("RESOURCE:MEMORY")}}}}
	s := newRunSession(f, &runLogs{})
	res, err := s.RunTask(context.Background(), app, target.RunOptions{Command: []string{"true"}}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	want := "ECS started no task of web:2 in cluster c1 in us-east-1: arn:aws:ecs:us-east-1:123456789012:container-instance/c1/x: RESOURCE:MEMORY"
	if res.Status != target.RunNotRun || res.Message != want || res.ExitCode() != 3 || res.Task != "" || len(f.stops) != 0 {
		t.Errorf("result %+v", res)
	}
}

// ecs.logDriver (FireLens, Splunk) sends the logs elsewhere: the run says so and reads none.
func TestRunTaskLogsElsewhere(t *testing.T) {
	app := testApp(t, "  logDriver: {name: splunk, options: {splunk-url: \"https://splunk:8088\"}}\n")
	f := &runECS{fakeECS: &fakeECS{}, states: []func() (*types.Task, error){state("STOPPED", exit(0), types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", "")}}
	logs := &runLogs{lines: []string{"x"}}
	s := newRunSession(f, logs)
	res, err := s.RunTask(context.Background(), app, target.RunOptions{Command: []string{"true"}}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != target.RunSucceeded || res.Logs != "not streamed: container web logs through splunk, not awslogs" || len(logs.reads) != 0 {
		t.Errorf("result %+v, %d reads", res, len(logs.reads))
	}
}

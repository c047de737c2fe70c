package ecssim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// recentClock starts the manual clock at the last whole second: CloudWatch Logs (and moto)
// refuse lines older than 14 days.
func recentClock() fixtureOption {
	return func(_ *Config, f *fixture) { f.clock.t = time.Now().UTC().Truncate(time.Second) }
}

func (f *fixture) logsClient() *cloudwatchlogs.Client {
	f.t.Helper()
	cfg, err := config.LoadDefaultConfig(ctx(f.t), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		f.t.Fatal(err)
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(f.url)
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", f.account))
	})
}

// registerLogging registers a task definition whose web container logs through awslogs to
// group, envoy to group+"-mesh" with awslogs-create-group, and whose log_router logs through
// FireLens.
func (f *fixture) registerLogging(image, group string) string {
	f.t.Helper()
	awslogs := func(group, prefix string, extra ...string) *types.LogConfiguration {
		opts := map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": prefix}
		for i := 0; i < len(extra); i += 2 {
			opts[extra[i]] = extra[i+1]
		}
		return &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: opts}
	}
	out, err := f.ecs.RegisterTaskDefinition(ctx(f.t), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("web"), Image: aws.String(image), Essential: aws.Bool(true), LogConfiguration: awslogs(group, "web")},
			{Name: aws.String("envoy"), Image: aws.String("envoy:1"), Essential: aws.Bool(false), LogConfiguration: awslogs(group+"-mesh", "mesh", "awslogs-create-group", "true")},
			{Name: aws.String("log_router"), Image: aws.String("fluent-bit:3"), Essential: aws.Bool(false),
				LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwsfirelens}},
		},
	})
	if err != nil {
		f.t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// filter reads a group through the simulator with FilterLogEvents, every page, as
// "HH:MM:SS stream message" lines.
func filter(f *fixture, in *cloudwatchlogs.FilterLogEventsInput) ([]string, error) {
	var out []string
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(f.logsClient(), in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(f.t))
		if err != nil {
			return nil, err
		}
		for _, ev := range page.Events {
			out = append(out, time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC().Format(time.TimeOnly)+" "+aws.ToString(ev.LogStreamName)+" "+aws.ToString(ev.Message))
		}
	}
	return out, nil
}

// TestContainerLogs: when a task starts, each awslogs container gets its stream
// <prefix>/<container>/<task id> in its group with a start line stamped at that step (the
// group made when awslogs-create-group says so, nothing for FireLens); a fail-exit task's
// container writes its last line; FilterLogEvents takes a stream prefix and interleaves
// streams in time order, as CloudWatch Logs does.
func TestContainerLogs(t *testing.T) {
	f := newFixture(t, recentClock())
	t0 := f.clock.Now()
	logs := f.logsClient()
	if _, err := logs.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")}); err != nil {
		t.Fatal(err)
	}
	td := f.registerLogging("registry.local/web:1", "/ecs/web")
	f.createService("web", td, nil)
	f.step(1) // the tasks start
	running := f.tasks("web", types.DesiredStatusRunning)
	if len(running) != 2 {
		t.Fatalf("%d running tasks", len(running))
	}
	var ids []string
	for _, tk := range running {
		ids = append(ids, lastSegment(aws.ToString(tk.TaskArn)))
	}
	slices.Sort(ids)
	at := t0.Add(testStep).Format(time.TimeOnly)
	start := func(stream, c, id string) string {
		return fmt.Sprintf("%s %s/%s/%s ecssim: container %s started (task definition web:1, image %s)", at, stream, c, id, c,
			map[string]string{"web": "registry.local/web:1", "envoy": "envoy:1"}[c])
	}

	got, err := filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamNamePrefix: aws.String("web/web/")})
	slices.Sort(got)
	if want := []string{start("web", "web", ids[0]), start("web", "web", ids[1])}; err != nil || !slices.Equal(got, want) {
		t.Errorf("web streams (%v):\n%s\nwant:\n%s", err, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got, err = filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web-mesh"), LogStreamNames: []string{"mesh/envoy/" + ids[1]}})
	if want := []string{start("mesh", "envoy", ids[1])}; err != nil || !slices.Equal(got, want) {
		t.Errorf("envoy stream (%v): %q, want %q", err, got, want)
	}
	got, err = filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamNamePrefix: aws.String("web/web/" + ids[0])})
	if want := []string{start("web", "web", ids[0])}; err != nil || !slices.Equal(got, want) {
		t.Errorf("one task's stream by prefix (%v): %q, want %q", err, got, want)
	}
	got, err = filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamNamePrefix: aws.String("nothing/")})
	if err != nil || len(got) != 0 {
		t.Errorf("unknown prefix (%v): %q", err, got)
	}

	// A new revision that exits: its start lines come after the first ones, and the exit line
	// one step later; a search without prefix interleaves every stream in time order.
	bad := f.registerLogging("registry.local/web:fail-exit", "/ecs/web")
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String(bad)})
	f.step(2)
	got, err = filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web")})
	if err != nil {
		t.Fatal(err)
	}
	var times []string
	exits := 0
	for _, l := range got {
		times = append(times, l[:8])
		if strings.Contains(l, "ecssim: container web exiting with status 1 (scenario fail-exit)") && strings.HasPrefix(l, t0.Add(3*testStep).Format(time.TimeOnly)+" web/web/") {
			exits++
		}
	}
	if !slices.IsSorted(times) || len(got) != 2+2+2 || exits != 2 {
		t.Errorf("the whole group (%d lines, %d exits), want 6 in time order with 2 exits:\n%s", len(got), exits, strings.Join(got, "\n"))
	}

	_, err = filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamNamePrefix: aws.String("web/"), LogStreamNames: []string{"x"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterException" {
		t.Errorf("prefix and names: %v, want InvalidParameterException", err)
	}
}

// TestContainerLogsNeedTheirGroup: a task whose awslogs group does not exist (and whose
// container does not set awslogs-create-group) never starts: STOPPED from PENDING with ECS's
// ResourceInitializationError, no line written anywhere. Once the group exists, the next
// deployment's tasks start, and a container with awslogs-create-group makes its own group.
func TestContainerLogsNeedTheirGroup(t *testing.T) {
	f := newFixture(t, recentClock())
	td := f.registerLogging("registry.local/web:1", "/ecs/missing")
	f.createService("web", td, nil)
	f.step(2)
	stopped := f.tasks("web", types.DesiredStatusStopped)
	if len(stopped) == 0 {
		t.Fatal("no task stopped; want each to fail to start")
	}
	for _, tk := range stopped {
		if tk.StopCode != types.TaskStopCodeTaskFailedToStart || aws.ToString(tk.StoppedReason) != missingLogGroupReason || tk.StartedAt != nil {
			t.Errorf("task %s: stop code %s, reason %q, started %v; want TaskFailedToStart, the log group's ResourceInitializationError, never started",
				aws.ToString(tk.TaskArn), tk.StopCode, aws.ToString(tk.StoppedReason), tk.StartedAt)
		}
	}
	var nf *logtypes.ResourceNotFoundException
	for _, g := range []string{"/ecs/missing", "/ecs/missing-mesh"} {
		if _, err := filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g)}); !errors.As(err, &nf) {
			t.Errorf("group %s: %v, want ResourceNotFoundException (no container started)", g, err)
		}
	}

	if _, err := f.logsClient().CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/missing")}); err != nil {
		t.Fatal(err)
	}
	// A forced new deployment of the same task definition launches afresh: the group now
	// exists, so its tasks start.
	if _, err := f.ecs.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("web"), ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	f.step(2)
	got, err := filter(f, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/missing-mesh")})
	if err != nil || len(got) == 0 || strings.Count(strings.Join(got, "\n"), " mesh/envoy/") != len(got) {
		t.Errorf("envoy's group once the tasks start (%v), want its start lines:\n%s", err, strings.Join(got, "\n"))
	}
}

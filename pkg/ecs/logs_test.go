package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
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

	"github.com/shipit-dev/shipit/pkg/target"
)

// fakeLogEvents answers FilterLogEvents from its groups as CloudWatch Logs does: by stream
// prefix or names (not both, at most 100 names), from startTime, sorted by timestamp, a page
// of pageSize events (every search's first page empty but for its token, which the API
// allows), ResourceNotFoundException for a group that does not exist.
type fakeLogEvents struct {
	logsAPI
	mu       sync.Mutex
	groups   map[string][]logtypes.FilteredLogEvent
	pageSize int
	calls    []cloudwatchlogs.FilterLogEventsInput
	// before, when set, runs before each search's first page (n counts them from 1).
	before func(n int)
	n      int
}

func (f *fakeLogEvents) put(group, stream string, ms int64, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.groups == nil {
		f.groups = map[string][]logtypes.FilteredLogEvent{}
	}
	id := fmt.Sprint(len(f.groups[group]) + 1)
	f.groups[group] = append(f.groups[group], logtypes.FilteredLogEvent{EventId: aws.String(id), LogStreamName: aws.String(stream),
		Timestamp: aws.Int64(ms), Message: aws.String(msg)})
}

func (f *fakeLogEvents) FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	if in.NextToken == nil {
		f.mu.Lock()
		f.n++
		n, before := f.n, f.before
		f.mu.Unlock()
		if before != nil {
			before(n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, *in)
	switch {
	case in.LogStreamNamePrefix != nil && len(in.LogStreamNames) > 0, len(in.LogStreamNames) > 100:
		return nil, &logtypes.InvalidParameterException{Message: aws.String("bad streams")}
	}
	all, ok := f.groups[aws.ToString(in.LogGroupName)]
	if !ok {
		return nil, &logtypes.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")}
	}
	var evs []logtypes.FilteredLogEvent
	for _, ev := range all {
		stream := aws.ToString(ev.LogStreamName)
		if (in.LogStreamNamePrefix == nil || strings.HasPrefix(stream, *in.LogStreamNamePrefix)) &&
			(in.LogStreamNames == nil || slices.Contains(in.LogStreamNames, stream)) &&
			aws.ToInt64(ev.Timestamp) >= aws.ToInt64(in.StartTime) {
			evs = append(evs, ev)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return aws.ToInt64(evs[i].Timestamp) < aws.ToInt64(evs[j].Timestamp) })
	if in.NextToken == nil {
		return &cloudwatchlogs.FilterLogEventsOutput{NextToken: aws.String("0")}, nil
	}
	var start int
	fmt.Sscan(*in.NextToken, &start)
	size := f.pageSize
	if size == 0 {
		size = 10000
	}
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: evs[start:min(start+size, len(evs))]}
	if start+size < len(evs) {
		out.NextToken = aws.String(fmt.Sprint(start + size))
	}
	return out, nil
}

// logSink records what Logs sends.
type logSink struct {
	mu    sync.Mutex
	lines []string
	notes []string
	// onLine, when set, sees each line's index.
	onLine func(i int)
}

func (s *logSink) Line(l target.LogLine) error {
	s.mu.Lock()
	s.lines = append(s.lines, l.Time.Format("15:04:05.000")+" "+l.Source()+" "+l.Message)
	n, on := len(s.lines), s.onLine
	s.mu.Unlock()
	if on != nil {
		on(n)
	}
	return nil
}

func (s *logSink) Note(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, msg)
}

func awslogs(name, group, prefix string) types.ContainerDefinition {
	return types.ContainerDefinition{Name: aws.String(name), LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
		Options: map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": prefix}}}
}

func tdWith(arn string, cs ...types.ContainerDefinition) *ecs.DescribeTaskDefinitionOutput {
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn), ContainerDefinitions: cs}}
}

var logT0 = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)

func ms(sec float64) int64 { return logT0.Add(time.Duration(sec * float64(time.Second))).UnixMilli() }

// logsFixture is a service in the middle of a rollout from web:1 to web:2. web:2 has a web
// and an envoy container logging to /ecs/web, a FireLens router and a container without a
// log configuration; its task t2 runs, t1 (web:1) runs, t3 (web:2) stopped. The group also
// holds another app's stream and one that is no task's.
func logsFixture() (*Session, *fakeECS, *fakeLogEvents) {
	td2def := tdWith(td2, awslogs("web", "/ecs/web", "web"), awslogs("envoy", "/ecs/web", "envoy"),
		types.ContainerDefinition{Name: aws.String("log_router"), LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwsfirelens}},
		types.ContainerDefinition{Name: aws.String("quiet")})
	f := &fakeECS{
		script: []func() (*types.Service, error){returns(svcOf(td2, 2,
			dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 1, 1, 0},
			dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}))},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: tdWith(td1, awslogs("web", "/ecs/web", "web")), td2: td2def, "web:2": td2def},
		running: []types.Task{
			{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/c1/t1"), TaskDefinitionArn: aws.String(td1)},
			{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/c1/t2"), TaskDefinitionArn: aws.String(td2)}},
		stopped: []types.Task{{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/c1/t3"), TaskDefinitionArn: aws.String(td2)}},
	}
	l := &fakeLogEvents{pageSize: 2}
	l.put("/ecs/web", "web/web/t1", ms(1), "t1 up")
	l.put("/ecs/web", "envoy/envoy/t2", ms(2.5), "envoy ready")
	l.put("/ecs/web", "web/web/t2", ms(2), "t2 up")
	l.put("/ecs/web", "other/other/t9", ms(2.2), "another app")
	l.put("/ecs/web", "web/web/t2/extra", ms(2.3), "not a task stream")
	l.put("/ecs/web", "web/web/t3", ms(3), "t3: panic: boom")
	l.put("/ecs/web", "web/web/t1", ms(4), "t1 GET /")
	s := newTestSession(f)
	s.logs = l
	return s, f, l
}

const (
	noteRouter = "container log_router (web:2) logs through FireLens (awsfirelens), not awslogs: its lines are wherever its log router sends them, not in CloudWatch Logs for shipit logs to read"
	noteQuiet  = "container quiet (web:2) has no log configuration: ECS keeps none of its output"
)

// TestLogs: every awslogs container of the live deployments, merged in time order across
// containers and pages; containers that cannot be read are named; --since, --container and
// --revision narrow it down, and the searches sent are the ones the options call for.
func TestLogs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     target.LogsOptions
		lines    []string
		notes    []string
		searches []string // group, then prefix= or names=, and start= when set
	}{
		{"all", target.LogsOptions{}, []string{
			"07:00:01.000 t1/web t1 up",
			"07:00:02.000 t2/web t2 up",
			"07:00:02.500 t2/envoy envoy ready",
			"07:00:03.000 t3/web t3: panic: boom",
			"07:00:04.000 t1/web t1 GET /",
		}, []string{noteRouter, noteQuiet}, []string{"/ecs/web prefix=web/web/", "/ecs/web prefix=envoy/envoy/"}},
		{"since", target.LogsOptions{Since: 59*time.Minute + 58*time.Second}, []string{
			"07:00:02.000 t2/web t2 up",
			"07:00:02.500 t2/envoy envoy ready",
			"07:00:03.000 t3/web t3: panic: boom",
			"07:00:04.000 t1/web t1 GET /",
		}, []string{noteRouter, noteQuiet}, []string{"/ecs/web prefix=web/web/ start=07:00:02", "/ecs/web prefix=envoy/envoy/ start=07:00:02"}},
		{"container", target.LogsOptions{Container: "envoy"}, []string{"07:00:02.500 t2/envoy envoy ready"}, nil, []string{"/ecs/web prefix=envoy/envoy/"}},
		{"revision", target.LogsOptions{Revision: "2"}, []string{
			"07:00:02.000 t2/web t2 up",
			"07:00:02.500 t2/envoy envoy ready",
			"07:00:03.000 t3/web t3: panic: boom",
		}, []string{noteRouter, noteQuiet}, []string{"/ecs/web names=web/web/t2,web/web/t3,envoy/envoy/t2,envoy/envoy/t3"}},
		{"revision and container", target.LogsOptions{Revision: "web:2", Container: "web"}, []string{
			"07:00:02.000 t2/web t2 up",
			"07:00:03.000 t3/web t3: panic: boom",
		}, nil, []string{"/ecs/web names=web/web/t2,web/web/t3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, l := logsFixture()
			s.clock.(interface{ SetTime(time.Time) }).SetTime(logT0.Add(time.Hour))
			var sink logSink
			if err := s.Logs(context.Background(), testApp(t, ""), tc.opts, &sink); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sink.lines, tc.lines) {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(sink.lines, "\n"), strings.Join(tc.lines, "\n"))
			}
			if !slices.Equal(sink.notes, tc.notes) {
				t.Errorf("notes %q, want %q", sink.notes, tc.notes)
			}
			var searches []string
			for _, c := range l.calls {
				if c.NextToken != nil {
					continue
				}
				s := aws.ToString(c.LogGroupName)
				if c.LogStreamNamePrefix != nil {
					s += " prefix=" + *c.LogStreamNamePrefix
				} else {
					s += " names=" + strings.Join(c.LogStreamNames, ",")
				}
				if c.StartTime != nil {
					s += " start=" + time.UnixMilli(*c.StartTime).UTC().Format("15:04:05")
				}
				searches = append(searches, s)
			}
			if !slices.Equal(searches, tc.searches) {
				t.Errorf("searches %q, want %q", searches, tc.searches)
			}
		})
	}
}

// TestLogsRefuses: the mistakes and the apps that cannot be read, with their exact messages.
func TestLogsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  target.LogsOptions
		edit  func(*fakeECS)
		want  string
		usage bool
	}{
		{"unknown container", target.LogsOptions{Container: "db"}, nil,
			"--container db: service web has no container db (its containers: web, envoy, log_router, quiet)", true},
		{"firelens container", target.LogsOptions{Container: "log_router"}, nil,
			"no container of service web logs to CloudWatch Logs through awslogs, which is what shipit logs reads: " + noteRouter, false},
		{"bad revision", target.LogsOptions{Revision: "two"}, nil,
			"--revision two: give a task definition revision of web, e.g. --revision 7 or --revision web:7", true},
		{"other family", target.LogsOptions{Revision: "api:2"}, nil,
			"--revision api:2: the app's task definition family is web, not api", true},
		{"unknown revision", target.LogsOptions{Revision: "9"}, nil,
			"--revision 9: ecs DescribeTaskDefinition web:9: ClientException: Unable to describe task definition.", false},
		{"not deployed", target.LogsOptions{}, func(f *fakeECS) { f.script = nil },
			"web is not deployed on ecs (cluster c1 in us-east-1): no service web", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f, _ := logsFixture()
			if tc.edit != nil {
				tc.edit(f)
			}
			var sink logSink
			err := s.Logs(context.Background(), testApp(t, ""), tc.opts, &sink)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err %v\nwant %s", err, tc.want)
			}
			var usage *target.UsageError
			if errors.As(err, &usage) != tc.usage {
				t.Errorf("usage error %v, want %v", !tc.usage, tc.usage)
			}
			if len(sink.lines) > 0 {
				t.Errorf("lines %q", sink.lines)
			}
		})
	}
}

// TestLogsSaysWhatIsMissing: a revision without listed tasks, a log group that does not exist
// and a container logging to another region are said, not shown as nothing.
func TestLogsSaysWhatIsMissing(t *testing.T) {
	s, f, l := logsFixture()
	f.running, f.stopped = nil, nil
	var sink logSink
	if err := s.Logs(context.Background(), testApp(t, ""), target.LogsOptions{Revision: "2", Container: "web"}, &sink); err != nil {
		t.Fatal(err)
	}
	want := []string{"no task of web:2 is listed in cluster c1 in us-east-1 (ECS lists a stopped task for at least an hour after it stops)"}
	if !slices.Equal(sink.notes, want) || len(sink.lines) > 0 || len(l.calls) > 0 {
		t.Errorf("notes %q lines %q searches %d", sink.notes, sink.lines, len(l.calls))
	}

	s, f, _ = logsFixture()
	other := awslogs("web", "/ecs/gone", "web")
	f.taskDefs[td1] = tdWith(td1, other)
	f.taskDefs[td2] = tdWith(td2, other, awslogs("envoy", "/aws/envoy", "envoy"))
	f.taskDefs[td2].TaskDefinition.ContainerDefinitions[1].LogConfiguration.Options["awslogs-region"] = "eu-west-1"
	sink = logSink{}
	if err := s.Logs(context.Background(), testApp(t, ""), target.LogsOptions{}, &sink); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"container envoy (web:2) logs to CloudWatch Logs in eu-west-1, not us-east-1: read it with --region eu-west-1",
		"log group /ecs/gone does not exist in us-east-1: nothing has logged there yet",
	}
	if !slices.Equal(sink.notes, want) || len(sink.lines) > 0 {
		t.Errorf("notes %q lines %q", sink.notes, sink.lines)
	}
}

// TestLogsFollow: --follow prints what is there, then each new line once (the lookback finds
// lines again, which are skipped by id), picks up a new task of the revision, and ends with
// the context.
func TestLogsFollow(t *testing.T) {
	s, f, l := logsFixture()
	s.clock, s.poll = clock.RealClock{}, time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sink logSink
	sink.onLine = func(n int) {
		switch n {
		case 3: // what was there: t2 up, envoy ready, t3 panic
			l.put("/ecs/web", "web/web/t2", ms(5), "t2 GET /")
		case 4:
			// A new task of web:2, and a line of a task of web:1 (not followed).
			f.mu.Lock()
			f.running = append(f.running, types.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/c1/t4"), TaskDefinitionArn: aws.String(td2)})
			f.mu.Unlock()
			l.put("/ecs/web", "web/web/t1", ms(5.5), "t1 not followed")
			l.put("/ecs/web", "web/web/t4", ms(6), "t4 up")
		case 5:
			cancel()
		}
	}
	err := s.Logs(ctx, testApp(t, ""), target.LogsOptions{Revision: "2", Follow: true}, &sink)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	want := []string{
		"07:00:02.000 t2/web t2 up",
		"07:00:02.500 t2/envoy envoy ready",
		"07:00:03.000 t3/web t3: panic: boom",
		"07:00:05.000 t2/web t2 GET /",
		"07:00:06.000 t4/web t4 up",
	}
	if !slices.Equal(sink.lines, want) {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(sink.lines, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(sink.notes, []string{noteRouter, noteQuiet, "following task t4 of web:2 too"}) {
		t.Errorf("notes %q", sink.notes)
	}
	// Polls after the first start 30 s before the newest line printed.
	last := l.calls[len(l.calls)-1]
	if got := time.UnixMilli(aws.ToInt64(last.StartTime)).UTC(); !got.Before(logT0) {
		t.Errorf("last search from %s, want the lookback before %s", got, logT0)
	}
}

// TestLogQueriesChunk: a revision's stream names go 100 to a search, as FilterLogEvents takes.
func TestLogQueriesChunk(t *testing.T) {
	p := &logPlan{revision: td2, sources: []logSource{{"web", "/ecs/web", "web/web/"}, {"envoy", "/ecs/web", "envoy/envoy/"}, {"db", "/ecs/db", "db/db/"}}}
	var tasks []string
	for i := range 60 {
		tasks = append(tasks, fmt.Sprintf("t%02d", i))
	}
	var got []string
	for _, q := range p.queries(tasks) {
		got = append(got, fmt.Sprintf("%s %d %s..%s", q.group, len(q.names), q.names[0], q.names[len(q.names)-1]))
	}
	want := []string{"/ecs/web 100 web/web/t00..envoy/envoy/t39", "/ecs/web 20 envoy/envoy/t40..envoy/envoy/t59", "/ecs/db 60 db/db/t00..db/db/t59"}
	if !slices.Equal(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}
}

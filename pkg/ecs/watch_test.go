package ecs

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/shipit-dev/shipit/pkg/target"
)

func withEvents(s *types.Service, msgs ...string) *types.Service {
	// ECS lists events newest first; msgs are given oldest first.
	for i, m := range msgs {
		at := time.Unix(int64(1000+i), 0)
		s.Events = append([]types.ServiceEvent{{Id: aws.String(m), Message: aws.String(m), CreatedAt: &at}}, s.Events...)
	}
	return s
}

func returns(svc *types.Service) func() (*types.Service, error) {
	return func() (*types.Service, error) { return svc, nil }
}

func TestWatchPrintsEachEventOnceOldestFirst(t *testing.T) {
	ro := WatchedDeployment{TaskDefinition: td2, Previous: td1, Deployment: "ecs-svc/2"}
	inProgress := func() *types.Service {
		return svcOf(td2, 2,
			dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
			dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	}
	f := &fakeECS{script: []func() (*types.Service, error){
		returns(withEvents(inProgress(), "old", "started 2")),
		returns(withEvents(inProgress(), "old", "started 2")),
		returns(withEvents(inProgress(), "old", "started 2", "stopped 2")),
		returns(withEvents(svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			"old", "started 2", "stopped 2", "completed", "steady")),
	}}
	s := newTestSession(f)
	seen := eventLog{"old": true} // there before the deploy
	var got events
	dec, err := s.watch(context.Background(), testApp(t, ""), ro, time.Minute, seen, &got)
	if err != nil || dec.Phase != target.Succeeded {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
	var evs []string
	for _, m := range got.messages() {
		if e, ok := strings.CutPrefix(m, "event: "); ok {
			evs = append(evs, e)
		}
	}
	if want := []string{"started 2", "stopped 2", "completed", "steady"}; !slices.Equal(evs, want) {
		t.Errorf("events printed %q, want %q", evs, want)
	}
	var progress int
	for _, e := range got.all {
		if e.Phase == target.Progressing && strings.HasPrefix(e.Message, "waiting: ") {
			progress++
			if !strings.Contains(e.Message, "PRIMARY web:2 IN_PROGRESS 0/2 running, 2 pending · ACTIVE web:1 COMPLETED 2/2 running") || e.Desired != 2 || e.Updated != 2 {
				t.Errorf("progress event %+v", e)
			}
		}
	}
	if progress != 1 {
		t.Errorf("%d progress lines for one unchanged state, want 1 (one line per change)", progress)
	}
}

func TestWatchBacksOffWhileThrottled(t *testing.T) {
	done := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	going := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 1, 1, 0})
	thr := func() (*types.Service, error) { return nil, throttled() }
	f := &fakeECS{script: []func() (*types.Service, error){returns(going), thr, thr, thr, thr, thr, returns(going), returns(going), returns(done)}}
	s := newTestSession(f) // poll 5ms, backoff cap 40ms, jitter factor exactly 1
	var got events
	dec, err := s.watch(context.Background(), testApp(t, ""), WatchedDeployment{TaskDefinition: td2, Deployment: "ecs-svc/2"}, time.Minute, eventLog{}, &got)
	if err != nil || dec.Phase != target.Succeeded {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
	// The wait before call i (i ≥ 1): 5ms, then doubling while throttled up to the cap,
	// then the base interval again (the clock is the test's: the waits are exact).
	want := []time.Duration{5, 10, 20, 40, 40, 40, 5, 5}
	if len(f.times) != len(want)+1 {
		t.Fatalf("%d calls, want %d", len(f.times), len(want)+1)
	}
	for i, w := range want {
		if gap := f.times[i+1].Sub(f.times[i]); gap != w*time.Millisecond {
			t.Errorf("wait before call %d: %s, want %dms", i+1, gap, w)
		}
	}
	msgs := strings.Join(got.messages(), "\n")
	if strings.Count(msgs, "AWS is throttling DescribeServices") != 1 || !strings.Contains(msgs, "throttling over") {
		t.Errorf("throttling reported as:\n%s", msgs)
	}
}

func TestWatchTimesOut(t *testing.T) {
	going := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0})
	s := newTestSession(&fakeECS{script: []func() (*types.Service, error){returns(going)}})
	dec, err := s.watch(context.Background(), testApp(t, ""), WatchedDeployment{TaskDefinition: td2}, 30*time.Millisecond, eventLog{}, &events{})
	if err != nil || dec.Phase != target.TimedOut || !strings.Contains(dec.Message, "timed out after 30ms: waiting: PRIMARY web:2") {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
}

func TestWatchCanceled(t *testing.T) {
	going := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0})
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeECS{script: []func() (*types.Service, error){func() (*types.Service, error) { cancel(); return going, nil }}}
	s := newTestSession(f)
	dec, err := s.watch(ctx, testApp(t, ""), WatchedDeployment{TaskDefinition: td2}, time.Minute, eventLog{}, &events{})
	if err != nil || dec.Phase != target.Canceled {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
}

func TestWatchStopsOnAnAPIError(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	s := newTestSession(&fakeECS{script: []func() (*types.Service, error){func() (*types.Service, error) { return nil, denied }}})
	_, err := s.watch(context.Background(), testApp(t, ""), WatchedDeployment{TaskDefinition: td2}, time.Minute, eventLog{}, &events{})
	if !errors.As(err, new(smithy.APIError)) || !strings.Contains(err.Error(), "ecs DescribeServices service web in cluster c1") {
		t.Fatalf("err = %v", err)
	}
}

func TestWatchLooksAtStoppedTasksWhenOurDeploymentFails(t *testing.T) {
	failing := func(n int32) func() (*types.Service, error) {
		return returns(svcOf(td2, 2,
			dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, n},
			dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}))
	}
	f := &fakeECS{
		script: []func() (*types.Service, error){failing(0), failing(2)},
		stopped: []types.Task{
			stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
			stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
		},
	}
	s := newTestSession(f)
	dec, err := s.watch(context.Background(), testApp(t, ""), WatchedDeployment{TaskDefinition: td2, Previous: td1, Deployment: "ecs-svc/2"}, time.Minute, eventLog{}, &events{})
	if err != nil || dec.Phase != target.Failed || dec.StopReason != pullErr {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
	if len(f.listed) == 0 || aws.ToString(f.listed[0].StartedBy) != "ecs-svc/2" || f.listed[0].DesiredStatus != types.DesiredStatusStopped {
		t.Errorf("ListTasks calls: %+v", f.listed)
	}
	if f.n != 2 {
		t.Errorf("%d DescribeServices calls; stopped tasks should be read only once failures show", f.n)
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{throttled(), true},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{&types.ServerException{Message: aws.String("boom")}, true},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v", c.err, got)
		}
	}
}

// A watch that ends interrupted or timed out reports that verdict as its last event, so that on
// a terminal the live status line is closed before the verdict is printed, not glued to it.
func TestWatchEndsTheLiveLine(t *testing.T) {
	going := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0})
	for _, c := range []struct {
		phase   target.Phase
		timeout time.Duration
		cancel  bool
	}{
		{target.TimedOut, 30 * time.Millisecond, false},
		{target.Canceled, time.Minute, true},
	} {
		t.Run(string(c.phase), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			polls := 0
			f := &fakeECS{script: []func() (*types.Service, error){func() (*types.Service, error) {
				if polls++; polls == 3 && c.cancel {
					cancel()
				}
				return going, nil
			}}}
			var out bytes.Buffer
			live := target.NewReporter(&out, "text", true)
			dec, err := newTestSession(f).watch(ctx, testApp(t, ""), WatchedDeployment{TaskDefinition: td2}, c.timeout, eventLog{}, live)
			if err != nil || dec.Phase != c.phase {
				t.Fatalf("watch = %+v, %v", dec, err)
			}
			text := out.String()
			if !strings.Contains(text, "PRIMARY web:2 IN_PROGRESS 0/2 running, 2 pending") {
				t.Fatalf("no live progress line:\n%q", text)
			}
			if !strings.HasSuffix(text, "\n") {
				t.Errorf("the live line is left open after %s (the verdict would be printed onto it):\n%q", c.phase, text)
			}
			last := text[strings.LastIndex(text, "\r\033[K")+len("\r\033[K"):]
			if !strings.Contains(last, string(c.phase)) || !strings.Contains(last, dec.Message) {
				t.Errorf("last line %q, want the %s decision %q", last, c.phase, dec.Message)
			}
		})
	}
}

// The verdict comes on the poll that shows ECS's "deployment completed": not one poll (2 s)
// later.
func TestWatchDecidesOnThePollThatShowsTheCompletion(t *testing.T) {
	ro := WatchedDeployment{TaskDefinition: td2, Previous: td1, Deployment: "ecs-svc/2"}
	going := svcOf(td2, 2,
		dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	done := withEvents(svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "ECS deployment ecs-svc/2 completed.", 2, 2, 0, 0}),
		"(service web) (deployment ecs-svc/2) deployment completed.", "(service web) has reached a steady state.")
	f := &fakeECS{script: []func() (*types.Service, error){returns(going), returns(done), returns(done)}}
	var got events
	dec, err := newTestSession(f).watch(context.Background(), testApp(t, ""), ro, time.Minute, eventLog{}, &got)
	if err != nil || dec.Phase != target.Succeeded {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
	if f.n != 2 {
		t.Errorf("%d DescribeServices calls, want 2: the verdict belongs to the poll that printed the completion", f.n)
	}
	msgs := got.messages()
	if len(msgs) < 3 || msgs[len(msgs)-3] != "event: (service web) (deployment ecs-svc/2) deployment completed." ||
		!strings.Contains(msgs[len(msgs)-1], "completed: 2/2 running") {
		t.Errorf("events %q: want the completion, the steady state, then the verdict", msgs)
	}
}

// ECS resets failedTasks when a task turns healthy: a new failure after a reset can show the
// same count as the last one looked at, and the stopped tasks are read again.
func TestWatchRereadsStoppedTasksAfterAFailedTasksReset(t *testing.T) {
	ro := WatchedDeployment{TaskDefinition: td2, Previous: td1, Deployment: "ecs-svc/2"}
	withFailed := func(n int32) *types.Service {
		return svcOf(td2, 2,
			dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, n},
			dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	}
	done := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := &fakeECS{script: []func() (*types.Service, error){returns(withFailed(1)), returns(withFailed(0)), returns(withFailed(1)), returns(done)}}
	dec, err := newTestSession(f).watch(context.Background(), testApp(t, ""), ro, time.Minute, eventLog{}, &events{})
	if err != nil || dec.Phase != target.Succeeded {
		t.Fatalf("watch = %+v, %v", dec, err)
	}
	if len(f.listed) != 2 {
		t.Errorf("stopped tasks read %d times, want 2 (failedTasks 1, reset to 0, 1 again)", len(f.listed))
	}
}

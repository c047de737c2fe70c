package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// fakeECS answers DescribeServices from a script (the last answer repeats) and records the
// writes. Calls it does not implement panic through the nil embedded interface.
type fakeECS struct {
	ecsAPI
	mu     sync.Mutex
	script []func() (*types.Service, error)
	n      int
	// times are when each scripted DescribeServices came, by the session's clock.
	times     []time.Time
	clock     clock.PassiveClock
	taskDefs  map[string]*ecs.DescribeTaskDefinitionOutput
	stopped   []types.Task
	listed    []*ecs.ListTasksInput
	running   []types.Task
	pageSize  int
	described []int // the size of each DescribeTasks call
	registers []*ecs.RegisterTaskDefinitionInput
	creates   []*ecs.CreateServiceInput
	updates   []*ecs.UpdateServiceInput
	onUpdate  func(*ecs.UpdateServiceInput) *types.Service
	tagged    int
	tags      []*ecs.TagResourceInput
	untags    []*ecs.UntagResourceInput
	// clusters answers ListClusters; others answers DescribeServices in those clusters
	// (by cluster ARN) instead of the script.
	clusters []string
	others   map[string]*types.Service
	// servicesAsked are the service names of every DescribeServices call.
	servicesAsked []string
}

func (f *fakeECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.servicesAsked = append(f.servicesAsked, in.Services...)
	if svc, ok := f.others[aws.ToString(in.Cluster)]; ok {
		return &ecs.DescribeServicesOutput{Services: []types.Service{*svc}}, nil
	}
	f.times = append(f.times, f.clock.Now())
	if len(f.script) == 0 {
		return &ecs.DescribeServicesOutput{}, nil
	}
	i := min(f.n, len(f.script)-1)
	f.n++
	svc, err := f.script[i]()
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return &ecs.DescribeServicesOutput{Failures: []types.Failure{{Reason: aws.String("MISSING")}}}, nil
	}
	return &ecs.DescribeServicesOutput{Services: []types.Service{*svc}}, nil
}

func (f *fakeECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if out, ok := f.taskDefs[aws.ToString(in.TaskDefinition)]; ok {
		return out, nil
	}
	return nil, &types.ClientException{Message: aws.String("Unable to describe task definition.")}
}

func (f *fakeECS) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registers = append(f.registers, in)
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", aws.ToString(in.Family), 1+len(f.registers))
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn), Family: in.Family}}, nil
}

func (f *fakeECS) CreateService(ctx context.Context, in *ecs.CreateServiceInput, _ ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, in)
	return &ecs.CreateServiceOutput{Service: &types.Service{}}, nil
}

func (f *fakeECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, in)
	var svc *types.Service
	if f.onUpdate != nil {
		svc = f.onUpdate(in)
	}
	return &ecs.UpdateServiceOutput{Service: svc}, nil
}

func (f *fakeECS) TagResource(ctx context.Context, in *ecs.TagResourceInput, _ ...func(*ecs.Options)) (*ecs.TagResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tagged++
	f.tags = append(f.tags, in)
	return &ecs.TagResourceOutput{}, nil
}

func (f *fakeECS) UntagResource(ctx context.Context, in *ecs.UntagResourceInput, _ ...func(*ecs.Options)) (*ecs.UntagResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.untags = append(f.untags, in)
	return &ecs.UntagResourceOutput{}, nil
}

func (f *fakeECS) ListClusters(ctx context.Context, in *ecs.ListClustersInput, _ ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	return &ecs.ListClustersOutput{ClusterArns: f.clusters}, nil
}

func (f *fakeECS) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var arns []string
	for ref, out := range f.taskDefs {
		if strings.Contains(ref, "task-definition/") && out.TaskDefinition.Status == in.Status {
			arns = append(arns, ref)
		}
	}
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: arns}, nil
}

// ListTasks lists f.running or f.stopped (by desired status), pageSize ARNs a page (100
// unless set), as "task/<index>" unless the task has an ARN.
func (f *fakeECS) ListTasks(ctx context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed = append(f.listed, in)
	tasks := f.stopped
	if in.DesiredStatus == types.DesiredStatusRunning {
		tasks = f.running
	}
	size := f.pageSize
	if size == 0 {
		size = 100
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &ecs.ListTasksOutput{}
	for i := start; i < len(tasks) && i < start+size; i++ {
		out.TaskArns = append(out.TaskArns, taskARN(tasks, i))
	}
	if start+size < len(tasks) {
		out.NextToken = aws.String(fmt.Sprint(start + size))
	}
	return out, nil
}

func taskARN(tasks []types.Task, i int) string {
	if arn := aws.ToString(tasks[i].TaskArn); arn != "" {
		return arn
	}
	return fmt.Sprintf("task/%d", i)
}

// DescribeTasks describes the tasks asked for (100 at most, as ECS).
func (f *fakeECS) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.Tasks) > 100 {
		return nil, &types.InvalidParameterException{Message: aws.String("tasks can have at most 100 items")}
	}
	f.described = append(f.described, len(in.Tasks))
	want := map[string]bool{}
	for _, a := range in.Tasks {
		want[a] = true
	}
	out := &ecs.DescribeTasksOutput{}
	for _, tasks := range [][]types.Task{f.stopped, f.running} {
		for i := range tasks {
			if want[taskARN(tasks, i)] {
				out.Tasks = append(out.Tasks, tasks[i])
			}
		}
	}
	return out, nil
}

// fakeLogs has the app's log group with the right retention.
type fakeLogs struct {
	logsAPI
	retention int32
	writes    int
}

func (f *fakeLogs) DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	if f.retention == 0 {
		return &cloudwatchlogs.DescribeLogGroupsOutput{}, nil
	}
	return &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: []logtypes.LogGroup{{LogGroupName: in.LogGroupNamePrefix, RetentionInDays: aws.Int32(f.retention)}}}, nil
}

func (f *fakeLogs) CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	f.writes++
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (f *fakeLogs) PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error) {
	f.writes++
	f.retention = aws.ToInt32(in.RetentionInDays)
	return &cloudwatchlogs.PutRetentionPolicyOutput{}, nil
}

// fakeScaling keeps one scalable target and its policies, counts the writes, and fails
// RegisterScalableTarget with failRegister when set.
type fakeScaling struct {
	targets, policies, deletes, deregisters int
	target                                  *aastypes.ScalableTarget
	live                                    []aastypes.ScalingPolicy
	failRegister                            error
}

func (f *fakeScaling) RegisterScalableTarget(ctx context.Context, in *aas.RegisterScalableTargetInput, _ ...func(*aas.Options)) (*aas.RegisterScalableTargetOutput, error) {
	if f.failRegister != nil {
		return nil, f.failRegister
	}
	f.targets++
	f.target = &aastypes.ScalableTarget{ServiceNamespace: in.ServiceNamespace, ResourceId: in.ResourceId,
		ScalableDimension: in.ScalableDimension, MinCapacity: in.MinCapacity, MaxCapacity: in.MaxCapacity}
	return &aas.RegisterScalableTargetOutput{}, nil
}

func (f *fakeScaling) DeregisterScalableTarget(ctx context.Context, in *aas.DeregisterScalableTargetInput, _ ...func(*aas.Options)) (*aas.DeregisterScalableTargetOutput, error) {
	f.deregisters++
	f.target, f.live = nil, nil
	return &aas.DeregisterScalableTargetOutput{}, nil
}

func (f *fakeScaling) PutScalingPolicy(ctx context.Context, in *aas.PutScalingPolicyInput, _ ...func(*aas.Options)) (*aas.PutScalingPolicyOutput, error) {
	f.policies++
	p := aastypes.ScalingPolicy{PolicyName: in.PolicyName, ServiceNamespace: in.ServiceNamespace, ResourceId: in.ResourceId,
		ScalableDimension: in.ScalableDimension, PolicyType: in.PolicyType,
		TargetTrackingScalingPolicyConfiguration: in.TargetTrackingScalingPolicyConfiguration}
	f.live = slices.DeleteFunc(f.live, func(q aastypes.ScalingPolicy) bool { return aws.ToString(q.PolicyName) == aws.ToString(in.PolicyName) })
	f.live = append(f.live, p)
	return &aas.PutScalingPolicyOutput{}, nil
}

func (f *fakeScaling) DeleteScalingPolicy(ctx context.Context, in *aas.DeleteScalingPolicyInput, _ ...func(*aas.Options)) (*aas.DeleteScalingPolicyOutput, error) {
	f.deletes++
	f.live = slices.DeleteFunc(f.live, func(q aastypes.ScalingPolicy) bool { return aws.ToString(q.PolicyName) == aws.ToString(in.PolicyName) })
	return &aas.DeleteScalingPolicyOutput{}, nil
}

func (f *fakeScaling) DescribeScalingPolicies(ctx context.Context, in *aas.DescribeScalingPoliciesInput, _ ...func(*aas.Options)) (*aas.DescribeScalingPoliciesOutput, error) {
	return &aas.DescribeScalingPoliciesOutput{ScalingPolicies: slices.Clone(f.live)}, nil
}

func (f *fakeScaling) DescribeScalableTargets(ctx context.Context, in *aas.DescribeScalableTargetsInput, _ ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error) {
	if f.target == nil {
		return &aas.DescribeScalableTargetsOutput{}, nil
	}
	return &aas.DescribeScalableTargetsOutput{ScalableTargets: []aastypes.ScalableTarget{*f.target}}, nil
}

// fakeECR knows one tag.
type fakeECR struct {
	tag, digest string
	calls       int
}

func (f *fakeECR) DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	f.calls++
	if aws.ToString(in.ImageIds[0].ImageTag) != f.tag {
		return nil, &ecrtypes.ImageNotFoundException{Message: aws.String("not found")}
	}
	return &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{{ImageDigest: aws.String(f.digest)}}}, nil
}

func throttled() error {
	return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
}

// newTestSession is a session on fakes with fast polling, no jitter and a stepClock: a watch
// never waits in real time.
func newTestSession(e *fakeECS) *Session {
	c := newStepClock()
	e.clock = c
	s := &Session{ecs: e, logs: &fakeLogs{retention: 30}, scaling: &fakeScaling{}, region: "us-east-1", clock: c,
		poll: 5 * time.Millisecond, maxPoll: 40 * time.Millisecond, jitter: func() float64 { return 0.5 }}
	s.ecrFor = func(string) ecrAPI { return &fakeECR{} }
	s.defaults()
	return s
}

// events collects reported events.
type events struct {
	mu  sync.Mutex
	all []target.Event
}

func (e *events) Report(ev target.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		out = append(out, ev.Message)
	}
	return out
}

const testSpec = `version: 1
name: web
image: nginx:1.27
port: 80
replicas: 2
ecs:
  region: us-east-1
  cluster: c1
  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  subnets: [subnet-1, subnet-2]
  securityGroups: [sg-1]
`

func testApp(t *testing.T, extra string) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(testSpec+extra), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(spec.TargetECS); len(errs) > 0 {
		t.Fatal(errs)
	}
	return app
}

// stepClock is a fake clock for the watch, which waits on two timers at most: its deadline,
// and the next poll. When a second timer is pending, time jumps to the earlier of the two and
// fires it: a poll comes at once, and the deadline only once the polls' waits add up to it.
type stepClock struct {
	*testingclock.FakeClock
	mu      sync.Mutex
	pending []*stepTimer
	// waits are the durations of every timer asked for, in order.
	waits []time.Duration
}

type stepTimer struct {
	clock.Timer
	at time.Time
	c  *stepClock
}

func newStepClock() *stepClock {
	return &stepClock{FakeClock: testingclock.NewFakeClock(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))}
}

func (c *stepClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &stepTimer{Timer: c.FakeClock.NewTimer(d), at: c.FakeClock.Now().Add(d), c: c}
	c.waits = append(c.waits, d)
	c.pending = append(c.pending, t)
	if len(c.pending) > 1 {
		first := 0
		for i, p := range c.pending {
			if p.at.Before(c.pending[first].at) {
				first = i
			}
		}
		at := c.pending[first].at
		c.pending = append(c.pending[:first], c.pending[first+1:]...)
		c.FakeClock.SetTime(at)
	}
	return t
}

func (t *stepTimer) Stop() bool {
	t.c.mu.Lock()
	for i, p := range t.c.pending {
		if p == t {
			t.c.pending = append(t.c.pending[:i], t.c.pending[i+1:]...)
			break
		}
	}
	t.c.mu.Unlock()
	return t.Timer.Stop()
}

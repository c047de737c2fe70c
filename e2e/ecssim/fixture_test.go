package ecssim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// manualClock lets a test move time by exact steps, so rollout states can be asserted one
// step at a time without sleeping.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testStep is the step of manual-clock tests; its size does not matter, time is not real.
const testStep = time.Second

var accountSeq atomic.Int64

// fixture is one test's simulator in front of the shared moto, with its own moto account, an
// ECS cluster "c1", and an aws-sdk-go-v2 ECS client pointed at the simulator.
type fixture struct {
	t       *testing.T
	sim     *Simulator
	url     string
	clock   *manualClock // nil when the simulator runs on real time
	account string
	cluster string
	subnets []string
	ecs     *ecs.Client
}

type fixtureOption func(*Config, *fixture)

// realTime runs the simulator on the wall clock with the given step.
func realTime(step time.Duration) fixtureOption {
	return func(c *Config, f *fixture) { c.Now, f.clock, c.Settings.Step = nil, nil, step }
}

func withSettings(edit func(*Settings)) fixtureOption {
	return func(c *Config, _ *fixture) { edit(&c.Settings) }
}

func newFixture(t *testing.T, opts ...fixtureOption) *fixture {
	t.Helper()
	f := &fixture{
		t:       t,
		clock:   newManualClock(),
		account: fmt.Sprintf("%012d", 210000000000+accountSeq.Add(1)),
		cluster: "c1",
	}
	cfg := Config{MotoURL: motoURL, Now: f.clock.Now, Seed: 42,
		Settings: Settings{Step: testStep, FailureThreshold: 3}}
	for _, o := range opts {
		o(&cfg, f)
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim) // httptest binds 127.0.0.1
	t.Cleanup(srv.Close)
	f.sim, f.url = sim, srv.URL
	f.ecs = f.newECSClient(nil)

	if _, err := f.ecs.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(f.cluster)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	f.subnets = defaultSubnets(t, f.url, f.account)
	return f
}

// newECSClient is the real SDK client, configured the way shipit's users configure it, with
// moto's account header added to every call.
func (f *fixture) newECSClient(edit func(*ecs.Options)) *ecs.Client {
	f.t.Helper()
	cfg, err := config.LoadDefaultConfig(ctx(f.t),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		f.t.Fatal(err)
	}
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		o.BaseEndpoint = aws.String(f.url)
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", f.account))
		if edit != nil {
			edit(o)
		}
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// step moves the manual clock by n simulator steps.
func (f *fixture) step(n int) {
	f.t.Helper()
	if f.clock == nil {
		f.t.Fatal("step needs a manual clock")
	}
	f.clock.Add(time.Duration(n) * testStep)
}

// registerTD registers a Fargate task definition with one container and returns its ARN.
func (f *fixture) registerTD(family, image string) string {
	f.t.Helper()
	out, err := f.ecs.RegisterTaskDefinition(ctx(f.t), &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image), Essential: aws.Bool(true), Memory: aws.Int32(512),
		}},
	})
	if err != nil {
		f.t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// createService creates a 2-task Fargate service; cb may be nil (no circuit breaker).
func (f *fixture) createService(name, td string, cb *types.DeploymentCircuitBreaker) types.Service {
	f.t.Helper()
	in := &ecs.CreateServiceInput{
		Cluster:        aws.String(f.cluster),
		ServiceName:    aws.String(name),
		TaskDefinition: aws.String(td),
		DesiredCount:   aws.Int32(2),
		LaunchType:     types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: f.subnets[:1], AssignPublicIp: types.AssignPublicIpEnabled,
		}},
	}
	if cb != nil {
		in.DeploymentConfiguration = &types.DeploymentConfiguration{DeploymentCircuitBreaker: cb}
	}
	out, err := f.ecs.CreateService(ctx(f.t), in)
	if err != nil {
		f.t.Fatalf("CreateService: %v", err)
	}
	return *out.Service
}

func (f *fixture) update(in *ecs.UpdateServiceInput) types.Service {
	f.t.Helper()
	in.Cluster = aws.String(f.cluster)
	out, err := f.ecs.UpdateService(ctx(f.t), in)
	if err != nil {
		f.t.Fatalf("UpdateService: %v", err)
	}
	return *out.Service
}

func (f *fixture) describe(name string) types.Service {
	f.t.Helper()
	out, err := f.ecs.DescribeServices(ctx(f.t), &ecs.DescribeServicesInput{
		Cluster: aws.String(f.cluster), Services: []string{name},
	})
	if err != nil {
		f.t.Fatalf("DescribeServices: %v", err)
	}
	if len(out.Services) != 1 {
		f.t.Fatalf("DescribeServices %s: %d services, failures %+v", name, len(out.Services), out.Failures)
	}
	return out.Services[0]
}

// tasks lists and describes the service's tasks with the given desired status.
func (f *fixture) tasks(name string, desired types.DesiredStatus) []types.Task {
	f.t.Helper()
	list, err := f.ecs.ListTasks(ctx(f.t), &ecs.ListTasksInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String(name), DesiredStatus: desired,
	})
	if err != nil {
		f.t.Fatalf("ListTasks: %v", err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	out, err := f.ecs.DescribeTasks(ctx(f.t), &ecs.DescribeTasksInput{Cluster: aws.String(f.cluster), Tasks: list.TaskArns})
	if err != nil {
		f.t.Fatalf("DescribeTasks: %v", err)
	}
	if len(out.Tasks) != len(list.TaskArns) || len(out.Failures) > 0 {
		f.t.Fatalf("DescribeTasks: %d tasks for %d ARNs, failures %+v", len(out.Tasks), len(list.TaskArns), out.Failures)
	}
	return out.Tasks
}

// control calls the simulator's control endpoint and returns status and body.
func (f *fixture) control(method, path string, body any) (int, string) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.url+"/_ecssim/"+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls DescribeServices until cond holds or the deadline passes (real-time tests).
func (f *fixture) waitFor(name string, within time.Duration, what string, cond func(types.Service) bool) types.Service {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		svc := f.describe(name)
		if cond(svc) {
			return svc
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("after %s, still not %s:\n%s", within, what, dump(svc))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dump renders a service for failure messages.
func dump(svc types.Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s td=%s desired=%d running=%d pending=%d\n", aws.ToString(svc.ServiceName),
		aws.ToString(svc.TaskDefinition), svc.DesiredCount, svc.RunningCount, svc.PendingCount)
	for _, d := range svc.Deployments {
		fmt.Fprintf(&b, "  %s %s %s td=%s desired=%d running=%d pending=%d failed=%d (%s)\n",
			aws.ToString(d.Status), aws.ToString(d.Id), d.RolloutState, aws.ToString(d.TaskDefinition),
			d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks, aws.ToString(d.RolloutStateReason))
	}
	for _, e := range svc.Events {
		fmt.Fprintf(&b, "  event %s %s\n", e.CreatedAt.Format(time.TimeOnly), aws.ToString(e.Message))
	}
	return b.String()
}

// shape is a compact view of the deployments: "PRIMARY IN_PROGRESS r0 p2|ACTIVE COMPLETED r2 p0".
func shape(svc types.Service) string {
	parts := make([]string, len(svc.Deployments))
	for i, d := range svc.Deployments {
		parts[i] = fmt.Sprintf("%s %s r%d p%d", aws.ToString(d.Status), d.RolloutState, d.RunningCount, d.PendingCount)
	}
	return strings.Join(parts, "|")
}

func messages(svc types.Service) []string {
	out := make([]string, len(svc.Events))
	for i, e := range svc.Events {
		out[i] = aws.ToString(e.Message)
	}
	return out
}

func countContaining(msgs []string, sub string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

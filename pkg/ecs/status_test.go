package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

func statusTD(arn, image string) *ecs.DescribeTaskDefinitionOutput {
	return &ecs.DescribeTaskDefinitionOutput{
		TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn), ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("log-router"), Image: aws.String("fluent-bit:3")},
			{Name: aws.String("web"), Image: aws.String(image)},
		}},
		Tags: []types.Tag{{Key: aws.String(spec.HashAnnotation), Value: aws.String("h2")}},
	}
}

// runningTasks are n running tasks of td1, then one of td2 whose web container reports digest.
func runningTasks(n int, digest string) []types.Task {
	var out []types.Task
	for i := range n {
		out = append(out, types.Task{TaskArn: aws.String(fmt.Sprintf("running/%d", i)), TaskDefinitionArn: aws.String(td1),
			Containers: []types.Container{{Name: aws.String("web"), ImageDigest: aws.String("sha256:old")}}})
	}
	return append(out, types.Task{TaskArn: aws.String("running/new"), TaskDefinitionArn: aws.String(td2),
		Containers: []types.Container{{Name: aws.String("web"), ImageDigest: aws.String(digest)}}})
}

func TestStatus(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	svc := svcOf(td2, 2,
		dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 1, 1, 0},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	svc.LaunchType = types.LaunchTypeFargate
	svc.DeploymentConfiguration = &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}}
	for i := range 12 { // newest first, as ECS lists them
		svc.Events = append(svc.Events, types.ServiceEvent{Id: aws.String(fmt.Sprint(i)), CreatedAt: aws.Time(t0.Add(-time.Duration(i) * time.Minute)),
			Message: aws.String(fmt.Sprintf("event %d", i))})
	}
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: statusTD(td2, "registry.local/web:2")},
		// The task that reports the digest is on the third page, after two batches to describe.
		running: runningTasks(205, "sha256:new"), pageSize: 90}
	s := newTestSession(f)
	s.scaling = &fakeScaling{target: &aastypes.ScalableTarget{ResourceId: aws.String("service/c1/web"), MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(6)},
		live: []aastypes.ScalingPolicy{{PolicyName: aws.String("web-cpu")}}}
	st, err := s.Status(context.Background(), testApp(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || st.Revision != "web:2" || st.Image != "registry.local/web:2" || st.Digest != "sha256:new" || st.SpecHash != "h2" ||
		st.Desired != 2 || st.Updated != 1 || st.Where != "cluster c1 in us-east-1" {
		t.Errorf("status %+v", st)
	}
	if got := f.described; !slices.Equal(got, []int{100, 100, 6}) {
		t.Errorf("DescribeTasks batches %v, want 100, 100, 6 (every page read)", got)
	}
	wantConds := []string{
		"service ACTIVE, launch type FARGATE",
		"deployment: max 200%, min healthy 100%, circuit breaker on with rollback",
		"rolling out: " + DeploymentSummary(svc),
		"autoscaling: 2–6 tasks (web-cpu)",
	}
	if !slices.Equal(st.Conditions, wantConds) {
		t.Errorf("conditions %q\nwant %q", st.Conditions, wantConds)
	}
	want := []target.LiveDeployment{
		{ID: "ecs-svc/2", Revision: "web:2", Status: "PRIMARY", Desired: 2, Running: 1, Pending: 1, RolloutState: "IN_PROGRESS"},
		{ID: "ecs-svc/1", Revision: "web:1", Status: "ACTIVE", Desired: 2, Running: 2, RolloutState: "COMPLETED"},
	}
	if !slices.Equal(st.Rollouts, want) {
		t.Errorf("rollouts %+v\nwant %+v", st.Rollouts, want)
	}
	// The 10 newest events, oldest first.
	if len(st.Events) != 10 || st.Events[0] != "2026-11-26T07:51:00Z event 9" || st.Events[9] != "2026-11-26T08:00:00Z event 0" {
		t.Errorf("events %q", st.Events)
	}
}

func TestStatusSteadyByDigestAndMissing(t *testing.T) {
	svc := svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: statusTD(td2, "registry.local/web@sha256:pinned")}}
	st, err := newTestSession(f).Status(context.Background(), testApp(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if st.Digest != "sha256:pinned" || len(f.listed) != 0 || !slices.Contains(st.Conditions, "steady: one deployment, completed") {
		t.Errorf("status %+v, tasks listed %d times", st, len(f.listed))
	}

	st, err = newTestSession(&fakeECS{}).Status(context.Background(), testApp(t, ""))
	if err != nil || st.Exists || !strings.Contains(st.Where, "cluster c1") {
		t.Errorf("not deployed: %+v %v", st, err)
	}
}

// The stopped tasks of a failing deployment are read on every page, 100 at a time.
func TestStoppedTasksArePaged(t *testing.T) {
	var stopped []types.Task
	for i := range 250 {
		stopped = append(stopped, types.Task{StoppedReason: aws.String(fmt.Sprint("reason ", i))})
	}
	f := &fakeECS{stopped: stopped, pageSize: 100}
	tasks, err := newTestSession(f).stoppedTasks(context.Background(), testApp(t, ""), "ecs-svc/2")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 250 || len(f.listed) != 3 || !slices.Equal(f.described, []int{100, 100, 50}) {
		t.Errorf("%d tasks, %d ListTasks, DescribeTasks batches %v", len(tasks), len(f.listed), f.described)
	}
	if aws.ToString(f.listed[0].StartedBy) != "ecs-svc/2" || aws.ToString(f.listed[2].NextToken) != "200" {
		t.Errorf("ListTasks inputs %+v", f.listed)
	}
}

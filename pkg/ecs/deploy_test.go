package ecs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// liveTD is what DescribeTaskDefinition answers for a registered render.
func liveTD(arn string, rd *Rendered) *ecs.DescribeTaskDefinitionOutput {
	in := rd.TaskDefinition
	return &ecs.DescribeTaskDefinitionOutput{
		TaskDefinition: &types.TaskDefinition{
			TaskDefinitionArn: aws.String(arn), Family: in.Family, Revision: 1, Status: types.TaskDefinitionStatusActive,
			NetworkMode: in.NetworkMode, RequiresCompatibilities: in.RequiresCompatibilities, Cpu: in.Cpu, Memory: in.Memory,
			ContainerDefinitions: in.ContainerDefinitions, ExecutionRoleArn: in.ExecutionRoleArn, TaskRoleArn: in.TaskRoleArn,
		},
		Tags: in.Tags,
	}
}

func render(t *testing.T, app *spec.App) *Rendered {
	t.Helper()
	rd, err := Render(app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

func TestDeployWithNothingChangedWritesNothing(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	steady := svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := &fakeECS{script: []func() (*types.Service, error){returns(steady)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, rd)}}
	s := newTestSession(f)
	var got events
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.Succeeded || !v.Unchanged || len(v.Applied) != 0 || v.Revision != "web:1" {
		t.Errorf("verdict %+v", v)
	}
	if len(f.registers)+len(f.creates)+len(f.updates)+f.tagged+s.logs.(*fakeLogs).writes+s.scaling.(*fakeScaling).targets != 0 {
		t.Errorf("wrote something: %d registers, %d creates, %d updates", len(f.registers), len(f.creates), len(f.updates))
	}
	if !strings.Contains(strings.Join(got.messages(), "\n"), "nothing changed") {
		t.Errorf("events: %q", got.messages())
	}
}

func TestDeployUpdatesAndWatches(t *testing.T) {
	app := testApp(t, "")
	old := testApp(t, "labels: {v: old}\n")
	oldRD := render(t, old)
	newTD := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	live := svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	live.ServiceArn = aws.String("arn:aws:ecs:us-east-1:123456789012:service/c1/web")
	f := &fakeECS{
		script: []func() (*types.Service, error){
			returns(live),
			returns(svcOf(newTD, 2,
				dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})),
			returns(svcOf(newTD, 2, dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})),
		},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, oldRD), "web": liveTD(td1, oldRD)},
		onUpdate: func(in *ecs.UpdateServiceInput) *types.Service {
			return svcOf(aws.ToString(in.TaskDefinition), 2, dep{"ecs-svc/2", "PRIMARY", aws.ToString(in.TaskDefinition), types.DeploymentRolloutStateInProgress, "", 2, 0, 0, 0})
		},
	}
	s := newTestSession(f)
	var got events
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.Succeeded || v.Revision != "web:2" || v.Unchanged {
		t.Errorf("verdict %+v", v)
	}
	if len(f.registers) != 1 || len(f.updates) != 1 || len(f.creates) != 0 || f.tagged != 1 {
		t.Fatalf("%d registers, %d updates, %d creates, %d tag calls", len(f.registers), len(f.updates), len(f.creates), f.tagged)
	}
	up := f.updates[0]
	if aws.ToString(up.TaskDefinition) != newTD || aws.ToInt32(up.DesiredCount) != 2 || !up.DeploymentConfiguration.DeploymentCircuitBreaker.Enable {
		t.Errorf("UpdateService %+v", up)
	}
	if strings.Join(v.Applied, ", ") != "task definition web:2, service web (updated)" {
		t.Errorf("applied %q", v.Applied)
	}
}

func TestUpdateKeepsTheDesiredCountWithAutoscaling(t *testing.T) {
	app := testApp(t, "")
	scaled := *app
	scaled.Replicas = nil
	scaled.Autoscale = &spec.Autoscale{Min: 2, Max: 6, CPU: 60}
	live := &types.Service{LaunchType: types.LaunchTypeFargate, DesiredCount: 5}
	if in := updateInput(render(t, &scaled), live, td2, true); in.DesiredCount != nil {
		t.Errorf("with autoscale, UpdateService sets desiredCount %d", *in.DesiredCount)
	}
	if in := updateInput(render(t, app), live, td2, false); aws.ToInt32(in.DesiredCount) != 2 {
		t.Errorf("without autoscale, desiredCount %v", in.DesiredCount)
	}
}

func TestDeployRefusesToInterleave(t *testing.T) {
	app := testApp(t, "")
	other := testApp(t, "labels: {v: other}\n")
	busy := svcOf(td2, 2,
		dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := &fakeECS{script: []func() (*types.Service, error){returns(busy)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: liveTD(td2, render(t, other))}}
	s := newTestSession(f)
	_, err := s.Deploy(context.Background(), app, target.DeployOptions{}, &events{})
	if err == nil || !strings.Contains(err.Error(), "another deployment of web is in progress (ecs-svc/2 on web:2") || !strings.Contains(err.Error(), "--force-conflicts") {
		t.Fatalf("err = %v", err)
	}
	if len(f.registers)+len(f.updates) != 0 {
		t.Error("wrote while another deployment was in progress")
	}
}

func TestDeployPinsECRImages(t *testing.T) {
	const digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	app := testApp(t, "")
	app.Image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:v1"
	f := &fakeECS{script: []func() (*types.Service, error){returns(nil)}}
	s := newTestSession(f)
	reg := &fakeECR{tag: "v1", digest: digest}
	var region string
	s.ecrFor = func(r string) ecrAPI { region = r; return reg }
	var got events
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{NoWait: true}, &got)
	if err != nil {
		t.Fatal(err)
	}
	pinned := "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web@" + digest
	if len(f.registers) != 1 || aws.ToString(f.registers[0].ContainerDefinitions[0].Image) != pinned || v.Image != pinned {
		t.Errorf("registered %+v, verdict image %s", f.registers, v.Image)
	}
	if region != "ap-northeast-2" {
		t.Errorf("ECR asked in %q, want the registry's region", region)
	}
	if !strings.Contains(strings.Join(got.messages(), "\n"), "pinned image 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:v1 to digest "+digest) {
		t.Errorf("events %q", got.messages())
	}
	if len(f.creates) != 1 || aws.ToString(f.creates[0].TaskDefinition) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" {
		t.Errorf("CreateService %+v", f.creates)
	}

	// A tag that is not in the registry stops the deploy before anything is written.
	app.Image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:v9"
	f2 := &fakeECS{script: []func() (*types.Service, error){returns(nil)}}
	s2 := newTestSession(f2)
	s2.ecrFor = func(string) ecrAPI { return reg }
	if _, err := s2.Deploy(context.Background(), app, target.DeployOptions{}, &events{}); err == nil || !strings.Contains(err.Error(), "web:v9 not found") || len(f2.registers) != 0 {
		t.Errorf("err = %v, registers %d", err, len(f2.registers))
	}
}

func TestAutoRollbackAfterFailFast(t *testing.T) {
	app := testApp(t, "")
	oldRD := render(t, testApp(t, "labels: {v: old}\n"))
	newTD := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	failing := svcOf(newTD, 2,
		dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 2},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	back := svcOf(td1, 2, dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := &fakeECS{
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, oldRD)},
		stopped: []types.Task{
			stoppedTask("ecs-svc/2", newTD, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
			stoppedTask("ecs-svc/2", newTD, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
		},
	}
	f.script = []func() (*types.Service, error){
		returns(svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})),
		returns(failing),
		func() (*types.Service, error) {
			if len(f.updates) == 2 {
				return back, nil
			}
			return failing, nil
		},
	}
	f.onUpdate = func(in *ecs.UpdateServiceInput) *types.Service {
		id := "ecs-svc/2"
		if aws.ToString(in.TaskDefinition) == td1 {
			id = "ecs-svc/3"
		}
		return svcOf(aws.ToString(in.TaskDefinition), 2, dep{id, "PRIMARY", aws.ToString(in.TaskDefinition), types.DeploymentRolloutStateInProgress, "", 2, 0, 0, 0})
	}
	s := newTestSession(f)
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{Timeout: time.Minute}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.RolledBack || v.RolledBackTo != "web:1" || !strings.Contains(v.Message, "CannotPullContainerError") || !strings.Contains(v.Message, "rolled back to web:1") {
		t.Errorf("verdict %+v", v)
	}
	if len(f.updates) != 2 || aws.ToString(f.updates[1].TaskDefinition) != td1 || f.updates[1].DesiredCount != nil {
		t.Errorf("updates %+v", f.updates)
	}
	if target.ExitCode(v.Err()) != target.ExitRolledBack {
		t.Errorf("exit code %d", target.ExitCode(v.Err()))
	}
}

func TestDeployInterrupted(t *testing.T) {
	app := testApp(t, "")
	// Before anything is written: nothing applied, no error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeECS{script: []func() (*types.Service, error){returns(nil)}}
	s := newTestSession(f)
	s.logs = &fakeLogs{}
	v, err := s.Deploy(ctx, app, target.DeployOptions{}, &events{})
	if err != nil || v.Phase != target.Canceled || len(v.Applied) != 0 || len(f.registers)+len(f.creates)+s.logs.(*fakeLogs).writes != 0 {
		t.Fatalf("verdict %+v, %v; %d registers", v, err, len(f.registers))
	}

	// While watching: the change is applied whole, the verdict says what was written.
	ctx, cancel = context.WithCancel(context.Background())
	newTD := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	going := svcOf(newTD, 2, dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0})
	f = &fakeECS{script: []func() (*types.Service, error){returns(nil), func() (*types.Service, error) { cancel(); return going, nil }}}
	v, err = newTestSession(f).Deploy(ctx, app, target.DeployOptions{}, &events{})
	if err != nil || v.Phase != target.Canceled || strings.Join(v.Applied, ", ") != "task definition web:2, service web (created)" {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	if target.ExitCode(v.Err()) != target.ExitInterrupted {
		t.Errorf("exit code %d", target.ExitCode(v.Err()))
	}
}

func TestDestroyRefusesAServiceShipitDidNotCreate(t *testing.T) {
	svc := svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	svc.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)}}
	_, err := newTestSession(f).Destroy(context.Background(), testApp(t, ""), target.DestroyOptions{}, &events{})
	if err == nil || !strings.Contains(err.Error(), "shipit did not create it and will not delete it") {
		t.Fatalf("err = %v", err)
	}
}

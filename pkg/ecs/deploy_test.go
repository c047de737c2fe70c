package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

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

// steadyLive is the live service as DescribeServices answers after rd was deployed as tdArn
// and completed (with the API's defaults and orders, see apiNoise).
func steadyLive(rd *Rendered, tdArn string) *types.Service {
	_, svc := apiNoise(rd, tdArn)
	svc.Deployments = svcOf(tdArn, 2, dep{"ecs-svc/1", "PRIMARY", tdArn, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}).Deployments
	return svc
}

func TestDeployWithNothingChangedWritesNothing(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	steady := steadyLive(rd, td1)
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

	// One that keeps failing is most likely an earlier failed deploy: say so.
	failing := svcOf(td2, 2,
		dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 1, 7},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f = &fakeECS{script: []func() (*types.Service, error){returns(failing)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: liveTD(td2, render(t, other))}}
	_, err = newTestSession(f).Deploy(context.Background(), app, target.DeployOptions{}, &events{})
	if err == nil || !strings.HasSuffix(err.Error(), "It has 7 failed tasks, so it may be an earlier deploy that failed and that ECS keeps retrying: "+
		"check it (shipit status --target ecs), then pass --force-conflicts to deploy over it") {
		t.Fatalf("err = %v", err)
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

// failingThenBack is an ECS on td1 (live) whose deployment of newTD keeps failing to pull its
// image (failing: fail fast), and which is back on td1 (back) once shipit's rollback, the
// second UpdateService, has gone through.
func failingThenBack(oldRD *Rendered, newTD string, live, failing, back *types.Service) *fakeECS {
	f := &fakeECS{
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, oldRD)},
		stopped: []types.Task{
			stoppedTask("ecs-svc/2", newTD, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
			stoppedTask("ecs-svc/2", newTD, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
		},
	}
	f.script = []func() (*types.Service, error){
		returns(live),
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
	return f
}

// rollbackShapes are the service as a deploy of web:2 sees it that fails and is rolled back:
// live on web:1, failing on web:2 beside it, back on web:1 in a third deployment.
func rollbackShapes(newTD string) (live, failing, back *types.Service) {
	live = svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	failing = svcOf(newTD, 2,
		dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 2},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	back = svcOf(td1, 2, dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	return live, failing, back
}

func TestAutoRollbackAfterFailFast(t *testing.T) {
	app := testApp(t, "")
	oldRD := render(t, testApp(t, "labels: {v: old}\n"))
	newTD := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	live, failing, back := rollbackShapes(newTD)
	f := failingThenBack(oldRD, newTD, live, failing, back)
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

// A deploy that failed after UpdateService (here: registering the scalable target) leaves the
// service on the new revision; the next deploy of the same spec must not call that "nothing
// changed" and skip the rest forever: it re-applies the tags and autoscaling that did not
// take, without a new revision or deployment. Once all matches, it writes nothing.
func TestDeployFinishesWhatAFailedDeployLeftOut(t *testing.T) {
	old := testApp(t, "")
	app := testApp(t, "autoscale: {min: 2, max: 4, cpu: 60}\nlabels: {team: web}\n")
	oldRD, rd := render(t, old), render(t, app)
	live0 := steadyLive(oldRD, td1)
	f := &fakeECS{
		script:   []func() (*types.Service, error){returns(live0)},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, oldRD), "web": liveTD(td1, oldRD)},
		onUpdate: func(in *ecs.UpdateServiceInput) *types.Service {
			return svcOf(aws.ToString(in.TaskDefinition), 2, dep{"ecs-svc/2", "PRIMARY", aws.ToString(in.TaskDefinition), types.DeploymentRolloutStateInProgress, "", 2, 0, 0, 0})
		},
	}
	s := newTestSession(f)
	sc := &fakeScaling{failRegister: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}}
	s.scaling = sc
	_, err := s.Deploy(context.Background(), app, target.DeployOptions{}, &events{})
	if err == nil || !strings.Contains(err.Error(), "RegisterScalableTarget") || !strings.Contains(err.Error(), "applied before the failure: task definition web:2, service web (updated)") {
		t.Fatalf("err = %v", err)
	}

	// The service now runs web:2 (this spec); its tags and autoscaling are not the spec's.
	sc.failRegister = nil
	live1 := steadyLive(rd, td2)
	live1.Tags = live0.Tags
	f2 := &fakeECS{script: []func() (*types.Service, error){returns(live1)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: liveTD(td2, rd)}}
	s2 := newTestSession(f2)
	s2.scaling = sc
	var got events
	v, err := s2.Deploy(context.Background(), app, target.DeployOptions{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.Succeeded || v.Unchanged || v.Revision != "web:2" || !strings.Contains(v.Message, "no new revision; re-applied what did not match the spec: service web tags, scalable target service/c1/web, scaling policy web-cpu") {
		t.Errorf("verdict %+v", v)
	}
	if len(f2.registers)+len(f2.updates)+len(f2.creates) != 0 {
		t.Errorf("%d registers, %d updates, %d creates: want no new revision or deployment", len(f2.registers), len(f2.updates), len(f2.creates))
	}
	if len(f2.tags) != 1 || !sameTags(f2.tags[0].Tags, rd.Service.Tags) {
		t.Errorf("TagResource calls %+v", f2.tags)
	}
	if sc.target == nil || aws.ToInt32(sc.target.MinCapacity) != 2 || aws.ToInt32(sc.target.MaxCapacity) != 4 || len(sc.live) != 1 {
		t.Errorf("scalable target %+v, policies %+v", sc.target, sc.live)
	}
	if strings.Contains(strings.Join(got.messages(), "\n"), "nothing changed") {
		t.Errorf("said nothing changed: %q", got.messages())
	}

	// Everything matches now: a deploy writes nothing.
	live2 := steadyLive(rd, td2)
	f3 := &fakeECS{script: []func() (*types.Service, error){returns(live2)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td2: liveTD(td2, rd)}}
	s3 := newTestSession(f3)
	s3.scaling = sc
	targets, policies := sc.targets, sc.policies
	v, err = s3.Deploy(context.Background(), app, target.DeployOptions{}, &events{})
	if err != nil || !v.Unchanged || len(v.Applied) != 0 || !strings.HasPrefix(v.Message, "nothing changed") {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	if f3.tagged+len(f3.updates) != 0 || sc.targets != targets || sc.policies != policies {
		t.Errorf("wrote again: %d tag calls, %d updates, %d target and %d policy writes", f3.tagged, len(f3.updates), sc.targets-targets, sc.policies-policies)
	}
}

// After a rollback changed only the task definition (ECS's circuit breaker, or shipit
// rollback), deploying the spec of that revision again puts back the service settings it says.
func TestDeployOfTheLiveRevisionFixesTheServiceSettings(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	live := steadyLive(rd, td1)
	live.DesiredCount = 5
	live.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-9"}}}
	f := &fakeECS{script: []func() (*types.Service, error){returns(live)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, rd)}}
	v, err := newTestSession(f).Deploy(context.Background(), app, target.DeployOptions{NoWait: true}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.registers) != 0 || len(f.updates) != 1 || v.Unchanged {
		t.Fatalf("%d registers, %d updates, verdict %+v", len(f.registers), len(f.updates), v)
	}
	up := f.updates[0]
	if up.TaskDefinition != nil || aws.ToInt32(up.DesiredCount) != 2 ||
		strings.Join(up.NetworkConfiguration.AwsvpcConfiguration.Subnets, ",") != "subnet-1,subnet-2" || up.DeploymentConfiguration != nil {
		t.Errorf("UpdateService %+v", up)
	}
	if strings.Join(v.Applied, ", ") != "service web settings (desired count, network configuration)" {
		t.Errorf("applied %q", v.Applied)
	}
}

// shipit's automatic rollback restores what the failed spec changed besides the task
// definition: the desired count, the network, the service's tags and the autoscaling.
func TestAutoRollbackRestoresWhatTheFailedSpecChanged(t *testing.T) {
	old := testApp(t, "autoscale: {min: 2, max: 4, cpu: 60}\n")
	app := testApp(t, "labels: {team: web}\n")
	app.Replicas = aws.Int(5)
	app.ECS.Subnets = []string{"subnet-9"}
	oldRD := render(t, old)
	newTD := td2
	live0 := steadyLive(oldRD, td1)
	failing := svcOf(newTD, 5,
		dep{"ecs-svc/2", "PRIMARY", newTD, types.DeploymentRolloutStateInProgress, "", 5, 0, 5, 2},
		dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	back := svcOf(td1, 2, dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	f := failingThenBack(oldRD, newTD, live0, failing, back)
	s := newTestSession(f)
	sc := &fakeScaling{}
	s.scaling = sc
	seed := &deployRun{Session: s, app: old, rd: oldRD, r: &events{}}
	if err := seed.applyScaling(context.Background(), &scalingState{}); err != nil {
		t.Fatal(err)
	}

	v, err := s.Deploy(context.Background(), app, target.DeployOptions{Timeout: time.Minute}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.RolledBack || v.RolledBackTo != "web:1" ||
		!strings.Contains(v.Message, "also restored desired count, network configuration, service tags, autoscaling") {
		t.Errorf("verdict %+v", v)
	}
	if len(f.updates) != 2 {
		t.Fatalf("updates %+v", f.updates)
	}
	if up := f.updates[0]; aws.ToInt32(up.DesiredCount) != 5 {
		t.Errorf("the failing update: %+v", up)
	}
	rb := f.updates[1]
	subnets := slices.Sorted(slices.Values(rb.NetworkConfiguration.AwsvpcConfiguration.Subnets))
	if aws.ToString(rb.TaskDefinition) != td1 || aws.ToInt32(rb.DesiredCount) != 2 || strings.Join(subnets, ",") != "subnet-1,subnet-2" {
		t.Errorf("rollback UpdateService: td %s, desired %v, subnets %v", aws.ToString(rb.TaskDefinition), rb.DesiredCount, subnets)
	}
	if sc.target == nil || aws.ToInt32(sc.target.MinCapacity) != 2 || aws.ToInt32(sc.target.MaxCapacity) != 4 || len(sc.live) != 1 ||
		aws.ToString(sc.live[0].PolicyName) != "web-cpu" {
		t.Errorf("autoscaling after the rollback: target %+v, policies %+v", sc.target, sc.live)
	}
	if len(f.untags) != 1 || !slices.Contains(f.untags[0].TagKeys, "team") || !slices.Contains(f.untags[0].TagKeys, PreviousTag) {
		t.Errorf("UntagResource calls %+v", f.untags)
	}
	if n := len(f.tags); n != 2 || tagValue(f.tags[1].Tags, spec.HashAnnotation) != oldRD.Hash {
		t.Errorf("TagResource calls %+v, want the old spec hash put back", f.tags)
	}
}

// tdFor is what DescribeTaskDefinition answers for revision rev of family web, registered by
// shipit for cluster ("" for a revision without the cluster tag).
func tdFor(t *testing.T, rev int, cluster string) *ecs.DescribeTaskDefinitionOutput {
	app := testApp(t, "")
	app.ECS.Cluster = cluster
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/web:%d", rev)
	out := liveTD(arn, render(t, app))
	out.TaskDefinition.Revision = int32(rev)
	if cluster == "" {
		out.Tags = slices.DeleteFunc(slices.Clone(out.Tags), func(tg types.Tag) bool { return aws.ToString(tg.Key) == ClusterTag })
	}
	return out
}

// A family is shared by every cluster (an app's environments): rollback picks the revision
// the service ran before the last deploy, else an older one registered for its own cluster,
// never another environment's.
func TestRollbackStaysInItsCluster(t *testing.T) {
	app := testApp(t, "")
	tds := map[string]*ecs.DescribeTaskDefinitionOutput{}
	add := func(rev int, cluster string) string {
		out := tdFor(t, rev, cluster)
		arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		tds[arn], tds[Revision(arn)] = out, out
		return arn
	}
	r1, _, r3, r4 := add(1, "c1"), add(2, "prod"), add(3, "c1"), add(4, "c1")
	rollback := func(live *types.Service) (*fakeECS, *target.Verdict, error) {
		f := &fakeECS{script: []func() (*types.Service, error){returns(live)}, taskDefs: tds}
		v, err := newTestSession(f).Rollback(context.Background(), app, target.RollbackOptions{NoWait: true}, &events{})
		return f, v, err
	}

	// web:3 failed and was rolled back; web:4 followed. The service ran web:1 before web:4.
	live := steadyLive(render(t, app), r4)
	live.Tags = withTag(live.Tags, PreviousTag, "web:1")
	f, v, err := rollback(live)
	if err != nil || len(f.updates) != 1 || aws.ToString(f.updates[0].TaskDefinition) != r1 || v.RolledBackTo != "web:1" {
		t.Fatalf("with the previous revision recorded: verdict %+v, %v, updates %+v", v, err, f.updates)
	}

	// Nothing recorded: the newest older revision of this cluster (web:3), not production's.
	live = steadyLive(render(t, app), r4)
	if f, _, err = rollback(live); err != nil || aws.ToString(f.updates[0].TaskDefinition) != r3 {
		t.Fatalf("newest older revision of c1: %v, updates %+v", err, f.updates)
	}
	live = steadyLive(render(t, app), r3)
	if f, _, err = rollback(live); err != nil || aws.ToString(f.updates[0].TaskDefinition) != r1 {
		t.Fatalf("from web:3: want web:1, skipping production's web:2: %v, updates %+v", err, f.updates)
	}
	live = steadyLive(render(t, app), r1)
	if _, _, err = rollback(live); err == nil || !strings.Contains(err.Error(), "no active revision of web older than the live web:1 registered for cluster c1") {
		t.Fatalf("from web:1: err = %v", err)
	}
	// --to may name any revision of the family, and says whose it is.
	f = &fakeECS{script: []func() (*types.Service, error){returns(steadyLive(render(t, app), r4))}, taskDefs: tds}
	var got events
	if _, err := newTestSession(f).Rollback(context.Background(), app, target.RollbackOptions{To: "2", NoWait: true}, &got); err != nil ||
		!strings.Contains(strings.Join(got.messages(), "\n"), "registered for cluster prod") {
		t.Fatalf("--to 2: %v, %q", err, got.messages())
	}
}

// destroy deregisters only the revisions registered for its cluster, and keeps the log group
// that the app's service on another cluster still uses, saying why.
func TestDestroyLeavesOtherClustersAlone(t *testing.T) {
	app := testApp(t, "")
	tds := map[string]*ecs.DescribeTaskDefinitionOutput{}
	for rev, cluster := range map[int]string{1: "c1", 2: "prod", 3: "", 4: "c1"} {
		out := tdFor(t, rev, cluster)
		tds[aws.ToString(out.TaskDefinition.TaskDefinitionArn)] = out
	}
	svc := steadyLive(render(t, app), td1)
	prodArn := "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	prod := steadyLive(render(t, app), td2)
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)}, taskDefs: tds,
		clusters: []string{"arn:aws:ecs:us-east-1:123456789012:cluster/c1", prodArn}, others: map[string]*types.Service{prodArn: prod}}
	res, err := newTestSession(f).Destroy(context.Background(), app, target.DestroyOptions{Plan: true, PurgeLogs: true}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	deleted, kept := strings.Join(res.Deleted, "\n"), strings.Join(res.Kept, "\n")
	for _, want := range []string{"task definition web:1 (deregistered)", "task definition web:4 (deregistered)"} {
		if !strings.Contains(deleted, want) {
			t.Errorf("deleted lacks %q:\n%s", want, deleted)
		}
	}
	for _, want := range []string{"task definition web:2 (registered for cluster prod)", "task definition web:3 (no shipit.dev/cluster tag",
		"log group /ecs/web (not purged: service web in cluster prod of the same app still use it)"} {
		if !strings.Contains(kept, want) {
			t.Errorf("kept lacks %q:\n%s", want, kept)
		}
	}
	if strings.Contains(deleted, "web:2") || strings.Contains(deleted, "web:3") || strings.Contains(deleted, "log group") {
		t.Errorf("deletes what is not this cluster's:\n%s", deleted)
	}

	// Once no other cluster runs the app, --purge-logs deletes the group.
	prod.Status = aws.String("INACTIVE")
	res, err = newTestSession(f).Destroy(context.Background(), app, target.DestroyOptions{Plan: true, PurgeLogs: true}, &events{})
	if err != nil || !slices.Contains(res.Deleted, "log group /ecs/web") {
		t.Fatalf("deleted %q, %v", res.Deleted, err)
	}
}

// With ecs.serviceName, every call that names the service names that one, through a deploy
// that fails and is rolled back (describe, update, stopped tasks, tags, the scaling target);
// the task definition family and the log group keep the app's name.
func TestServiceNameNamesEveryCall(t *testing.T) {
	const svc = "Stack-Svc-X1"
	app := testApp(t, "  serviceName: "+svc+"\n")
	oldRD := render(t, testApp(t, "  serviceName: "+svc+"\nlabels: {v: old}\n"))
	newTD := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	live, failing, back := rollbackShapes(newTD)
	for _, s := range []*types.Service{failing, back, live} {
		s.ServiceName = aws.String(svc)
	}
	f := failingThenBack(oldRD, newTD, live, failing, back)
	s := newTestSession(f)
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{Timeout: time.Minute}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != target.RolledBack || !slices.Contains(v.Applied, "service "+svc+" (rolled back to web:1)") {
		t.Errorf("verdict %s %q, applied %q", v.Phase, v.Message, v.Applied)
	}
	var names []string
	names = append(names, f.servicesAsked...)
	for _, u := range f.updates {
		names = append(names, aws.ToString(u.Service))
	}
	for _, l := range f.listed {
		if l.StartedBy == nil { // a deployment's own tasks are listed by its id instead
			names = append(names, aws.ToString(l.ServiceName))
		}
	}
	if len(f.servicesAsked) == 0 || len(f.updates) != 2 || len(f.listed) == 0 {
		t.Fatalf("calls: %d describes, %d updates, %d task lists", len(f.servicesAsked), len(f.updates), len(f.listed))
	}
	for _, n := range names {
		if n != svc {
			t.Errorf("a call named service %q, want %s (all: %q)", n, svc, names)
			break
		}
	}
	if got := scalingResource(app); got != "service/c1/"+svc {
		t.Errorf("scaling resource %q", got)
	}
	if aws.ToString(f.registers[0].Family) != "web" || LogGroupName(app) != "/ecs/web" {
		t.Errorf("family %q, log group %q: both keep the app's name", aws.ToString(f.registers[0].Family), LogGroupName(app))
	}
}

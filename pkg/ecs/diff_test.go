package ecs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const sidecarSpec = `sidecars: [{name: log-router, image: "fluent/fluent-bit:3", cpu: 0.25, memory: 256Mi}]
health: {command: ["curl", "-f", "http://localhost/"], interval: 30s, timeout: 5s, failures: 3}
env: {B: "2", A: "1"}
labels: {team: web}
cpu: 1
memory: 2Gi
`

// apiNoise turns a rendered task definition and service into what DescribeTaskDefinition and
// DescribeServices answer: defaults filled in, other orders, registration metadata.
func apiNoise(rd *Rendered, tdArn string) (*ecs.DescribeTaskDefinitionOutput, *types.Service) {
	out := liveTD(tdArn, rd)
	td := out.TaskDefinition
	td.Revision = 4
	td.RequiresAttributes = []types.Attribute{{Name: aws.String("ecs.capability.execution-role-awslogs")}}
	td.Compatibilities = []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate}
	var cs []types.ContainerDefinition
	for _, c := range td.ContainerDefinitions {
		c.Essential = aws.Bool(true) // the sidecar's unset essential
		for i := range c.PortMappings {
			c.PortMappings[i].HostPort = c.PortMappings[i].ContainerPort
		}
		env := slices.Clone(c.Environment)
		slices.Reverse(env)
		c.Environment = env
		c.MountPoints = []types.MountPoint{}
		c.VolumesFrom = []types.VolumeFrom{}
		cs = append(cs, c)
	}
	slices.Reverse(cs)
	td.ContainerDefinitions = cs
	tdTags := slices.Clone(out.Tags)
	slices.Reverse(tdTags)
	out.Tags = tdTags
	tags := slices.Clone(rd.Service.Tags)
	slices.Reverse(tags)

	in := rd.Service
	nc := *in.NetworkConfiguration.AwsvpcConfiguration
	nc.Subnets = slices.Clone(nc.Subnets)
	slices.Reverse(nc.Subnets)
	dc := *in.DeploymentConfiguration
	dc.Alarms = &types.DeploymentAlarms{Enable: false, Rollback: false, AlarmNames: []string{}}
	svc := &types.Service{
		ServiceName: in.ServiceName, ServiceArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/c1/web"),
		ClusterArn: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/c1"), Status: aws.String("ACTIVE"),
		TaskDefinition: aws.String(tdArn), DesiredCount: aws.ToInt32(in.DesiredCount), RunningCount: aws.ToInt32(in.DesiredCount),
		LaunchType: in.LaunchType, PlatformVersion: platformVersion(in.PlatformVersion), PlatformFamily: aws.String("Linux"),
		EnableExecuteCommand:    in.EnableExecuteCommand,
		NetworkConfiguration:    &types.NetworkConfiguration{AwsvpcConfiguration: &nc},
		DeploymentConfiguration: &dc, DeploymentController: in.DeploymentController,
		EnableECSManagedTags: in.EnableECSManagedTags, PropagateTags: in.PropagateTags, Tags: tags,
		SchedulingStrategy: types.SchedulingStrategyReplica, HealthCheckGracePeriodSeconds: aws.Int32(0),
		Deployments: []types.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdArn),
			ServiceConnectConfiguration: in.ServiceConnectConfiguration}},
	}
	return out, svc
}

func TestDiffIgnoresAPIDefaultsAndOrder(t *testing.T) {
	app := testApp(t, sidecarSpec)
	out, svc := apiNoise(render(t, app), td1)
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: out}}
	d, err := newTestSession(f).Diff(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed {
		t.Fatalf("differences where there are none:\n%s", d.Diff)
	}
}

func TestDiffShowsChanges(t *testing.T) {
	app := testApp(t, sidecarSpec)
	old := testApp(t, sidecarSpec)
	old.Image = "nginx:1.26"
	old.Replicas = aws.Int(3)
	out, svc := apiNoise(render(t, old), td1)
	f := &fakeECS{script: []func() (*types.Service, error){returns(svc)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: out}}
	d, err := newTestSession(f).Diff(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--- live/task-definition.json\n+++ spec/task-definition.json\n",
		`-      "image": "nginx:1.26",`, `+      "image": "nginx:1.27",`,
		"--- live/service.json\n+++ spec/service.json\n",
		`-  "desiredCount": 3,`, `+  "desiredCount": 2,`,
	} {
		if !strings.Contains(d.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, d.Diff)
		}
	}
	if !d.Changed || strings.Contains(d.Diff, "log-group") {
		t.Errorf("changed %v:\n%s", d.Changed, d.Diff)
	}
}

func TestDiffOfAnAppNotDeployed(t *testing.T) {
	app := testApp(t, "")
	s := newTestSession(&fakeECS{script: []func() (*types.Service, error){returns(nil)}})
	s.logs = &fakeLogs{}
	d, err := s.Diff(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Changed || !strings.Contains(d.Diff, `+  "family": "web",`) || !strings.Contains(d.Diff, `+  "logGroupName": "/ecs/web",`) {
		t.Errorf("diff:\n%s", d.Diff)
	}
}

package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/target"
)

// liveService is a running service shipit never deployed: scaled by Application Auto Scaling,
// logging to a group with its own retention.
func liveService() (*fakeECS, *Session) {
	tdArn := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	svc := &types.Service{
		ServiceName: aws.String("web"), ServiceArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/web"),
		ClusterArn: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/prod"), Status: aws.String("ACTIVE"),
		TaskDefinition: aws.String(tdArn), DesiredCount: 0, LaunchType: types.LaunchTypeFargate,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}},
	}
	e := &fakeECS{
		script: []func() (*types.Service, error){func() (*types.Service, error) { return svc, nil }},
		taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{tdArn: {
			TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(tdArn), Family: aws.String("web"), Revision: 7,
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("nginx:1.27"),
					LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web"}}}}},
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}},
		}},
	}
	s := newTestSession(e)
	s.logs = &fakeLogs{retention: 14}
	s.scaling = &fakeScaling{target: &aastypes.ScalableTarget{ResourceId: aws.String("service/prod/web"), MinCapacity: aws.Int32(0), MaxCapacity: aws.Int32(4)},
		live: []aastypes.ScalingPolicy{{PolicyName: aws.String("web-cpu"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling}}}
	return e, s
}

func TestReadLiveReturnsTheCLIDocuments(t *testing.T) {
	_, s := liveService()
	docs, err := s.readLive(context.Background(), target.LiveRef{Cluster: "prod", Service: "web"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	want := "ecs:describe-task-definition web:7, ecs:describe-services prod/web, logs:describe-log-groups, " +
		"application-autoscaling:describe-scalable-targets service/prod/web, application-autoscaling:describe-scaling-policies service/prod/web"
	if got := strings.Join(names, ", "); got != want {
		t.Fatalf("documents:\n got %s\nwant %s", got, want)
	}
	read := func(i int, path ...string) any {
		var v any
		if err := json.Unmarshal(docs[i].Data, &v); err != nil {
			t.Fatal(err)
		}
		for _, p := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[p]
			case []any:
				v = x[0]
				if m, ok := v.(map[string]any); ok {
					v = m[p]
				}
			}
		}
		return v
	}
	for _, c := range []struct {
		doc  int
		path []string
		want any
	}{
		{0, []string{"taskDefinition", "family"}, "web"},
		{0, []string{"tags", "key"}, "team"},
		{1, []string{"services", "desiredCount"}, float64(0)}, // said even when 0
		{1, []string{"services", "tags", "value"}, "shop"},
		{2, []string{"logGroups", "retentionInDays"}, float64(14)},
		{3, []string{"scalableTargets", "minCapacity"}, float64(0)},
		{4, []string{"scalingPolicies", "policyName"}, "web-cpu"},
	} {
		if got := read(c.doc, c.path...); got != c.want {
			t.Errorf("%s %v: got %v, want %v", docs[c.doc].Name, c.path, got, c.want)
		}
	}
}

func TestReadLiveErrors(t *testing.T) {
	e, s := liveService()
	e.script = nil // DescribeServices finds nothing
	_, err := s.readLive(context.Background(), target.LiveRef{Service: "web"})
	if want := "ecs: no service web in cluster default (us-east-1): check --cluster, --service and --region (aws ecs list-services --cluster default)"; err == nil || err.Error() != want {
		t.Errorf("missing service: got %v, want %s", err, want)
	}
	for _, c := range []struct {
		ref  target.LiveRef
		want string
	}{
		{target.LiveRef{Cluster: "prod"}, "--target ecs imports a live service: name it with --service (and --cluster, default \"default\")"},
		{target.LiveRef{Deployment: "web"}, "--deployment and --namespace name a Kubernetes app: use --target eks, or --cluster and --service for ECS"},
	} {
		_, err := Target{}.ReadLive(context.Background(), c.ref, target.ConnectOptions{Region: "us-east-1"})
		var ue *target.UsageError
		if err == nil || err.Error() != c.want || !errors.As(err, &ue) {
			t.Errorf("%+v: got %v, want the usage error %s", c.ref, err, c.want)
		}
	}
}

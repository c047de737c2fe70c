package ecs

// Reading a running service for `shipit import`: the documents a user would save with the
// aws CLI (describe-services, describe-task-definition --include TAGS, describe-log-groups,
// describe-scalable-targets and describe-scaling-policies), so that a live import and a file
// import go through the same converter (pkg/importer).

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// ReadLive reads the service ref names (cluster "default" unless --cluster) in the region of
// --region, else the SDK's chain (AWS_REGION, the profile's): there is no spec yet to name one.
func (Target) ReadLive(ctx context.Context, ref target.LiveRef, opts target.ConnectOptions) ([]target.Document, error) {
	if ref.Deployment != "" || ref.Namespace != "" {
		return nil, &target.UsageError{Msg: "--deployment and --namespace name a Kubernetes app: use --target eks, or --cluster and --service for ECS"}
	}
	if ref.Service == "" {
		return nil, &target.UsageError{Msg: "--target ecs imports a live service: name it with --service (and --cluster, default \"default\")"}
	}
	cfg, err := target.LoadAWSConfig(ctx, opts, "", "ecs: no AWS region: pass --region or set AWS_REGION")
	if err != nil {
		return nil, err
	}
	return newSession(cfg).readLive(ctx, ref)
}

func (s *Session) readLive(ctx context.Context, ref target.LiveRef) ([]target.Document, error) {
	cluster := ref.Cluster
	if cluster == "" {
		cluster = spec.DefaultCluster
	}
	where := fmt.Sprintf("service %s in cluster %s (%s)", ref.Service, cluster, s.region)
	out, err := s.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(cluster), Services: []string{ref.Service}, Include: []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		return nil, apiError("ecs DescribeServices", where, err)
	}
	var svc *types.Service
	for i := range out.Services {
		if aws.ToString(out.Services[i].Status) != "INACTIVE" {
			svc = &out.Services[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("ecs: no %s: check --cluster, --service and --region (aws ecs list-services --cluster %s)", where, cluster)
	}
	svcDoc := awsjson.Value(&ecs.DescribeServicesOutput{Services: []types.Service{*svc}}).(map[string]any)
	// awsjson leaves zero numbers out as the SDK does for an input; a describe output says
	// the desired count even when it is 0.
	svcDoc["services"].([]any)[0].(map[string]any)["desiredCount"] = int64(svc.DesiredCount)

	tdOut, err := s.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: svc.TaskDefinition, Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, apiError("ecs DescribeTaskDefinition", aws.ToString(svc.TaskDefinition), err)
	}
	docs := []target.Document{}
	add := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			docs = append(docs, target.Document{Name: name, Data: b})
		}
		return err
	}
	if err := add("ecs:describe-task-definition "+Revision(aws.ToString(svc.TaskDefinition)), awsjson.Value(&ecs.DescribeTaskDefinitionOutput{TaskDefinition: tdOut.TaskDefinition, Tags: tdOut.Tags})); err != nil {
		return nil, err
	}
	if err := add("ecs:describe-services "+cluster+"/"+ref.Service, svcDoc); err != nil {
		return nil, err
	}
	// The awslogs groups, for their retention (a deploy sets the spec's).
	var groups []any
	for _, g := range awslogsGroups(tdOut.TaskDefinition) {
		lg, err := s.logGroup(ctx, g)
		if err != nil {
			return nil, err
		}
		if lg != nil {
			doc := map[string]any{"logGroupName": aws.ToString(lg.LogGroupName)}
			if lg.RetentionInDays != nil {
				doc["retentionInDays"] = int64(*lg.RetentionInDays)
			}
			groups = append(groups, doc)
		}
	}
	if len(groups) > 0 {
		if err := add("logs:describe-log-groups", map[string]any{"logGroups": groups}); err != nil {
			return nil, err
		}
	}
	// The autoscaling, which a deploy of a spec without autoscale would deregister.
	resource := fmt.Sprintf("service/%s/%s", clusterName(aws.ToString(svc.ClusterArn), cluster), aws.ToString(svc.ServiceName))
	tgts, err := s.scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{resource},
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return nil, apiError("application-autoscaling DescribeScalableTargets", resource, err)
	}
	if len(tgts.ScalableTargets) == 0 {
		return docs, nil
	}
	targets := awsjson.Value(tgts).(map[string]any)
	for i, t := range tgts.ScalableTargets {
		// Capacities of 0 are said, as the CLI does.
		tm := targets["scalableTargets"].([]any)[i].(map[string]any)
		tm["minCapacity"], tm["maxCapacity"] = int64(aws.ToInt32(t.MinCapacity)), int64(aws.ToInt32(t.MaxCapacity))
	}
	if err := add("application-autoscaling:describe-scalable-targets "+resource, targets); err != nil {
		return nil, err
	}
	var policies []aastypes.ScalingPolicy
	pages := aas.NewDescribeScalingPoliciesPaginator(s.scaling, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("application-autoscaling DescribeScalingPolicies", resource, err)
		}
		policies = append(policies, p.ScalingPolicies...)
	}
	if err := add("application-autoscaling:describe-scaling-policies "+resource, awsjson.Value(&aas.DescribeScalingPoliciesOutput{ScalingPolicies: policies})); err != nil {
		return nil, err
	}
	return docs, nil
}

// awslogsGroups are the log groups the task definition's containers send awslogs to.
func awslogsGroups(td *types.TaskDefinition) []string {
	var out []string
	if td == nil {
		return nil
	}
	for _, c := range td.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == types.LogDriverAwslogs {
			if g := lc.Options["awslogs-group"]; g != "" && !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// clusterName is the name in a cluster ARN, else the name given.
func clusterName(arn, given string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return given
}

// This file renders the ECS service and its autoscaling (the task definition is render.go's).

package ecs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func service(app *spec.App, tags []types.Tag) *ecs.CreateServiceInput {
	desired := 1
	switch {
	case app.Replicas != nil:
		desired = *app.Replicas
	case app.Autoscale != nil:
		desired = app.Autoscale.Min
	}
	assign := types.AssignPublicIpDisabled
	if app.ECS.AssignPublicIP {
		assign = types.AssignPublicIpEnabled
	}
	svc := &ecs.CreateServiceInput{
		Cluster:        aws.String(app.ECS.Cluster),
		ServiceName:    aws.String(ServiceName(app)),
		TaskDefinition: aws.String(Family(app)), // deploy passes the registered ARN
		DesiredCount:   aws.Int32(int32(desired)),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets:        app.ECS.Subnets,
			SecurityGroups: app.ECS.SecurityGroups,
			AssignPublicIp: assign,
		}},
		DeploymentConfiguration: &types.DeploymentConfiguration{
			MaximumPercent:        aws.Int32(int32(100 + app.MaxSurgePercent())),
			MinimumHealthyPercent: aws.Int32(int32(100 - app.MaxUnavailablePercent())),
			// ECS's rollback only with its circuit breaker: without it a failing deployment
			// is retried until shipit's watch fails it (and rolls back, rollout.autoRollback).
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{
				Enable:   app.ECS.CircuitBreakerOn(),
				Rollback: app.ECS.CircuitBreakerOn() && app.AutoRollback(),
			},
		},
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
		EnableECSManagedTags: app.ECS.ManagedTagsOn(),
		EnableExecuteCommand: app.ECS.Exec,
		PropagateTags:        types.PropagateTagsService,
		Tags:                 tags,
	}
	if p := app.ECS.PropagateTags; p != "" {
		svc.PropagateTags = types.PropagateTags(p)
	}
	if v := app.ECS.PlatformVersion; v != "" {
		svc.PlatformVersion = aws.String(v)
	}
	svc.ServiceConnectConfiguration = serviceConnect(app.ECS.ServiceConnect)
	if cps := app.ECS.CapacityProviders; len(cps) > 0 {
		for _, p := range cps {
			svc.CapacityProviderStrategy = append(svc.CapacityProviderStrategy, types.CapacityProviderStrategyItem{
				CapacityProvider: aws.String(p.Name), Base: int32(p.Base), Weight: int32(p.Weight)})
		}
	} else if app.ECS.Capacity == "FARGATE_SPOT" {
		svc.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	} else {
		svc.LaunchType = types.LaunchTypeFargate
	}
	// A target group is a public load balancer with expose: public and an internal one with
	// expose: internal; validation refuses it with expose: none.
	if exposed := app.ExposedPorts(); app.Expose != "none" && app.ECS.TargetGroup != "" && len(exposed) > 0 {
		svc.LoadBalancers = []types.LoadBalancer{{
			TargetGroupArn: aws.String(app.ECS.TargetGroup),
			ContainerName:  aws.String(app.MainContainer()),
			ContainerPort:  aws.Int32(int32(exposed[0].Port)),
		}}
		if w := app.Health.StartupWindow(); w > 0 {
			svc.HealthCheckGracePeriodSeconds = aws.Int32(int32(w))
		}
	}
	// An exposed app with ecs.discovery registers in Cloud Map; the registry's ARN only
	// exists once deploy has created the Cloud Map service, so it is not part of the render.
	return svc
}

// serviceConnect is ecs.serviceConnect as CreateService takes it; nil without one.
func serviceConnect(sc *spec.ServiceConnect) *types.ServiceConnectConfiguration {
	if sc == nil {
		return nil
	}
	cfg := &types.ServiceConnectConfiguration{Enabled: true, Namespace: optional(sc.Namespace)}
	for _, s := range sc.Services {
		out := types.ServiceConnectService{PortName: aws.String(s.Port), DiscoveryName: optional(s.DiscoveryName)}
		for _, a := range s.ClientAliases {
			out.ClientAliases = append(out.ClientAliases, types.ServiceConnectClientAlias{Port: aws.Int32(int32(a.Port)), DnsName: optional(a.DNSName)})
		}
		cfg.Services = append(cfg.Services, out)
	}
	return cfg
}

func scaling(app *spec.App, hash string) *Scaling {
	as := app.Autoscale
	resource := fmt.Sprintf("service/%s/%s", app.ECS.Cluster, ServiceName(app))
	s := &Scaling{Target: &aas.RegisterScalableTargetInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(resource),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(int32(as.Min)),
		MaxCapacity:       aws.Int32(int32(as.Max)),
		Tags:              map[string]string{"managed-by": spec.ManagedBy, spec.HashAnnotation: hash},
	}}
	add := func(suffix string, target int, metric aastypes.MetricType, label string) {
		s.Policies = append(s.Policies, &aas.PutScalingPolicyInput{
			PolicyName:        aws.String(app.Name + "-" + suffix),
			ServiceNamespace:  aastypes.ServiceNamespaceEcs,
			ResourceId:        aws.String(resource),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			PolicyType:        aastypes.PolicyTypeTargetTrackingScaling,
			TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
				TargetValue:                   aws.Float64(float64(target)),
				PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: metric, ResourceLabel: optional(label)},
				ScaleOutCooldown:              aws.Int32(60),
				ScaleInCooldown:               aws.Int32(300),
			},
		})
	}
	if as.CPU > 0 {
		add("cpu", as.CPU, aastypes.MetricTypeECSServiceAverageCPUUtilization, "")
	}
	if as.Memory > 0 {
		add("memory", as.Memory, aastypes.MetricTypeECSServiceAverageMemoryUtilization, "")
	}
	if as.Requests > 0 {
		add("requests", as.Requests, aastypes.MetricTypeALBRequestCountPerTarget, requestsLabel(app.ECS.LoadBalancer, app.ECS.TargetGroup))
	}
	return s
}

// requestsLabel is the resource label of ALBRequestCountPerTarget:
// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>, the ends of the two ARNs.
func requestsLabel(lbARN, tgARN string) string {
	_, lb, _ := strings.Cut(lbARN, ":loadbalancer/")
	_, tg, _ := strings.Cut(tgARN, ":targetgroup/")
	return lb + "/targetgroup/" + tg
}

// optional is nil for "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

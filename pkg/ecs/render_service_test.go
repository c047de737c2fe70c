package ecs

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	testTG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/943f017f100becff"
	testLB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/front/50dc6c495c0c9188"
)

// The service-level settings: today's defaults, and each one the spec can change.
func TestServiceSettings(t *testing.T) {
	def := render(t, testApp(t, "")).Service
	if !def.EnableECSManagedTags || def.EnableExecuteCommand || def.PropagateTags != types.PropagateTagsService || def.PlatformVersion != nil ||
		!def.DeploymentConfiguration.DeploymentCircuitBreaker.Enable || !def.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback ||
		aws.ToString(def.TaskDefinition) != "web" {
		t.Errorf("defaults changed: %+v", def)
	}
	app := testApp(t, "  family: legacy-web\n  exec: true\n  platformVersion: 1.4.0\n  managedTags: false\n  propagateTags: NONE\n  circuitBreaker: false\n")
	rd := render(t, app)
	svc := rd.Service
	cb := svc.DeploymentConfiguration.DeploymentCircuitBreaker
	if svc.EnableECSManagedTags || !svc.EnableExecuteCommand || svc.PropagateTags != types.PropagateTagsNone ||
		aws.ToString(svc.PlatformVersion) != "1.4.0" || cb.Enable || cb.Rollback {
		t.Errorf("service %+v, circuit breaker %+v", svc, cb)
	}
	if aws.ToString(rd.TaskDefinition.Family) != "legacy-web" || aws.ToString(svc.TaskDefinition) != "legacy-web" || Family(app) != "legacy-web" {
		t.Errorf("family: task definition %s, service %s", aws.ToString(rd.TaskDefinition.Family), aws.ToString(svc.TaskDefinition))
	}
	// The update carries them too (a service created before keeps none of its own).
	live := steadyLive(render(t, testApp(t, "")), td1)
	in := updateInput(rd, live, td2, false)
	if aws.ToBool(in.EnableECSManagedTags) || !aws.ToBool(in.EnableExecuteCommand) || in.PropagateTags != types.PropagateTagsNone ||
		aws.ToString(in.PlatformVersion) != "1.4.0" || in.DeploymentConfiguration.DeploymentCircuitBreaker.Enable {
		t.Errorf("update %+v", in)
	}
	// A version the spec stopped naming goes back to LATEST.
	live.PlatformVersion = aws.String("1.3.0")
	if in := updateInput(render(t, testApp(t, "")), live, td2, false); aws.ToString(in.PlatformVersion) != "LATEST" {
		t.Errorf("platform version %v", in.PlatformVersion)
	}
}

// autoscale.requests tracks the ALB's request count per target, labelled with the load
// balancer and the target group.
func TestRequestCountScaling(t *testing.T) {
	app := testApp(t, "  targetGroup: "+testTG+"\n  loadBalancer: "+testLB+"\nexpose: public\nautoscale: {min: 2, max: 8, cpu: 70, requests: 1000}\n")
	sc := render(t, app).Scaling
	if len(sc.Policies) != 2 {
		t.Fatalf("policies %d", len(sc.Policies))
	}
	p := sc.Policies[1]
	cfg := p.TargetTrackingScalingPolicyConfiguration
	spec := cfg.PredefinedMetricSpecification
	if aws.ToString(p.PolicyName) != "web-requests" || spec.PredefinedMetricType != aastypes.MetricTypeALBRequestCountPerTarget ||
		aws.ToString(spec.ResourceLabel) != "app/front/50dc6c495c0c9188/targetgroup/web/943f017f100becff" || aws.ToFloat64(cfg.TargetValue) != 1000 {
		t.Errorf("policy %s: %+v %+v", aws.ToString(p.PolicyName), spec, cfg)
	}
	if sc.Policies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel != nil {
		t.Error("the cpu policy has a resource label")
	}
}

// ecs.serviceConnect renders an enabled serviceConnectConfiguration: a client-only app has the
// namespace and no services; a service publishes a port name with its discovery name and
// alias; without the field there is none.
func TestServiceConnectRender(t *testing.T) {
	if c := render(t, testApp(t, "")).Service.ServiceConnectConfiguration; c != nil {
		t.Errorf("without the field: %+v", c)
	}
	c := render(t, testApp(t, "  serviceConnect: {namespace: shop}\n")).Service.ServiceConnectConfiguration
	if c == nil || !c.Enabled || aws.ToString(c.Namespace) != "shop" || c.Services != nil {
		t.Errorf("client only: %+v", c)
	}
	c = render(t, testApp(t, "  serviceConnect:\n    services:\n    - {port: http, clientAliases: [{port: 8080}]}\n")).Service.ServiceConnectConfiguration
	if c == nil || !c.Enabled || c.Namespace != nil || len(c.Services) != 1 {
		t.Fatalf("published: %+v", c)
	}
	s := c.Services[0]
	if aws.ToString(s.PortName) != "http" || s.DiscoveryName != nil || len(s.ClientAliases) != 1 ||
		aws.ToInt32(s.ClientAliases[0].Port) != 8080 || s.ClientAliases[0].DnsName != nil {
		t.Errorf("published service: %+v", s)
	}
}

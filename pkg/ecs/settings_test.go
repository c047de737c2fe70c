package ecs

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// settingsDrift names exactly the settings in which the live service differs from the spec,
// ignoring what the API adds or reorders, and the desired count under autoscale.
func TestSettingsDrift(t *testing.T) {
	cases := []struct {
		name  string
		extra string                   // spec lines for the render
		live  func(svc *types.Service) // how the live service departs from the same render
		want  string
	}{
		{name: "as rendered, API noise only", live: func(*types.Service) {}},
		{name: "desired count", live: func(s *types.Service) { s.DesiredCount = 5 }, want: "desiredCount"},
		{name: "desired count owned by autoscale", extra: "autoscale: {min: 2, max: 4, cpu: 60}\n",
			live: func(s *types.Service) { s.DesiredCount = 3 }},
		{name: "subnets", live: func(s *types.Service) {
			s.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
				Subnets: []string{"subnet-9"}, SecurityGroups: []string{"sg-1"}}}
		}, want: "networkConfiguration"},
		{name: "subnets in another order", live: func(s *types.Service) {
			s.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
				Subnets: []string{"subnet-2", "subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: types.AssignPublicIpDisabled}}
		}},
		{name: "maximum percent", live: func(s *types.Service) {
			dc := *s.DeploymentConfiguration
			dc.MaximumPercent = aws.Int32(150)
			s.DeploymentConfiguration = &dc
		}, want: "deploymentConfiguration"},
		{name: "a load balancer the spec does not have", live: func(s *types.Service) {
			s.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String("arn:tg"), ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)}}
		}, want: "loadBalancers"},
		{name: "a registry the spec does not have", live: func(s *types.Service) {
			s.ServiceRegistries = []types.ServiceRegistry{{RegistryArn: aws.String("arn:sd")}}
		}, want: "serviceRegistries"},
		{name: "a grace period of 0 is none", live: func(s *types.Service) { s.HealthCheckGracePeriodSeconds = aws.Int32(0) }},
		{name: "ECS Exec on by hand", live: func(s *types.Service) { s.EnableExecuteCommand = true }, want: "enableExecuteCommand"},
		{name: "ECS Exec as the spec says", extra: "  exec: true\n", live: func(*types.Service) {}},
		{name: "ECS Exec turned on in the spec", extra: "  exec: true\n", live: func(s *types.Service) { s.EnableExecuteCommand = false }, want: "enableExecuteCommand"},
		{name: "no platform version is LATEST", live: func(s *types.Service) { s.PlatformVersion = nil }},
		{name: "another platform version", live: func(s *types.Service) { s.PlatformVersion = aws.String("1.3.0") }, want: "platformVersion"},
		{name: "a pinned platform version", extra: "  platformVersion: 1.4.0\n", live: func(s *types.Service) { s.PlatformVersion = aws.String("LATEST") }, want: "platformVersion"},
		{name: "managed tags off by hand", live: func(s *types.Service) { s.EnableECSManagedTags = false }, want: "enableECSManagedTags"},
		{name: "managed tags off as the spec says", extra: "  managedTags: false\n", live: func(*types.Service) {}},
		{name: "tags propagated from elsewhere", live: func(s *types.Service) { s.PropagateTags = types.PropagateTagsTaskDefinition }, want: "propagateTags"},
		{name: "no propagation is NONE", extra: "  propagateTags: NONE\n", live: func(s *types.Service) { s.PropagateTags = "" }},
		{name: "circuit breaker turned off in the spec", extra: "  circuitBreaker: false\n", live: func(s *types.Service) {
			dc := *s.DeploymentConfiguration
			dc.DeploymentCircuitBreaker = &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}
			s.DeploymentConfiguration = &dc
		}, want: "deploymentConfiguration"},
		{name: "Service Connect as the spec says", extra: scSpec, live: func(*types.Service) {}},
		{name: "Service Connect turned on in the spec", extra: scSpec, live: func(s *types.Service) { s.Deployments[0].ServiceConnectConfiguration = nil },
			want: "serviceConnectConfiguration"},
		{name: "another client alias live", extra: scSpec, live: func(s *types.Service) {
			c := *s.Deployments[0].ServiceConnectConfiguration
			c.Services = []types.ServiceConnectService{{PortName: aws.String("http"), ClientAliases: []types.ServiceConnectClientAlias{{Port: aws.Int32(8080)}}}}
			s.Deployments[0].ServiceConnectConfiguration = &c
		}, want: "serviceConnectConfiguration"},
		{name: "Service Connect on by hand", live: func(s *types.Service) {
			s.Deployments[0].ServiceConnectConfiguration = &types.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String("shop")}
		}, want: "serviceConnectConfiguration"},
		{name: "Service Connect turned off is none", live: func(s *types.Service) {
			s.Deployments[0].ServiceConnectConfiguration = &types.ServiceConnectConfiguration{Enabled: false, Namespace: aws.String("shop")}
		}},
		{name: "only the PRIMARY deployment's Service Connect counts", extra: scSpec, live: func(s *types.Service) {
			s.Deployments = append(s.Deployments, types.Deployment{Id: aws.String("ecs-svc/0"), Status: aws.String("ACTIVE")})
		}},
		{name: "several", live: func(s *types.Service) {
			s.DesiredCount = 1
			s.ServiceRegistries = []types.ServiceRegistry{{RegistryArn: aws.String("arn:sd")}}
		}, want: "desiredCount,serviceRegistries"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := testApp(t, c.extra)
			rd := render(t, app)
			_, live := apiNoise(rd, td1)
			c.live(live)
			if got := strings.Join(settingsDrift(live, rd.Service, app), ","); got != c.want {
				t.Errorf("drift %q, want %q", got, c.want)
			}
		})
	}
}

// scSpec publishes the app's http port through Service Connect.
const scSpec = "  serviceConnect:\n    namespace: shop\n    services:\n    - {port: http, discoveryName: web, clientAliases: [{port: 80, dnsName: web.shop}]}\n"

// setSettings copies only the named settings; an empty list of load balancers or registries
// is sent as an empty list (which clears them), never as nil (which keeps them).
func TestSetSettings(t *testing.T) {
	from := &ecs.CreateServiceInput{
		DesiredCount:                  aws.Int32(3),
		NetworkConfiguration:          &types.NetworkConfiguration{},
		DeploymentConfiguration:       &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200)},
		HealthCheckGracePeriodSeconds: aws.Int32(30),
	}
	cases := []struct {
		keys  []string
		check func(in *ecs.UpdateServiceInput) bool
	}{
		{nil, func(in *ecs.UpdateServiceInput) bool {
			return in.DesiredCount == nil && in.NetworkConfiguration == nil && in.LoadBalancers == nil && in.ServiceRegistries == nil
		}},
		{[]string{"desiredCount"}, func(in *ecs.UpdateServiceInput) bool {
			return aws.ToInt32(in.DesiredCount) == 3 && in.DeploymentConfiguration == nil
		}},
		{[]string{"deploymentConfiguration", "healthCheckGracePeriodSeconds"}, func(in *ecs.UpdateServiceInput) bool {
			return aws.ToInt32(in.DeploymentConfiguration.MaximumPercent) == 200 && aws.ToInt32(in.HealthCheckGracePeriodSeconds) == 30 && in.DesiredCount == nil
		}},
		{[]string{"loadBalancers", "serviceRegistries"}, func(in *ecs.UpdateServiceInput) bool {
			return in.LoadBalancers != nil && len(in.LoadBalancers) == 0 && in.ServiceRegistries != nil && len(in.ServiceRegistries) == 0
		}},
		// ECS Exec reaches only tasks started after it changed: a new deployment is forced.
		{[]string{"enableExecuteCommand"}, func(in *ecs.UpdateServiceInput) bool {
			return in.EnableExecuteCommand != nil && !*in.EnableExecuteCommand && in.ForceNewDeployment
		}},
		// A version the spec does not name is LATEST (nil would keep the live one); no
		// propagation is NONE; managed tags are sent as false, not left out.
		{[]string{"platformVersion", "propagateTags", "enableECSManagedTags"}, func(in *ecs.UpdateServiceInput) bool {
			return aws.ToString(in.PlatformVersion) == "LATEST" && in.PropagateTags == types.PropagateTagsNone &&
				in.EnableECSManagedTags != nil && !*in.EnableECSManagedTags && !in.ForceNewDeployment
		}},
		// Service Connect the spec no longer has is sent turned off, not left out (which keeps it).
		{[]string{"serviceConnectConfiguration"}, func(in *ecs.UpdateServiceInput) bool {
			return in.ServiceConnectConfiguration != nil && !in.ServiceConnectConfiguration.Enabled && in.ServiceConnectConfiguration.Namespace == nil
		}},
	}
	for _, c := range cases {
		in := &ecs.UpdateServiceInput{}
		setSettings(in, c.keys, from)
		if !c.check(in) {
			t.Errorf("setSettings(%v): %+v", c.keys, in)
		}
	}
}

// settingNames reads as a list of what changed, in settingKeys' order.
func TestSettingNames(t *testing.T) {
	if got := settingNames([]string{"desiredCount", "loadBalancers"}); got != "desired count, load balancers" {
		t.Errorf("got %q", got)
	}
	for _, k := range settingKeys {
		if settingName[k] == "" {
			t.Errorf("setting %s has no name for messages", k)
		}
	}
}

// withTag replaces a key's value rather than adding a second tag with the key.
func TestWithTag(t *testing.T) {
	tags := []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String(PreviousTag), Value: aws.String("web:1")}}
	got := withTag(tags, PreviousTag, "web:2")
	var keys []string
	for _, t := range got {
		keys = append(keys, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	if !slices.Equal(keys, []string{"a=1", PreviousTag + "=web:2"}) {
		t.Errorf("got %v", keys)
	}
	if tagValue(got, PreviousTag) != "web:2" || tagValue(got, "missing") != "" {
		t.Errorf("tagValue on %v", keys)
	}
	if !sameTags(got, got[:1]) || sameTags(got[:1], got) {
		t.Error("sameTags is whether the second list is contained in the first")
	}
}

// updateInput sends the spec's Service Connect, turns off one the spec no longer has, and
// leaves the field out when neither side has any.
func TestUpdateInputServiceConnect(t *testing.T) {
	on, off := testApp(t, scSpec), testApp(t, "")
	rdOn, rdOff := render(t, on), render(t, off)
	_, liveOn := apiNoise(rdOn, td1)
	_, liveOff := apiNoise(rdOff, td1)
	if in := updateInput(rdOn, liveOff, td1, false); in.ServiceConnectConfiguration == nil || !in.ServiceConnectConfiguration.Enabled ||
		aws.ToString(in.ServiceConnectConfiguration.Namespace) != "shop" || aws.ToString(in.ServiceConnectConfiguration.Services[0].PortName) != "http" {
		t.Errorf("turning it on: %+v", in.ServiceConnectConfiguration)
	}
	if in := updateInput(rdOff, liveOn, td1, false); in.ServiceConnectConfiguration == nil || in.ServiceConnectConfiguration.Enabled {
		t.Errorf("turning it off: %+v", in.ServiceConnectConfiguration)
	}
	if in := updateInput(rdOff, liveOff, td1, false); in.ServiceConnectConfiguration != nil {
		t.Errorf("neither side has it: %+v", in.ServiceConnectConfiguration)
	}
}

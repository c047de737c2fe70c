package importer

// The service in neutral fields: the cluster, replicas, network, rollout, load balancer,
// capacity, ECS Exec, tags and Service Connect. What the spec cannot say is written as an
// override when a deploy keeps it (pkg/ecs's overridable service settings), else lost.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shipit-dev/shipit/pkg/spec"
)

var targetGroupARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/.+$`)

// service maps the service's settings.
func (m *ecsMapper) service() {
	s, app := m.svc, m.app
	if c := aws.ToString(s.Cluster); c != "" {
		if c = c[strings.LastIndex(c, "/")+1:]; c != spec.DefaultCluster {
			app.ECS.Cluster = c
		}
	}
	if _, set := m.src.svc["desiredCount"]; set {
		n := int(aws.ToInt32(s.DesiredCount))
		app.Replicas = &n
	}
	switch {
	case len(s.CapacityProviderStrategy) == 1 && aws.ToString(s.CapacityProviderStrategy[0].CapacityProvider) == "FARGATE_SPOT" &&
		s.CapacityProviderStrategy[0].Base == 0 && s.CapacityProviderStrategy[0].Weight == 1:
		app.ECS.Capacity = "FARGATE_SPOT"
	case len(s.CapacityProviderStrategy) > 0:
		for _, p := range s.CapacityProviderStrategy {
			app.ECS.CapacityProviders = append(app.ECS.CapacityProviders, spec.CapacityProvider{
				Name: aws.ToString(p.CapacityProvider), Base: int(p.Base), Weight: int(p.Weight)})
		}
	case s.LaunchType == "":
		m.notes = append(m.notes, "The original service names no launch type (the cluster's default capacity provider strategy, else EC2): this spec runs FARGATE.")
	}
	if v := aws.ToString(s.PlatformVersion); v != "" && v != "LATEST" {
		app.ECS.PlatformVersion = v
	}
	if nc := s.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		av := nc.AwsvpcConfiguration
		if !slices.ContainsFunc(av.Subnets, func(x string) bool { return !strings.HasPrefix(x, "subnet-") }) {
			app.ECS.Subnets = av.Subnets
		}
		if !slices.ContainsFunc(av.SecurityGroups, func(x string) bool { return !strings.HasPrefix(x, "sg-") }) {
			app.ECS.SecurityGroups = av.SecurityGroups
		}
		app.ECS.AssignPublicIP = av.AssignPublicIp == types.AssignPublicIpEnabled
	}
	m.rollout()
	m.loadBalancer()
	app.ECS.Exec = s.EnableExecuteCommand
	if !s.EnableECSManagedTags {
		f := false
		app.ECS.ManagedTags = &f
	}
	switch s.PropagateTags {
	case "", types.PropagateTagsNone:
		app.ECS.PropagateTags = string(types.PropagateTagsNone)
	case types.PropagateTagsTaskDefinition:
		app.ECS.PropagateTags = string(s.PropagateTags)
	}
	m.serviceConnect()
}

// rollout maps the deployment configuration: maximumPercent is 100 + maxSurge,
// minimumHealthyPercent is 100 - maxUnavailable, and ECS's circuit breaker (off unless the
// service turns it on) is ecs.circuitBreaker, its rollback rollout.autoRollback.
func (m *ecsMapper) rollout() {
	app := m.app
	dc := m.svc.DeploymentConfiguration
	maxP, minP := int32(200), int32(100)
	var cb *types.DeploymentCircuitBreaker
	if dc != nil {
		if dc.MaximumPercent != nil {
			maxP = *dc.MaximumPercent
		}
		if dc.MinimumHealthyPercent != nil {
			minP = *dc.MinimumHealthyPercent
		}
		cb = dc.DeploymentCircuitBreaker
	}
	surge, unavailable := int(maxP)-100, 100-int(minP)
	if surge >= 0 && surge <= 100 && unavailable >= 0 && unavailable <= 100 && surge+unavailable > 0 {
		if surge != 100 {
			app.Rollout.MaxSurge = fmt.Sprintf("%d%%", surge)
		}
		if unavailable != 0 {
			app.Rollout.MaxUnavailable = fmt.Sprintf("%d%%", unavailable)
		}
	}
	f := false
	switch {
	case cb == nil || !cb.Enable:
		app.ECS.CircuitBreaker = &f
	case !cb.Rollback:
		app.Rollout.AutoRollback = &f
	}
}

// loadBalancer maps one target group in front of the app container's port as ecs.targetGroup
// (that port first, as the render sends the load balancer to the first exposed port). Other
// load balancers are left to the override.
func (m *ecsMapper) loadBalancer() {
	app := m.app
	lbs := m.svc.LoadBalancers
	if len(lbs) != 1 {
		return
	}
	lb := lbs[0]
	tg := aws.ToString(lb.TargetGroupArn)
	if !targetGroupARNRe.MatchString(tg) || aws.ToString(lb.ContainerName) != app.MainContainer() || lb.ContainerPort == nil {
		return
	}
	i := slices.IndexFunc(app.Ports, func(p spec.Port) bool { return p.Port == int(*lb.ContainerPort) })
	if i < 0 {
		return
	}
	p := app.Ports[i]
	app.Ports = append([]spec.Port{p}, slices.Delete(app.Ports, i, i+1)...)
	app.ECS.TargetGroup = tg
	app.Expose = "internal"
	m.notes = append(m.notes, "expose: internal for the load balancer's target group; if the load balancer faces the internet, say expose: public so that Kubernetes publishes the app too.")
}

// serviceConnect maps Service Connect: the namespace and each published port with its
// discovery name and client alias; timeouts, TLS and the proxy's logs are left to the
// override.
func (m *ecsMapper) serviceConnect() {
	c := m.svc.ServiceConnectConfiguration
	if c == nil || !c.Enabled {
		return
	}
	sc := &spec.ServiceConnect{Namespace: aws.ToString(c.Namespace)}
	for _, s := range c.Services {
		out := spec.ServiceConnectService{Port: aws.ToString(s.PortName), DiscoveryName: aws.ToString(s.DiscoveryName)}
		for _, a := range s.ClientAliases {
			out.ClientAliases = append(out.ClientAliases, spec.ClientAlias{Port: int(aws.ToInt32(a.Port)), DNSName: aws.ToString(a.DnsName)})
		}
		sc.Services = append(sc.Services, out)
	}
	m.app.ECS.ServiceConnect = sc
}

// tags maps the tags the task definition and the service share as labels; a tag that is not a
// label on both targets, or that only one of them has, is carried by an override (task
// definition) or listed as lost (service, whose tags a deploy sets from labels only). shipit's
// own tags are bookkeeping and dropped; aws: tags are AWS's own.
func (m *ecsMapper) tags() {
	read := func(l []any) map[string]string {
		out := map[string]string{}
		for _, t := range l {
			tm, _ := t.(map[string]any)
			k, _ := tm["key"].(string)
			v, _ := tm["value"].(string)
			if k == "managed-by" && v == spec.ManagedBy || strings.HasPrefix(k, "shipit.dev/") {
				continue
			}
			out[k] = v
		}
		return out
	}
	td := read(m.src.tdTags)
	var svc map[string]string
	if m.src.svc != nil {
		svc = read(list(m.src.svc["tags"]))
	}
	label := func(k, v string) bool {
		return !strings.HasPrefix(strings.ToLower(k), "aws:") && len(validation.IsQualifiedName(k)) == 0 && len(validation.IsValidLabelValue(v)) == 0
	}
	labels := map[string]string{}
	for _, k := range union(td, svc) {
		tv, inTD := td[k]
		sv, inSvc := svc[k]
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			m.lose("tags."+k, "set by AWS (aws: tags are reserved): not a setting of the app")
		case inTD && inSvc && tv != sv:
			m.tdTagOverrides = append(m.tdTagOverrides, spec.Override{Path: "taskDefinition.tags[-]", Value: map[string]any{"key": k, "value": tv}})
			m.lose("service.tags."+k, "annotations: the service's value differs from the task definition's, and labels give both one value")
		case inTD && label(k, tv):
			labels[k] = tv
		case !inTD && label(k, sv):
			labels[k] = sv
		default:
			if inTD {
				m.tdTagOverrides = append(m.tdTagOverrides, spec.Override{Path: "taskDefinition.tags[-]", Value: map[string]any{"key": k, "value": tv}})
			}
			if inSvc {
				m.lose("service.tags."+k, "annotations: not a label on both targets, and a deploy tags the service with labels only")
			}
		}
	}
	if len(labels) > 0 {
		m.app.Labels = labels
	}
}

// This file holds the service settings a deploy sets besides the task definition: which ones
// differ from the spec, and the UpdateService inputs that set them. It is pure (no API call).

package ecs

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// settingKeys are the service settings a deploy sets besides the task definition, by their
// names in the rendered service.json. The capacity (launch type or capacity provider
// strategy) is not among them: UpdateService cannot move a service back to a launch type.
var settingKeys = []string{"desiredCount", "networkConfiguration", "deploymentConfiguration",
	"healthCheckGracePeriodSeconds", "loadBalancers", "serviceRegistries",
	"enableExecuteCommand", "platformVersion", "enableECSManagedTags", "propagateTags", "serviceConnectConfiguration"}

var settingName = map[string]string{
	"desiredCount": "desired count", "networkConfiguration": "network configuration",
	"deploymentConfiguration": "deployment configuration", "healthCheckGracePeriodSeconds": "health check grace period",
	"loadBalancers": "load balancers", "serviceRegistries": "Cloud Map registries",
	"enableExecuteCommand": "ECS Exec", "platformVersion": "platform version",
	"enableECSManagedTags": "ECS-managed tags", "propagateTags": "tag propagation",
	"serviceConnectConfiguration": "Service Connect",
}

func settingNames(keys []string) string {
	var out []string
	for _, k := range keys {
		out = append(out, settingName[k])
	}
	return strings.Join(out, ", ")
}

// settingsDrift lists the settings (settingKeys) in which a live service differs from a
// CreateService input, compared as diff compares them (normalised; the desired count not
// with autoscale, which owns it).
func settingsDrift(live *types.Service, want *ecs.CreateServiceInput, app *spec.App) []string {
	have, _ := normalizeService(awsjson.Value(createInput(live, app)), app).(map[string]any)
	wanted, _ := normalizeService(awsjson.Value(want), app).(map[string]any)
	var keys []string
	for _, k := range settingKeys {
		if docText(have[k]) != docText(wanted[k]) {
			keys = append(keys, k)
		}
	}
	return keys
}

// setSettings copies the given settings from a CreateService input into an UpdateService
// input; an empty list clears load balancers or registries.
func setSettings(in *ecs.UpdateServiceInput, keys []string, from *ecs.CreateServiceInput) {
	for _, k := range keys {
		switch k {
		case "desiredCount":
			in.DesiredCount = from.DesiredCount
		case "networkConfiguration":
			in.NetworkConfiguration = from.NetworkConfiguration
		case "deploymentConfiguration":
			in.DeploymentConfiguration = from.DeploymentConfiguration
		case "healthCheckGracePeriodSeconds":
			in.HealthCheckGracePeriodSeconds = from.HealthCheckGracePeriodSeconds
		case "loadBalancers":
			in.LoadBalancers = append([]types.LoadBalancer{}, from.LoadBalancers...)
		case "serviceRegistries":
			in.ServiceRegistries = append([]types.ServiceRegistry{}, from.ServiceRegistries...)
		case "enableExecuteCommand":
			in.EnableExecuteCommand = aws.Bool(from.EnableExecuteCommand)
			// Running tasks keep the setting they started with: only new ones get it.
			in.ForceNewDeployment = true
		case "platformVersion":
			in.PlatformVersion = platformVersion(from.PlatformVersion)
		case "enableECSManagedTags":
			in.EnableECSManagedTags = aws.Bool(from.EnableECSManagedTags)
		case "serviceConnectConfiguration":
			in.ServiceConnectConfiguration = serviceConnectOrOff(from.ServiceConnectConfiguration)
		case "propagateTags":
			in.PropagateTags = from.PropagateTags
			if in.PropagateTags == "" {
				in.PropagateTags = types.PropagateTagsNone
			}
		}
	}
}

// platformVersion is the version to send: an unset one is LATEST, which is what ECS takes
// when CreateService names none (UpdateService without one keeps the live version).
func platformVersion(v *string) *string {
	if aws.ToString(v) == "" {
		return aws.String("LATEST")
	}
	return v
}

// serviceConnectOrOff is the Service Connect configuration to send: without one in the spec
// it is turned off (nil would keep the live one).
func serviceConnectOrOff(c *types.ServiceConnectConfiguration) *types.ServiceConnectConfiguration {
	if c == nil {
		return &types.ServiceConnectConfiguration{Enabled: false}
	}
	return c
}

// liveServiceConnect is the Service Connect configuration a live service runs: ECS keeps it
// per deployment, so it is the PRIMARY deployment's (nil when none is).
func liveServiceConnect(svc *types.Service) *types.ServiceConnectConfiguration {
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d.ServiceConnectConfiguration
		}
	}
	return nil
}

// updateInput turns the rendered CreateService input into an UpdateService input for the live
// service. With autoscaling the live desired count is kept: the scaler owns it.
func updateInput(rd *Rendered, live *types.Service, tdArn string, autoscale bool) *ecs.UpdateServiceInput {
	c := rd.Service
	in := &ecs.UpdateServiceInput{
		Cluster:                       c.Cluster,
		Service:                       c.ServiceName,
		TaskDefinition:                aws.String(tdArn),
		NetworkConfiguration:          c.NetworkConfiguration,
		DeploymentConfiguration:       c.DeploymentConfiguration,
		HealthCheckGracePeriodSeconds: c.HealthCheckGracePeriodSeconds,
		LoadBalancers:                 c.LoadBalancers,
		ServiceRegistries:             c.ServiceRegistries,
		EnableECSManagedTags:          aws.Bool(c.EnableECSManagedTags),
		EnableExecuteCommand:          aws.Bool(c.EnableExecuteCommand),
		PropagateTags:                 c.PropagateTags,
		CapacityProviderStrategy:      c.CapacityProviderStrategy,
	}
	if !autoscale {
		in.DesiredCount = c.DesiredCount
	}
	// Service Connect the spec no longer has is turned off (nil would keep it).
	if c.ServiceConnectConfiguration != nil || liveServiceConnect(live) != nil {
		in.ServiceConnectConfiguration = serviceConnectOrOff(c.ServiceConnectConfiguration)
	}
	// A version the spec no longer names goes back to LATEST (nil would keep it).
	if aws.ToString(live.PlatformVersion) != "" || c.PlatformVersion != nil {
		in.PlatformVersion = platformVersion(c.PlatformVersion)
	}
	// Moving a service from a launch type to a capacity provider strategy needs a new
	// deployment forced; there is one anyway, ECS only wants it said.
	if len(c.CapacityProviderStrategy) > 0 && live.LaunchType != "" {
		in.ForceNewDeployment = true
	}
	return in
}

// withTag is tags with key set to value.
func withTag(tags []types.Tag, key, value string) []types.Tag {
	out := make([]types.Tag, 0, len(tags)+1)
	for _, t := range tags {
		if aws.ToString(t.Key) != key {
			out = append(out, t)
		}
	}
	return append(out, types.Tag{Key: aws.String(key), Value: aws.String(value)})
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func sameTags(a, b []types.Tag) bool {
	m := map[string]string{}
	for _, t := range a {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for _, t := range b {
		if v, ok := m[aws.ToString(t.Key)]; !ok || v != aws.ToString(t.Value) {
			return false
		}
	}
	return true
}

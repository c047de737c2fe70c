package ecs

// Task definition settings beyond the basics: container ulimits, the App Mesh proxy
// configuration and the log driver's secret options. Rendering is pure, like render.go.

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// ulimits are a container's ECS ulimits (validation keeps them within int32).
func ulimits(us []spec.Ulimit) []types.Ulimit {
	var out []types.Ulimit
	for _, u := range us {
		out = append(out, types.Ulimit{Name: types.UlimitName(u.Name), SoftLimit: int32(u.Soft), HardLimit: int32(u.Hard)})
	}
	return out
}

// proxyConfiguration is the task's App Mesh proxy (ecs.proxy), its properties sorted by name.
// An empty value is kept: ECS stores it as written (IgnoredGID: "" beside an IgnoredUID).
func proxyConfiguration(p *spec.Proxy) *types.ProxyConfiguration {
	if p == nil {
		return nil
	}
	pc := &types.ProxyConfiguration{Type: types.ProxyConfigurationTypeAppmesh, ContainerName: aws.String(p.Container)}
	for _, k := range slices.Sorted(maps.Keys(p.Properties)) {
		pc.Properties = append(pc.Properties, types.KeyValuePair{Name: aws.String(k), Value: aws.String(p.Properties[k])})
	}
	return pc
}

// logDriverConfiguration is ecs.logDriver as a container's log configuration: its options,
// and its secret options as references ECS resolves when the task starts.
func logDriverConfiguration(d *spec.LogDriver) *types.LogConfiguration {
	return &types.LogConfiguration{LogDriver: types.LogDriver(d.Name), Options: maps.Clone(d.Options), SecretOptions: secrets(d.SecretOptions)}
}

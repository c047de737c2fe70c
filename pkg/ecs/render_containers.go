package ecs

// The task definition's containers: sidecars and init containers, volumes, requests, security,
// health checks, env and secrets. Rendering is pure, like the rest of render.go.

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// sidecarContainer is a sidecar's (or an init container's) container definition.
func sidecarContainer(s spec.Sidecar, logs *types.LogConfiguration) types.ContainerDefinition {
	c := types.ContainerDefinition{
		Name:             aws.String(s.Name),
		Image:            aws.String(s.Image),
		Essential:        s.Essential,
		EntryPoint:       s.Command,
		Command:          s.Args,
		Environment:      environment(s.Env),
		LogConfiguration: logs,
		HealthCheck:      healthCheck(s.Health),
	}
	// A sidecar without a size shares the task's (ECS allows it on Fargate).
	if s.CPU != "" {
		c.Cpu = int32(spec.CPUUnits(s.CPUMillis()))
	}
	if s.Memory != "" {
		c.Memory = aws.Int32(int32(s.MemoryMiB()))
	}
	applyRequests(&c, s.Requests)
	applySecurity(&c, s.Security)
	if f := s.FireLens; f != nil {
		c.FirelensConfiguration = &types.FirelensConfiguration{Type: types.FirelensConfigurationType(f.Type), Options: maps.Clone(f.Options)}
	}
	for _, m := range s.Mounts {
		c.MountPoints = append(c.MountPoints, types.MountPoint{
			SourceVolume: aws.String(m.Volume), ContainerPath: aws.String(m.Path), ReadOnly: aws.Bool(m.ReadOnly),
		})
	}
	for _, p := range s.Ports {
		c.PortMappings = append(c.PortMappings, types.PortMapping{
			Name: aws.String(p.Name), ContainerPort: aws.Int32(int32(p.Port)), Protocol: types.TransportProtocol(p.Protocol),
		})
	}
	for _, d := range s.DependsOn {
		c.DependsOn = append(c.DependsOn, types.ContainerDependency{ContainerName: aws.String(d.Container), Condition: types.ContainerCondition(d.Condition)})
	}
	if s.ECS != nil {
		c.Ulimits = ulimits(s.ECS.Ulimits)
	}
	return c
}

// volume is one task volume: EFS, or a scratch directory (a bind volume without a host path,
// which lives on the task's ephemeral storage). Validation keeps Kubernetes-only sources away.
func volume(v spec.Volume) types.Volume {
	out := types.Volume{Name: aws.String(v.Name)}
	if v.EFS != nil {
		out.EfsVolumeConfiguration = &types.EFSVolumeConfiguration{
			FileSystemId: aws.String(v.EFS.FileSystem),
			// In transit encryption is required with access points and costs nothing; it is
			// off only when the spec says so (validation keeps access points encrypted).
			TransitEncryption: types.EFSTransitEncryptionEnabled,
		}
		if !v.EFS.Encrypted() {
			out.EfsVolumeConfiguration.TransitEncryption = types.EFSTransitEncryptionDisabled
		}
		if v.EFS.AccessPoint != "" {
			out.EfsVolumeConfiguration.AuthorizationConfig = &types.EFSAuthorizationConfig{
				AccessPointId: aws.String(v.EFS.AccessPoint), Iam: types.EFSAuthorizationConfigIAMEnabled,
			}
		}
	}
	return out
}

// applyRequests: ECS's container cpu is a guaranteed share of the task (a request), and
// memoryReservation is soft memory; the hard limit stays in memory.
func applyRequests(c *types.ContainerDefinition, r *spec.Requests) {
	if r == nil {
		return
	}
	if r.CPU != "" {
		n, _ := spec.ParseCPURequest(r.CPU)
		c.Cpu = int32(spec.CPUUnits(n))
	}
	if r.Memory != "" {
		n, _ := spec.ParseMemory(r.Memory)
		c.MemoryReservation = aws.Int32(int32(n))
	}
}

// applySecurity maps the neutral security settings to ECS's user ("uid" or "uid:gid"),
// readonlyRootFilesystem and linuxParameters.capabilities. runAsNonRoot has no ECS field
// (validation warns).
func applySecurity(c *types.ContainerDefinition, s *spec.Security) {
	if s == nil {
		return
	}
	if s.RunAsUser != nil {
		user := fmt.Sprint(*s.RunAsUser)
		if s.RunAsGroup != nil {
			user += fmt.Sprintf(":%d", *s.RunAsGroup)
		}
		c.User = aws.String(user)
	}
	c.ReadonlyRootFilesystem = s.ReadOnlyRootFilesystem
	if caps := s.Capabilities; caps != nil && (len(caps.Add) > 0 || len(caps.Drop) > 0) {
		c.LinuxParameters = &types.LinuxParameters{Capabilities: &types.KernelCapabilities{Add: caps.Add, Drop: caps.Drop}}
	}
}

func healthCheck(health *spec.Health) *types.HealthCheck {
	// An HTTP path is checked by the load balancer; ECS's container check runs a command.
	h := health.ECSCheck()
	if h == nil {
		return nil
	}
	hc := &types.HealthCheck{
		Command:  append([]string{"CMD"}, h.Command...),
		Interval: aws.Int32(int32(spec.Seconds(h.Interval))),
		Timeout:  aws.Int32(int32(spec.Seconds(h.Timeout))),
		Retries:  aws.Int32(int32(h.Failures)),
	}
	// ECS has no startup check: grace, or the window health.startup allows, is the period
	// in which failures do not count.
	if w := health.StartupWindow(); w > 0 {
		hc.StartPeriod = aws.Int32(int32(w))
	}
	return hc
}

func environment(env map[string]string) []types.KeyValuePair {
	var out []types.KeyValuePair
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, types.KeyValuePair{Name: aws.String(k), Value: aws.String(env[k])})
	}
	return out
}

func secrets(refs map[string]string) []types.Secret {
	var out []types.Secret
	for _, k := range slices.Sorted(maps.Keys(refs)) {
		out = append(out, types.Secret{Name: aws.String(k), ValueFrom: aws.String(refs[k])})
	}
	return out
}

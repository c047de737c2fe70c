// This file renders a spec into the exact aws-sdk-go-v2 inputs that deploy sends; rendering
// is pure and needs no network.

package ecs

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// Rendered is everything one deploy sends to AWS for an app.
type Rendered struct {
	TaskDefinition *ecs.RegisterTaskDefinitionInput
	Service        *ecs.CreateServiceInput
	Scaling        *Scaling // nil without autoscale
	LogGroup       string
	LogRetention   int32 // days
	Hash           string
}

// Scaling is the Application Auto Scaling target and its target-tracking policies.
type Scaling struct {
	Target   *aas.RegisterScalableTargetInput
	Policies []*aas.PutScalingPolicyInput
}

// RenderOptions are inputs that are not in the spec.
type RenderOptions struct {
	// Region is the region the app runs in, for awslogs: --region, or at deploy time the
	// session's region (already --region, else ecs.region, else the SDK's chain). It beats
	// ecs.region, as --region does everywhere (docs/architecture.md, "Access").
	Region string
	// DefaultRegion is used when neither Region nor ecs.region names one (AWS_REGION for an
	// offline render, a stand-in for validate).
	DefaultRegion string
}

// RegionOf is the region an app is rendered for: the flag's (opts.Region), else ecs.region,
// else opts.DefaultRegion.
func RegionOf(app *spec.App, opts RenderOptions) string {
	for _, r := range []string{opts.Region, app.ECS.Region, opts.DefaultRegion} {
		if r != "" {
			return r
		}
	}
	return ""
}

// Tags shipit keeps for its own bookkeeping, beside managed-by and the spec hash.
const (
	// ClusterTag on a task definition revision names the cluster it was registered for. A
	// family is shared by every cluster of an account and region (an app's staging and
	// production register revisions of the same family), so rollback and destroy only take
	// the revisions of their own cluster.
	ClusterTag = "shipit.dev/cluster"
	// PreviousTag on a service names the revision (family:rev) it ran before shipit's last
	// deploy changed it: what rollback returns to by default.
	PreviousTag = "shipit.dev/previous-revision"
)

// LogGroupName is where an app's containers log: ecs.logGroup, else /ecs/<name>.
func LogGroupName(app *spec.App) string {
	if app.ECS.LogGroup != "" {
		return app.ECS.LogGroup
	}
	return "/ecs/" + app.Name
}

// Family is the app's task definition family: ecs.family, else the app's name. Every place
// that names the family (render, deploy, revisions, rollback, status, destroy) asks here.
func Family(app *spec.App) string {
	if app.ECS.Family != "" {
		return app.ECS.Family
	}
	return app.Name
}

// ServiceName is the app's ECS service: ecs.serviceName, else the app's name. Every call
// that names the service (create, update, describe, tasks, scaling, rollback, destroy) asks
// here; the log group, the Cloud Map name and the scaling policies keep the app's name.
func ServiceName(app *spec.App) string {
	if app.ECS.ServiceName != "" {
		return app.ECS.ServiceName
	}
	return app.Name
}

// Render maps a validated spec to the inputs of the ECS API calls.
func Render(app *spec.App, opts RenderOptions) (*Rendered, error) {
	region := RegionOf(app, opts)
	if region == "" {
		return nil, spec.Errors{{File: app.Source.File, Field: "ecs.region", Target: spec.TargetECS,
			Message: "unknown: awslogs needs the region", Fix: "set ecs.region, pass --region or set AWS_REGION"}}
	}
	hash := app.HashFor(spec.TargetECS)
	tags := tagList(app, hash, nil)
	r := &Rendered{
		LogGroup:     LogGroupName(app),
		LogRetention: int32(app.LogRetentionDays()),
		Hash:         hash,
	}
	r.TaskDefinition = taskDefinition(app, region, tagList(app, hash, map[string]string{ClusterTag: app.ECS.Cluster}))
	r.Service = service(app, tags)
	if err := applyOverrides(app, r); err != nil {
		return nil, err
	}
	if err := checkTaskDefinitionSize(app, r.TaskDefinition); err != nil {
		return nil, err
	}
	if app.Autoscale != nil {
		r.Scaling = scaling(app, hash)
	}
	return r, nil
}

// maxTaskDefinitionBytes is ECS's limit on a task definition: "Task definition size: 64 KiB"
// (ECS service quotas, not adjustable). RegisterTaskDefinition refuses a larger one.
const maxTaskDefinitionBytes = 64 << 10

// checkTaskDefinitionSize refuses, before anything is sent, a task definition ECS would refuse
// for its size. It measures the compact JSON of the request, as the API receives it.
func checkTaskDefinitionSize(app *spec.App, td *ecs.RegisterTaskDefinitionInput) error {
	b, err := json.Marshal(awsjson.Value(td))
	if err != nil || len(b) <= maxTaskDefinitionBytes {
		return nil
	}
	return spec.Errors{{File: app.Source.File, Line: 1, Column: 1, Target: spec.TargetECS,
		Message: fmt.Sprintf("the task definition would be %.1f KiB; ECS takes at most 64 KiB", float64(len(b))/1024),
		Fix:     "move large values out of env: (into secrets: or a file the image reads) or shorten command and args"}}
}

func taskDefinition(app *spec.App, region string, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	router := func(name string) bool {
		for _, s := range app.Sidecars {
			if s.Name == name && s.FireLens != nil {
				return true
			}
		}
		return false
	}
	logs := func(prefix string) *types.LogConfiguration {
		// ecs.logDriver for every container but the FireLens router, which logs its own
		// output to awslogs (it cannot route itself).
		if d := app.ECS.LogDriver; d != nil && !router(prefix) {
			return logDriverConfiguration(d)
		}
		if app.ECS.LogStreamPrefix != "" {
			prefix = app.ECS.LogStreamPrefix
		}
		opts := maps.Clone(app.ECS.LogOptions)
		if opts == nil {
			opts = map[string]string{}
		}
		opts["awslogs-group"], opts["awslogs-region"], opts["awslogs-stream-prefix"] = LogGroupName(app), region, prefix
		return &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: opts}
	}
	_, mainMem := app.MainLimits()
	main := types.ContainerDefinition{
		Name:             aws.String(app.MainContainer()),
		Image:            aws.String(app.Image),
		Essential:        aws.Bool(true),
		EntryPoint:       app.Command,
		Command:          app.Args,
		Cpu:              int32(spec.CPUUnits(app.MainCPUMillis())),
		Memory:           aws.Int32(int32(mainMem)),
		DockerLabels:     maps.Clone(app.ECS.DockerLabels),
		Environment:      environment(app.Env),
		Secrets:          secrets(app.Secrets),
		LogConfiguration: logs(app.MainContainer()),
		HealthCheck:      healthCheck(app.Health),
	}
	for _, d := range app.DependsOn {
		main.DependsOn = append(main.DependsOn, types.ContainerDependency{ContainerName: aws.String(d.Container), Condition: types.ContainerCondition(d.Condition)})
	}
	applyRequests(&main, app.Requests)
	applySecurity(&main, app.Security)
	main.Ulimits = ulimits(app.ECS.Ulimits)
	for _, p := range app.Ports {
		main.PortMappings = append(main.PortMappings, types.PortMapping{
			Name:          aws.String(p.Name),
			ContainerPort: aws.Int32(int32(p.Port)),
			Protocol:      types.TransportProtocol(p.Protocol),
		})
	}
	var volumes []types.Volume
	for _, v := range app.Volumes {
		if v.Path != "" {
			main.MountPoints = append(main.MountPoints, types.MountPoint{
				SourceVolume: aws.String(v.Name), ContainerPath: aws.String(v.Path), ReadOnly: aws.Bool(v.ReadOnly),
			})
		}
		volumes = append(volumes, volume(v))
	}
	containers := []types.ContainerDefinition{main}

	for _, s := range app.Sidecars {
		containers = append(containers, sidecarContainer(s, logs(s.Name)))
	}
	// Init containers: non-essential, and every other container waits for their success.
	for _, s := range app.Init {
		for i := range containers {
			containers[i].DependsOn = append(containers[i].DependsOn, types.ContainerDependency{
				ContainerName: aws.String(s.Name), Condition: types.ContainerConditionSuccess})
		}
	}
	for _, s := range app.Init {
		containers = append(containers, sidecarContainer(s, logs(s.Name)))
	}
	if app.StopGrace != "" {
		// Every container's stopTimeout (validation bounds it to Fargate's 120 s).
		for i := range containers {
			containers[i].StopTimeout = aws.Int32(int32(spec.Seconds(app.StopGrace)))
		}
	}
	td := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(Family(app)),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String(fmt.Sprint(spec.CPUUnits(app.CPUMillis()))),
		Memory:                  aws.String(fmt.Sprint(app.MemoryMiB())),
		ContainerDefinitions:    containers,
		Volumes:                 volumes,
		ProxyConfiguration:      proxyConfiguration(app.ECS.Proxy),
		Tags:                    tags,
	}
	if arch := app.ECS.Architecture; arch != "" {
		td.RuntimePlatform = &types.RuntimePlatform{CpuArchitecture: types.CPUArchitecture(arch), OperatingSystemFamily: types.OSFamilyLinux}
	}
	if es := app.ECS.EphemeralStorage; es != "" {
		n, _ := spec.ParseMemory(es)
		td.EphemeralStorage = &types.EphemeralStorage{SizeInGiB: int32(n / 1024)}
	}
	if app.ECS.ExecutionRole != "" {
		td.ExecutionRoleArn = aws.String(app.ECS.ExecutionRole)
	}
	if app.Role != "" {
		td.TaskRoleArn = aws.String(app.Role)
	}
	return td
}

// tagList is the app's labels plus shipit's own tags (and extra ones), sorted by key.
func tagList(app *spec.App, hash string, extra map[string]string) []types.Tag {
	m := map[string]string{"managed-by": spec.ManagedBy, spec.HashAnnotation: hash}
	for k, v := range app.Labels {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

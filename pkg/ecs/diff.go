package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Diff compares the render (images pinned as deploy would pin them) with what is live: the task
// definition the service runs, the service's settings, the autoscaling and the log group.
// Both sides are normalised first, so API-side defaults and ordering are not differences.
func (s *Session) Diff(ctx context.Context, app *spec.App) (*target.DiffResult, error) {
	rd, err := Render(app, RenderOptions{Region: s.region})
	if err != nil {
		return nil, err
	}
	if _, err := s.pinImages(ctx, rd.TaskDefinition.ContainerDefinitions); err != nil {
		return nil, err
	}
	if wantsDiscovery(app) {
		// The registry exists once deploy has created it; compare with it when it does.
		svc, err := s.discoveryService(ctx, app)
		if err != nil {
			return nil, err
		}
		if svc != nil {
			rd.Service.ServiceRegistries = []types.ServiceRegistry{{RegistryArn: svc.Arn}}
		}
	}
	want := renderedDocs(rd, app)
	have, err := s.liveDocs(ctx, app)
	if err != nil {
		return nil, err
	}
	adoptedTags(have, want)
	res := &target.DiffResult{}
	var out strings.Builder
	for _, name := range []string{TaskDefinitionFile, ServiceFile, ScalingFile, "log-group.json"} {
		a, b := docText(have[name]), docText(want[name])
		if a == b {
			continue
		}
		res.Changed = true
		text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(a), B: difflib.SplitLines(b),
			FromFile: "live/" + name, ToFile: "spec/" + name, Context: 3,
		})
		if err != nil {
			return nil, err
		}
		out.WriteString(text)
	}
	res.Diff = out.String()
	return res, nil
}

// adoptedTags leaves shipit's own tags (managed-by, the spec hash) out of the comparison of a
// live task definition shipit did not register (an imported app's): a deploy would not
// register a revision for them (adopt.go), so they are no difference.
func adoptedTags(have, want docs) {
	h, _ := have[TaskDefinitionFile].(map[string]any)
	w, _ := want[TaskDefinitionFile].(map[string]any)
	if h == nil || w == nil {
		return
	}
	if tags, _ := h["tags"].(map[string]any); tags[spec.HashAnnotation] != nil {
		return
	}
	dropTag(w, "managed-by")
	dropTag(w, spec.HashAnnotation)
	if tags, ok := w["tags"].(map[string]any); ok && len(tags) == 0 {
		delete(w, "tags")
	}
}

// docs are the normalised documents of one side, by file name; a missing one is absent.
type docs map[string]any

func renderedDocs(rd *Rendered, app *spec.App) docs {
	d := docs{
		TaskDefinitionFile: normalizeTaskDefinition(awsjson.Value(rd.TaskDefinition)),
		ServiceFile:        normalizeService(awsjson.Value(rd.Service), app),
		"log-group.json":   map[string]any{"logGroupName": rd.LogGroup, "retentionInDays": int64(rd.LogRetention)},
	}
	if sc := renderedScaling(rd); sc != nil {
		d[ScalingFile] = sc
	}
	return d
}

func (s *Session) liveDocs(ctx context.Context, app *spec.App) (docs, error) {
	d := docs{}
	svc, err := s.describeService(ctx, app, true)
	if err != nil {
		return nil, err
	}
	if svc != nil {
		td, tags, err := s.taskDefinition(ctx, aws.ToString(svc.TaskDefinition))
		if err != nil {
			return nil, err
		}
		d[TaskDefinitionFile] = normalizeTaskDefinition(awsjson.Value(registerInput(td, tags)))
		d[ServiceFile] = normalizeService(awsjson.Value(createInput(svc, app)), app)
		sc, err := s.readScaling(ctx, app)
		if err != nil {
			return nil, err
		}
		if doc := sc.doc(); doc != nil {
			d[ScalingFile] = doc
		}
	}
	lg, err := s.logGroup(ctx, LogGroupName(app))
	if err != nil {
		return nil, err
	}
	if lg != nil {
		d["log-group.json"] = map[string]any{"logGroupName": aws.ToString(lg.LogGroupName), "retentionInDays": int64(aws.ToInt32(lg.RetentionInDays))}
	}
	return d, nil
}

// registerInput is a live task definition in the shape of the render's input: every field the
// input has (a render may set any of them, through ecs.proxy or ecs.overrides); registration
// metadata such as revision and status is left out.
func registerInput(td *types.TaskDefinition, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  td.Family,
		NetworkMode:             td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities,
		Cpu:                     td.Cpu,
		Memory:                  td.Memory,
		ContainerDefinitions:    td.ContainerDefinitions,
		Volumes:                 td.Volumes,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		TaskRoleArn:             td.TaskRoleArn,
		RuntimePlatform:         td.RuntimePlatform,
		EphemeralStorage:        td.EphemeralStorage,
		ProxyConfiguration:      td.ProxyConfiguration,
		PidMode:                 td.PidMode,
		IpcMode:                 td.IpcMode,
		PlacementConstraints:    td.PlacementConstraints,
		EnableFaultInjection:    td.EnableFaultInjection,
		Tags:                    tags,
	}
}

// createInput is a live service in the shape of the render's CreateService input.
func createInput(svc *types.Service, app *spec.App) *ecs.CreateServiceInput {
	in := &ecs.CreateServiceInput{
		Cluster:                       aws.String(app.ECS.Cluster),
		ServiceName:                   svc.ServiceName,
		TaskDefinition:                svc.TaskDefinition,
		DesiredCount:                  aws.Int32(svc.DesiredCount),
		NetworkConfiguration:          svc.NetworkConfiguration,
		DeploymentController:          svc.DeploymentController,
		EnableECSManagedTags:          svc.EnableECSManagedTags,
		EnableExecuteCommand:          svc.EnableExecuteCommand,
		PlatformVersion:               svc.PlatformVersion,
		PropagateTags:                 svc.PropagateTags,
		Tags:                          svc.Tags,
		LaunchType:                    svc.LaunchType,
		CapacityProviderStrategy:      svc.CapacityProviderStrategy,
		LoadBalancers:                 svc.LoadBalancers,
		HealthCheckGracePeriodSeconds: svc.HealthCheckGracePeriodSeconds,
		ServiceRegistries:             svc.ServiceRegistries,
		ServiceConnectConfiguration:   liveServiceConnect(svc),
	}
	if dc := svc.DeploymentConfiguration; dc != nil {
		in.DeploymentConfiguration = &types.DeploymentConfiguration{
			MaximumPercent: dc.MaximumPercent, MinimumHealthyPercent: dc.MinimumHealthyPercent,
			DeploymentCircuitBreaker: dc.DeploymentCircuitBreaker,
			// Alarms an override sets are compared too; none is ECS's empty, disabled
			// configuration, which clean drops.
			Alarms: dc.Alarms,
		}
	}
	return in
}

func policyValues(ps []*aas.PutScalingPolicyInput) []any {
	var out []any
	for _, p := range ps {
		out = append(out, awsjson.Value(p))
	}
	return out
}

// normalizeTaskDefinition fills ECS's defaults and sorts what has no meaningful order.
func normalizeTaskDefinition(v any) any {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	if cs, ok := m["containerDefinitions"].([]any); ok {
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if cm == nil {
				continue
			}
			if _, ok := cm["essential"]; !ok {
				cm["essential"] = true
			}
			sortByKey(cm, "environment", "name")
			sortByKey(cm, "secrets", "name")
			sortByKey(cm, "mountPoints", "containerPath")
			if pms, ok := cm["portMappings"].([]any); ok {
				for _, p := range pms {
					pm, _ := p.(map[string]any)
					if pm == nil {
						continue
					}
					if pm["hostPort"] == pm["containerPort"] {
						delete(pm, "hostPort") // awsvpc: always the container port
					}
					if pm["protocol"] == nil {
						pm["protocol"] = "tcp"
					}
				}
				sortByKey(cm, "portMappings", "containerPort")
			}
			if hc, ok := cm["healthCheck"].(map[string]any); ok {
				for k, def := range map[string]int64{"interval": 30, "timeout": 5, "retries": 3} {
					if hc[k] == nil {
						hc[k] = def
					}
				}
			}
		}
		sortByKey(m, "containerDefinitions", "name")
	}
	if vs, ok := m["volumes"].([]any); ok {
		for _, vol := range vs {
			if vm, ok := vol.(map[string]any); ok {
				if efs, ok := vm["efsVolumeConfiguration"].(map[string]any); ok && efs["rootDirectory"] == "/" {
					delete(efs, "rootDirectory")
				}
			}
		}
		sortByKey(m, "volumes", "name")
	}
	sortStrings(m, "requiresCompatibilities")
	tagMap(m)
	// The cluster a revision was registered for is bookkeeping, implied by the spec hash
	// (revisions registered before shipit recorded it lack it): not compared.
	dropTag(m, ClusterTag)
	return clean(m)
}

// normalizeService keeps the settings shipit renders, in a stable form.
func normalizeService(v any, app *spec.App) any {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	// The revision is the task definition document's business; here only the family counts.
	if td, ok := m["taskDefinition"].(string); ok {
		fam, _ := splitRevision(Revision(td))
		m["taskDefinition"] = fam
	}
	if app.Autoscale != nil {
		delete(m, "desiredCount") // Application Auto Scaling owns it
	}
	if nc, ok := m["networkConfiguration"].(map[string]any); ok {
		if av, ok := nc["awsvpcConfiguration"].(map[string]any); ok {
			sortStrings(av, "subnets")
			sortStrings(av, "securityGroups")
			if av["assignPublicIp"] == nil {
				av["assignPublicIp"] = "DISABLED"
			}
		}
	}
	if m["deploymentController"] == nil {
		m["deploymentController"] = map[string]any{"type": "ECS"}
	}
	if m["propagateTags"] == nil {
		m["propagateTags"] = "NONE"
	}
	// A Fargate service without a platform version runs LATEST (DescribeServices says so).
	if m["platformVersion"] == nil {
		m["platformVersion"] = "LATEST"
	}
	if g, ok := m["healthCheckGracePeriodSeconds"].(int64); ok && g == 0 {
		delete(m, "healthCheckGracePeriodSeconds")
	}
	// Service Connect turned off is no Service Connect, whatever else ECS still reports.
	if sc, ok := m["serviceConnectConfiguration"].(map[string]any); ok && sc["enabled"] != true {
		delete(m, "serviceConnectConfiguration")
	}
	sortByKey(m, "loadBalancers", "targetGroupArn")
	tagMap(m)
	dropTag(m, PreviousTag) // bookkeeping of the service's history, not part of the spec
	return clean(m)
}

func normalizeScaling(tgt any, policies []any) any {
	m, _ := tgt.(map[string]any)
	if m == nil {
		return nil
	}
	if len(policies) > 0 {
		m["policies"] = policies
		sortByKey(m, "policies", "policyName")
	}
	return clean(m)
}

// tagMap turns a [{key, value}] tag list into one map, which reads better and has no order.
func tagMap(m map[string]any) {
	tags, ok := m["tags"].([]any)
	if !ok {
		return
	}
	out := map[string]any{}
	for _, t := range tags {
		if tm, ok := t.(map[string]any); ok {
			k, _ := tm["key"].(string)
			out[k] = tm["value"]
		}
	}
	m["tags"] = out
}

// dropTag removes a key from a document's tag map (see tagMap).
func dropTag(m map[string]any, key string) {
	if tags, ok := m["tags"].(map[string]any); ok {
		delete(tags, key)
	}
}

func sortByKey(m map[string]any, field, key string) {
	list, ok := m[field].([]any)
	if !ok {
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		return fmt.Sprint(mapGet(list[i], key)) < fmt.Sprint(mapGet(list[j], key))
	})
}

func mapGet(v any, key string) any {
	if m, ok := v.(map[string]any); ok {
		return m[key]
	}
	return nil
}

func sortStrings(m map[string]any, field string) {
	list, ok := m[field].([]any)
	if !ok {
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return fmt.Sprint(list[i]) < fmt.Sprint(list[j]) })
}

// clean drops what carries no information: nil, empty strings, empty lists and maps, and false
// (every boolean shipit renders defaults to false on the API, except a container's essential,
// which normalisation has filled in).
func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c := clean(e)
			if b, ok := c.(bool); ok && !b && k != "essential" {
				c = nil
			}
			if c == nil {
				delete(x, k)
				continue
			}
			x[k] = c
		}
		if len(x) == 0 {
			return nil
		}
		return x
	case []any:
		out := x[:0]
		for _, e := range x {
			if c := clean(e); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

// docText is a document as indented JSON (keys sorted), "" when absent.
func docText(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b) + "\n"
}

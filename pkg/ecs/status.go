package ecs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// statusEvents is how many of the service's newest events status shows.
const statusEvents = 10

// Status describes what is live: the service, its task definition revision and image (with
// its digest), every deployment with its counts, autoscaling and the last events.
func (s *Session) Status(ctx context.Context, app *spec.App) (*target.Status, error) {
	st := &target.Status{Target: spec.TargetECS, App: app.Name, Where: s.where(app)}
	svc, err := s.describeService(ctx, app, true)
	if err != nil || svc == nil {
		return st, err
	}
	st.Exists = true
	st.Revision = Revision(aws.ToString(svc.TaskDefinition))
	st.Desired = int(svc.DesiredCount)
	st.Ready = int(svc.RunningCount)
	st.Available = int(svc.RunningCount)
	td, tags, err := s.taskDefinition(ctx, aws.ToString(svc.TaskDefinition))
	if err != nil {
		return nil, err
	}
	st.SpecHash = tagValue(tags, spec.HashAnnotation)
	if c := mainContainer(td, app.MainContainer()); c != nil {
		st.Image = aws.ToString(c.Image)
		if _, d, ok := strings.Cut(st.Image, "@"); ok {
			st.Digest = d
		} else {
			st.Digest = s.runningDigest(ctx, app, aws.ToString(svc.TaskDefinition))
		}
	}
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			st.Updated = int(d.RunningCount)
		}
		st.Rollouts = append(st.Rollouts, target.LiveDeployment{
			ID:           aws.ToString(d.Id),
			Revision:     Revision(aws.ToString(d.TaskDefinition)),
			Status:       aws.ToString(d.Status),
			Desired:      int(d.DesiredCount),
			Running:      int(d.RunningCount),
			Pending:      int(d.PendingCount),
			RolloutState: string(d.RolloutState),
		})
	}
	st.Conditions = append(st.Conditions, fmt.Sprintf("service %s, %s", aws.ToString(svc.Status), capacity(svc)))
	if dc := svc.DeploymentConfiguration; dc != nil {
		c := fmt.Sprintf("deployment: max %d%%, min healthy %d%%", aws.ToInt32(dc.MaximumPercent), aws.ToInt32(dc.MinimumHealthyPercent))
		if cb := dc.DeploymentCircuitBreaker; cb != nil && cb.Enable {
			c += ", circuit breaker on"
			if cb.Rollback {
				c += " with rollback"
			}
		}
		st.Conditions = append(st.Conditions, c)
	}
	if len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted {
		st.Conditions = append(st.Conditions, "steady: one deployment, completed")
	} else if len(svc.Deployments) > 0 {
		st.Conditions = append(st.Conditions, "rolling out: "+DeploymentSummary(svc))
	}
	for _, reg := range svc.ServiceRegistries {
		st.Conditions = append(st.Conditions, "discovery: Cloud Map "+aws.ToString(reg.RegistryArn))
	}
	if tgt, err := s.scalableTarget(ctx, app); err == nil && tgt != nil {
		c := fmt.Sprintf("autoscaling: %d–%d tasks", aws.ToInt32(tgt.MinCapacity), aws.ToInt32(tgt.MaxCapacity))
		if ps, err := s.scalingPolicies(ctx, app); err == nil && len(ps) > 0 {
			var names []string
			for _, p := range ps {
				names = append(names, aws.ToString(p.PolicyName))
			}
			c += " (" + strings.Join(names, ", ") + ")"
		}
		st.Conditions = append(st.Conditions, c)
	}
	events := svc.Events
	if len(events) > statusEvents {
		events = events[:statusEvents]
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		st.Events = append(st.Events, fmt.Sprintf("%s %s", aws.ToTime(e.CreatedAt).UTC().Format(time.RFC3339), aws.ToString(e.Message)))
	}
	return st, nil
}

func capacity(svc *types.Service) string {
	if svc.LaunchType != "" {
		return "launch type " + string(svc.LaunchType)
	}
	var parts []string
	for _, c := range svc.CapacityProviderStrategy {
		parts = append(parts, aws.ToString(c.CapacityProvider))
	}
	if len(parts) == 0 {
		return "default capacity provider strategy"
	}
	return "capacity " + strings.Join(parts, ", ")
}

// mainContainer is the app's container (named after it), else the first.
func mainContainer(td *types.TaskDefinition, name string) *types.ContainerDefinition {
	if td == nil || len(td.ContainerDefinitions) == 0 {
		return nil
	}
	for i := range td.ContainerDefinitions {
		if aws.ToString(td.ContainerDefinitions[i].Name) == name {
			return &td.ContainerDefinitions[i]
		}
	}
	return &td.ContainerDefinitions[0]
}

// runningDigest is the image digest a running task of the task definition reports for the
// app's container ("" when none says).
func (s *Session) runningDigest(ctx context.Context, app *spec.App, tdArn string) string {
	in := &ecs.ListTasksInput{Cluster: aws.String(app.ECS.Cluster), ServiceName: aws.String(ServiceName(app)), DesiredStatus: types.DesiredStatusRunning}
	digest := ""
	// Status shows what it can: a failed read leaves the digest out.
	_ = s.eachTask(ctx, app, in, "running tasks of "+ServiceName(app), func(tasks []types.Task) bool {
		for _, t := range tasks {
			if aws.ToString(t.TaskDefinitionArn) != tdArn {
				continue
			}
			for _, c := range t.Containers {
				if aws.ToString(c.Name) == app.MainContainer() && aws.ToString(c.ImageDigest) != "" {
					digest = aws.ToString(c.ImageDigest)
					return false
				}
			}
		}
		return true
	})
	return digest
}

// This file holds `shipit history` on ECS: the task definition revisions registered for the
// app's cluster, and which of them the service runs.

package ecs

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.HistoryReader = (*Session)(nil)

// History lists the family's active revisions registered for the app's cluster, newest
// first (the ones rollback chooses from), up to opts.Limit; the revisions the service's
// deployments run are always listed, whoever registered them and however old they are. The
// live one is the service's task definition (its PRIMARY deployment's): "rolling out" until
// that deployment is COMPLETED; an ACTIVE deployment's is "draining".
func (s *Session) History(ctx context.Context, app *spec.App, opts target.HistoryOptions) (*target.History, error) {
	h := &target.History{Target: spec.TargetECS, App: app.Name, Where: s.where(app)}
	svc, err := s.describeService(ctx, app, false)
	if err != nil {
		return nil, err
	}
	states := deploymentStates(svc)
	var own []clusterRevision
	if _, err := s.clusterRevisions(ctx, app, 0, func(r clusterRevision) bool {
		if opts.Limit > 0 && len(own) == opts.Limit {
			h.More = true // one more of ours exists: reading it was the only way to know
			return false
		}
		own = append(own, r)
		return true
	}); err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, r := range own {
		listed[r.arn] = true
	}
	// Deployments of revisions outside the list: older than the limit, another cluster's
	// (rollback --to takes any revision of the family), deregistered, or not shipit's.
	for arn := range states {
		if listed[arn] {
			continue
		}
		td, tags, err := s.taskDefinition(ctx, arn)
		if err != nil {
			return nil, err
		}
		own = append(own, clusterRevision{arn: arn, td: td, tags: tags})
	}
	for _, r := range own {
		h.Revisions = append(h.Revisions, revisionOf(app, r, states[r.arn], svc))
	}
	sort.SliceStable(h.Revisions, func(i, j int) bool {
		_, a := splitRevision(h.Revisions[i].Revision)
		_, b := splitRevision(h.Revisions[j].Revision)
		return a > b
	})
	return h, nil
}

// deploymentStates is what each of the service's deployments makes of its task definition
// (by ARN): the PRIMARY's is live, rolling out or failed, an ACTIVE one's draining. nil when
// the service is not deployed.
func deploymentStates(svc *types.Service) map[string]string {
	if svc == nil {
		return nil
	}
	states := map[string]string{}
	for _, d := range svc.Deployments {
		arn := aws.ToString(d.TaskDefinition)
		switch aws.ToString(d.Status) {
		case "ACTIVE":
			if states[arn] == "" {
				states[arn] = target.RevisionDraining
			}
			continue
		case "PRIMARY":
		default: // INACTIVE: done with
			continue
		}
		switch d.RolloutState {
		case types.DeploymentRolloutStateCompleted:
			states[arn] = target.RevisionLive
		case types.DeploymentRolloutStateFailed:
			states[arn] = target.RevisionFailed
		default:
			states[arn] = target.RevisionRollingOut
		}
	}
	// A service whose deployments say nothing (none listed) still runs its task definition.
	if arn := aws.ToString(svc.TaskDefinition); arn != "" && states[arn] == "" {
		states[arn] = target.RevisionLive
	}
	return states
}

// revisionOf is one revision as history shows it.
func revisionOf(app *spec.App, r clusterRevision, state string, svc *types.Service) target.Revision {
	rev := target.Revision{
		Revision:   Revision(r.arn),
		State:      state,
		SpecHash:   tagValue(r.tags, spec.HashAnnotation),
		ID:         r.arn,
		Containers: []target.ContainerImage{},
	}
	if svc != nil && aws.ToString(svc.TaskDefinition) == r.arn {
		rev.Live = true
	}
	if r.td == nil {
		return rev
	}
	if r.td.RegisteredAt != nil {
		rev.Deployed = r.td.RegisteredAt.UTC()
	}
	main := mainContainer(r.td, app.MainContainer())
	if main != nil {
		rev.Image = aws.ToString(main.Image)
		rev.Containers = append(rev.Containers, target.ContainerImage{Name: aws.ToString(main.Name), Image: rev.Image})
	}
	for _, c := range r.td.ContainerDefinitions {
		if main == nil || aws.ToString(c.Name) != aws.ToString(main.Name) {
			rev.Containers = append(rev.Containers, target.ContainerImage{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image)})
		}
	}
	return rev
}

package ecs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// applyTimeout bounds the apply step. Apply is a handful of calls; once it has begun writing it
// runs to its end even when the user interrupts, so an interrupt never leaves a half-applied
// change (the watch that follows stops at once).
const applyTimeout = 5 * time.Minute

// errInterrupted reports an interrupt that came before anything was written.
var errInterrupted = errors.New("interrupted before anything was written")

// Deploy applies the render and watches the rollout to a verdict (design §5, §6).
func (s *Session) Deploy(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
	s.defaults()
	rd, err := Render(app, RenderOptions{Region: s.region})
	if err != nil {
		return nil, err
	}
	v := &target.Verdict{Target: spec.TargetECS, App: app.Name}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = app.RolloutTimeout()
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	ro, seen, err := s.apply(actx, ctx, app, rd, opts, r, v)
	if errors.Is(err, errInterrupted) {
		v.Phase, v.Message = target.Canceled, "interrupted before anything was written"
		return v, nil
	}
	if err != nil {
		if len(v.Applied) > 0 {
			return nil, fmt.Errorf("%w\napplied before the failure: %s", err, strings.Join(v.Applied, ", "))
		}
		return nil, err
	}
	v.Revision = Revision(ro.TaskDefinition)
	v.Image = mainImage(rd)
	if ctx.Err() != nil {
		v.Phase = target.Canceled
		v.Message = "interrupted: the change was applied completely; not watching the rollout, which goes on in ECS"
		return v, nil
	}
	if opts.NoWait {
		v.Phase, v.Message = target.Succeeded, fmt.Sprintf("applied %s; not watching (--no-wait)", Revision(ro.TaskDefinition))
		return v, nil
	}
	if !v.Unchanged {
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("watching the deployment of %s (timeout %s)", Revision(ro.TaskDefinition), timeout)))
	}
	dec, err := s.watch(ctx, app, ro, timeout, seen, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollout: %w\napplied: %s", err, strings.Join(v.Applied, ", "))
	}
	fill(v, dec, ro)
	if v.Unchanged && dec.Phase == target.Succeeded {
		v.Message = fmt.Sprintf("nothing changed: %s is live and steady (%d/%d running); nothing registered or updated", Revision(ro.TaskDefinition), dec.Ready, dec.Desired)
	}
	if dec.Phase == target.Failed && app.AutoRollback() && !v.Unchanged {
		if ro.Previous == "" {
			v.Message += "; nothing to roll back to (this was the service's first deployment)"
			return v, nil
		}
		return s.autoRollback(ctx, app, v, dec, ro, timeout, seen, r)
	}
	return v, nil
}

// fill copies a decision into a verdict.
func fill(v *target.Verdict, dec Decision, ro Rollout) {
	v.Phase, v.Message, v.Desired, v.Ready = dec.Phase, dec.Message, dec.Desired, dec.Ready
	v.Revision = Revision(ro.TaskDefinition)
	if dec.RolledBackTo != "" {
		v.RolledBackTo = Revision(dec.RolledBackTo)
		v.Revision = Revision(dec.RolledBackTo)
	}
}

func mainImage(rd *Rendered) string {
	if len(rd.TaskDefinition.ContainerDefinitions) == 0 {
		return ""
	}
	return aws.ToString(rd.TaskDefinition.ContainerDefinitions[0].Image)
}

// apply writes what the render says: log group, task definition, service, scaling. It returns
// the rollout to watch and the service events that were there before (not to print again).
// ctx is the apply's own context; user is the caller's, checked before the first write.
func (s *Session) apply(ctx, user context.Context, app *spec.App, rd *Rendered, opts target.DeployOptions, r target.Reporter, v *target.Verdict) (Rollout, eventLog, error) {
	seen := eventLog{}
	live, err := s.describeService(ctx, app, true)
	if err != nil {
		return Rollout{}, nil, err
	}
	if live != nil && aws.ToString(live.Status) == "DRAINING" {
		return Rollout{}, nil, fmt.Errorf("ecs: service %s in %s is still being deleted (DRAINING); deploy again once it is gone", app.Name, s.where(app))
	}
	seen.mark(live)

	pins, err := s.pinImages(ctx, rd.TaskDefinition.ContainerDefinitions)
	if err != nil {
		return Rollout{}, nil, err
	}
	for _, p := range pins {
		r.Report(s.event(app, target.Pending, fmt.Sprintf("pinned image %s to digest %s", p.from, p.digest)))
	}

	if live != nil {
		td, tags, err := s.taskDefinition(ctx, aws.ToString(live.TaskDefinition))
		if err != nil {
			return Rollout{}, nil, err
		}
		if sameRevision(td, tags, rd) {
			v.Unchanged = true
			r.Report(s.event(app, target.Pending, fmt.Sprintf("nothing changed: spec %s is live as %s in %s; nothing registered or updated",
				rd.Hash, Revision(aws.ToString(live.TaskDefinition)), s.where(app))))
			if err := s.ensureLogGroup(ctx, user, app, rd, r, v); err != nil {
				return Rollout{}, nil, err
			}
			return Rollout{TaskDefinition: aws.ToString(live.TaskDefinition)}, seen, nil
		}
		if err := inProgress(live, opts); err != nil {
			return Rollout{}, nil, err
		}
	}
	if err := s.ensureLogGroup(ctx, user, app, rd, r, v); err != nil {
		return Rollout{}, nil, err
	}

	// The task definition: the newest revision of the family when it already is this spec
	// (e.g. after a rollback), else a new revision.
	tdArn := ""
	if latest, tags, err := s.taskDefinition(ctx, app.Name); err == nil && latest.Status != types.TaskDefinitionStatusInactive && sameRevision(latest, tags, rd) {
		tdArn = aws.ToString(latest.TaskDefinitionArn)
		r.Report(s.event(app, target.Pending, fmt.Sprintf("task definition %s already holds spec %s; not registering another", Revision(tdArn), rd.Hash)))
	} else {
		if user.Err() != nil && len(v.Applied) == 0 {
			return Rollout{}, nil, errInterrupted
		}
		out, err := s.ecs.RegisterTaskDefinition(ctx, rd.TaskDefinition)
		if err != nil {
			return Rollout{}, nil, apiError("ecs RegisterTaskDefinition", "family "+app.Name, err)
		}
		tdArn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		v.Applied = append(v.Applied, "task definition "+Revision(tdArn))
		r.Report(s.event(app, target.Pending, "registered task definition "+Revision(tdArn)))
	}

	regs, err := s.ensureDiscovery(ctx, app, r, v)
	if err != nil {
		return Rollout{}, nil, err
	}
	ro := Rollout{TaskDefinition: tdArn}
	if live == nil {
		in := *rd.Service
		in.TaskDefinition = aws.String(tdArn)
		in.ServiceRegistries = regs
		out, err := s.ecs.CreateService(ctx, &in)
		if err != nil {
			return Rollout{}, nil, apiError("ecs CreateService", "service "+app.Name+" in "+s.where(app), err)
		}
		ro.Deployment = primaryOn(out.Service, tdArn)
		v.Applied = append(v.Applied, "service "+app.Name+" (created)")
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("created service %s in %s with %s, %d desired",
			app.Name, s.where(app), Revision(tdArn), aws.ToInt32(rd.Service.DesiredCount))))
	} else {
		ro.Previous = aws.ToString(live.TaskDefinition)
		in := updateInput(rd, live, tdArn, app.Autoscale != nil)
		in.ServiceRegistries = regs
		if regs == nil && len(live.ServiceRegistries) > 0 {
			in.ServiceRegistries = []types.ServiceRegistry{} // the spec no longer registers it
		}
		out, err := s.ecs.UpdateService(ctx, in)
		if err != nil {
			return Rollout{}, nil, apiError("ecs UpdateService", "service "+app.Name+" in "+s.where(app), err)
		}
		ro.Deployment = primaryOn(out.Service, tdArn)
		v.Applied = append(v.Applied, "service "+app.Name+" (updated)")
		desired := fmt.Sprintf("%d desired", aws.ToInt32(in.DesiredCount))
		if in.DesiredCount == nil {
			desired = fmt.Sprintf("desired count %d kept (autoscaling owns it)", live.DesiredCount)
		}
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("updated service %s: %s → %s, %s",
			app.Name, Revision(ro.Previous), Revision(tdArn), desired)))
		if arn := aws.ToString(live.ServiceArn); arn != "" && !sameTags(live.Tags, rd.Service.Tags) {
			if _, err := s.ecs.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: rd.Service.Tags}); err != nil {
				return Rollout{}, nil, apiError("ecs TagResource", "service "+app.Name, err)
			}
		}
	}
	if err := s.applyScaling(ctx, app, rd, r, v); err != nil {
		return Rollout{}, nil, err
	}
	return ro, seen, nil
}

// inProgress refuses to deploy over another deployment that is still rolling out (design §8:
// two deploys of one app at the same time must not interleave), unless --force-conflicts.
func inProgress(live *types.Service, opts target.DeployOptions) error {
	if opts.ForceConflicts {
		return nil
	}
	for _, d := range live.Deployments {
		if aws.ToString(d.Status) != "PRIMARY" || d.RolloutState != types.DeploymentRolloutStateInProgress {
			continue
		}
		since := ""
		if d.CreatedAt != nil {
			since = fmt.Sprintf(", started %s", d.CreatedAt.UTC().Format(time.RFC3339))
		}
		return fmt.Errorf("ecs: another deployment of %s is in progress (%s on %s%s); deploying now would interleave with it. "+
			"Wait for it (shipit status --target ecs) or pass --force-conflicts to deploy over it",
			aws.ToString(live.ServiceName), aws.ToString(d.Id), Revision(aws.ToString(d.TaskDefinition)), since)
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
		PropagateTags:                 c.PropagateTags,
		CapacityProviderStrategy:      c.CapacityProviderStrategy,
	}
	if !autoscale {
		in.DesiredCount = c.DesiredCount
	}
	// Moving a service from a launch type to a capacity provider strategy needs a new
	// deployment forced; there is one anyway, ECS only wants it said.
	if len(c.CapacityProviderStrategy) > 0 && live.LaunchType != "" {
		in.ForceNewDeployment = true
	}
	return in
}

// primaryOn is the id of the answer's PRIMARY deployment when it runs tdArn.
func primaryOn(svc *types.Service, tdArn string) string {
	if svc == nil {
		return ""
	}
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && aws.ToString(d.TaskDefinition) == tdArn {
			return aws.ToString(d.Id)
		}
	}
	return ""
}

// sameRevision reports whether a registered task definition is this render: it carries the
// spec's hash and runs the same (pinned) images. A moved ECR tag changes the digest, so it is a
// change even when the spec is not.
func sameRevision(td *types.TaskDefinition, tags []types.Tag, rd *Rendered) bool {
	if td == nil || tagValue(tags, spec.HashAnnotation) != rd.Hash {
		return false
	}
	if aws.ToString(td.Family) != aws.ToString(rd.TaskDefinition.Family) {
		return false
	}
	want := map[string]string{}
	for _, c := range rd.TaskDefinition.ContainerDefinitions {
		want[aws.ToString(c.Name)] = aws.ToString(c.Image)
	}
	if len(td.ContainerDefinitions) != len(want) {
		return false
	}
	for _, c := range td.ContainerDefinitions {
		if img, ok := want[aws.ToString(c.Name)]; !ok || img != aws.ToString(c.Image) {
			return false
		}
	}
	return true
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

// taskDefinition describes a task definition (ARN, family:rev, or family for the newest
// revision) with its tags.
func (s *Session) taskDefinition(ctx context.Context, ref string) (*types.TaskDefinition, []types.Tag, error) {
	out, err := s.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, nil, apiError("ecs DescribeTaskDefinition", ref, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// revisions lists the family's task definition ARNs with the given status (ACTIVE or
// INACTIVE), newest first.
func (s *Session) revisions(ctx context.Context, family string, status types.TaskDefinitionStatus) ([]string, error) {
	var arns []string
	var next *string
	for {
		out, err := s.ecs.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
			FamilyPrefix: aws.String(family), Status: status, Sort: types.SortOrderDesc, NextToken: next,
		})
		if err != nil {
			return nil, apiError("ecs ListTaskDefinitions", "family "+family, err)
		}
		for _, a := range out.TaskDefinitionArns {
			if f, _ := splitRevision(Revision(a)); f == family {
				arns = append(arns, a)
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			break
		}
		next = out.NextToken
	}
	sort.SliceStable(arns, func(i, j int) bool {
		_, a := splitRevision(Revision(arns[i]))
		_, b := splitRevision(Revision(arns[j]))
		return a > b
	})
	return arns, nil
}

// splitRevision splits family:rev.
func splitRevision(s string) (string, int) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	return s[:i], n
}

// autoRollback returns the service to the task definition it ran before, after shipit itself
// declared the rollout failed, and watches that rollback to its own verdict: RolledBack
// (exit 4) when it completes.
func (s *Session) autoRollback(ctx context.Context, app *spec.App, v *target.Verdict, failed Decision, ro Rollout, timeout time.Duration, seen eventLog, r target.Reporter) (*target.Verdict, error) {
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("rolling back to %s (rollout.autoRollback)", Revision(ro.Previous))))
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	out, err := s.ecs.UpdateService(actx, &ecs.UpdateServiceInput{
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(app.Name), TaskDefinition: aws.String(ro.Previous),
	})
	if err != nil {
		v.Message = failed.Message + "; the automatic rollback failed: " + apiError("ecs UpdateService", "service "+app.Name, err).Error()
		return v, nil
	}
	v.Applied = append(v.Applied, "service "+app.Name+" (rolled back to "+Revision(ro.Previous)+")")
	back := Rollout{TaskDefinition: ro.Previous, Previous: ro.TaskDefinition, Deployment: primaryOn(out.Service, ro.Previous)}
	dec, err := s.watch(ctx, app, back, timeout, seen, r)
	if err != nil {
		v.Message = failed.Message + "; watching the automatic rollback: " + err.Error()
		return v, nil
	}
	v.RolledBackTo = Revision(ro.Previous)
	v.Revision = Revision(ro.Previous)
	v.Desired, v.Ready = dec.Desired, dec.Ready
	switch dec.Phase {
	case target.Succeeded:
		v.Phase = target.RolledBack
		v.Message = fmt.Sprintf("%s; rolled back to %s (%d/%d running)", failed.Message, Revision(ro.Previous), dec.Ready, dec.Desired)
	case target.Canceled:
		v.Phase = target.Canceled
		v.Message = fmt.Sprintf("%s; interrupted while watching the rollback to %s, which goes on in ECS", failed.Message, Revision(ro.Previous))
	default:
		v.Phase = target.Failed
		v.Message = fmt.Sprintf("%s; the rollback to %s did not finish either: %s", failed.Message, Revision(ro.Previous), dec.Message)
	}
	return v, nil
}

// Rollback is `shipit rollback`: put the previous (or the given) task definition revision
// back on the service and watch it like a deploy.
func (s *Session) Rollback(ctx context.Context, app *spec.App, opts target.RollbackOptions, r target.Reporter) (*target.Verdict, error) {
	s.defaults()
	live, err := s.describeService(ctx, app, false)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return nil, fmt.Errorf("ecs: service %s is not deployed in %s; nothing to roll back", app.Name, s.where(app))
	}
	current := aws.ToString(live.TaskDefinition)
	to, err := s.rollbackTarget(ctx, app, current, opts.To)
	if err != nil {
		return nil, err
	}
	v := &target.Verdict{Target: spec.TargetECS, App: app.Name, Revision: Revision(to), RolledBackTo: Revision(to)}
	if to == current {
		v.Phase, v.Unchanged = target.Succeeded, true
		v.Message = Revision(to) + " is already the live revision; nothing changed"
		return v, nil
	}
	td, _, err := s.taskDefinition(ctx, to)
	if err != nil {
		return nil, err
	}
	if len(td.ContainerDefinitions) > 0 {
		v.Image = aws.ToString(td.ContainerDefinitions[0].Image)
	}
	seen := eventLog{}
	seen.mark(live)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	out, err := s.ecs.UpdateService(actx, &ecs.UpdateServiceInput{
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(app.Name), TaskDefinition: aws.String(to),
	})
	if err != nil {
		return nil, apiError("ecs UpdateService", "service "+app.Name+" in "+s.where(app), err)
	}
	v.Applied = []string{"service " + app.Name + " (" + Revision(current) + " → " + Revision(to) + ")"}
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("rolling back service %s: %s → %s", app.Name, Revision(current), Revision(to))))
	if opts.NoWait {
		v.Phase, v.Message = target.Succeeded, "rollback to "+Revision(to)+" applied; not watching (--no-wait)"
		return v, nil
	}
	if ctx.Err() != nil {
		v.Phase, v.Message = target.Canceled, "interrupted: the rollback was applied; not watching it"
		return v, nil
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = app.RolloutTimeout()
	}
	ro := Rollout{TaskDefinition: to, Previous: current, Deployment: primaryOn(out.Service, to)}
	dec, err := s.watch(ctx, app, ro, timeout, seen, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollback: %w", err)
	}
	fill(v, dec, ro)
	v.RolledBackTo = Revision(to)
	if dec.Phase == target.Succeeded {
		v.Message = fmt.Sprintf("rolled back from %s to %s: %d/%d running", Revision(current), Revision(to), dec.Ready, dec.Desired)
	}
	return v, nil
}

// rollbackTarget resolves --to (a revision number, family:rev or an ARN) or, without it, the
// newest active revision older than the live one.
func (s *Session) rollbackTarget(ctx context.Context, app *spec.App, current, to string) (string, error) {
	if to != "" {
		ref := to
		if _, err := strconv.Atoi(to); err == nil {
			ref = app.Name + ":" + to
		}
		td, _, err := s.taskDefinition(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("rollback --to %s: %w", to, err)
		}
		if f := aws.ToString(td.Family); f != app.Name {
			return "", &target.UsageError{Msg: fmt.Sprintf("rollback --to %s: that task definition is of family %s, not %s", to, f, app.Name)}
		}
		if td.Status == types.TaskDefinitionStatusInactive {
			return "", &target.UsageError{Msg: fmt.Sprintf("rollback --to %s: that revision is deregistered (INACTIVE)", to)}
		}
		return aws.ToString(td.TaskDefinitionArn), nil
	}
	arns, err := s.revisions(ctx, app.Name, types.TaskDefinitionStatusActive)
	if err != nil {
		return "", err
	}
	_, cur := splitRevision(Revision(current))
	for _, a := range arns {
		if _, n := splitRevision(Revision(a)); n < cur {
			return a, nil
		}
	}
	return "", fmt.Errorf("ecs: no active revision of %s older than the live %s to roll back to (see --to)", app.Name, Revision(current))
}

package ecs

import (
	"context"
	"errors"
	"fmt"
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

// Deploy applies the render and watches the rollout to a verdict (docs/architecture.md,
// "Rollout rules").
func (s *Session) Deploy(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
	rd, err := Render(app, RenderOptions{Region: s.region})
	if err != nil {
		return nil, err
	}
	v := &target.Verdict{Target: spec.TargetECS, App: app.Name}
	timeout := target.RolloutTimeout(opts.Timeout, app)
	// Until its first write, the apply stops at an interrupt (reads and the SDK's retries
	// of them included); from then on it runs to its end. The command's time bound always
	// applies.
	target.Step(ctx, "reading the live service and applying")
	gctx, stopGuard := target.GuardWrites(ctx)
	defer stopGuard()
	actx, cancel := context.WithTimeout(gctx, applyTimeout)
	defer cancel()
	d := &deployRun{Session: s, app: app, rd: rd, r: r, seen: eventLog{}}
	err = d.apply(actx, opts)
	v.Applied, v.Unchanged = d.applied, d.unchanged
	if err != nil && len(v.Applied) == 0 && ctx.Err() != nil {
		err = target.ErrInterrupted
	}
	if errors.Is(err, target.ErrInterrupted) {
		v.Phase, v.Message = target.Canceled, target.ErrInterrupted.Error()
		return v, nil
	}
	if err != nil {
		if len(v.Applied) > 0 {
			return nil, fmt.Errorf("%w\napplied before the failure: %s", err, strings.Join(v.Applied, ", "))
		}
		return nil, err
	}
	ro := d.ro
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
	if !d.live {
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("watching the deployment of %s (timeout %s)", Revision(ro.TaskDefinition), timeout)))
	}
	target.Step(ctx, "watching the deployment of "+Revision(ro.TaskDefinition))
	dec, err := s.watch(ctx, app, ro, timeout, d.seen, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollout: %w\napplied: %s", err, strings.Join(v.Applied, ", "))
	}
	fill(v, dec, ro)
	if d.live && dec.Phase == target.Succeeded {
		if v.Unchanged {
			v.Message = fmt.Sprintf("nothing changed: %s is live and steady (%d/%d running); nothing registered or updated", Revision(ro.TaskDefinition), dec.Ready, dec.Desired)
		} else {
			v.Message = fmt.Sprintf("%s is live and steady (%d/%d running); no new revision; re-applied what did not match the spec: %s",
				Revision(ro.TaskDefinition), dec.Ready, dec.Desired, strings.Join(v.Applied, ", "))
		}
	}
	if dec.Phase == target.Failed && app.AutoRollback() && !d.live {
		if ro.Previous == "" {
			v.Message += "; nothing to roll back to (this was the service's first deployment)"
			return v, nil
		}
		return s.autoRollback(ctx, d, v, dec, timeout), nil
	}
	return v, nil
}

// fill copies a decision into a verdict.
func fill(v *target.Verdict, dec Decision, ro WatchedDeployment) {
	v.Phase, v.Message, v.Desired, v.Ready = dec.Phase, dec.Message, dec.Desired, dec.Ready
	v.Revision = Revision(ro.TaskDefinition)
	if dec.Phase == target.Failed || dec.Phase == target.RolledBack || dec.Phase == target.TimedOut {
		// Its tasks' logs tell why (shipit logs --revision N).
		if _, n := splitRevision(v.Revision); n > 0 {
			v.FailedRevision = strconv.Itoa(n)
		}
	}
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

// deployRun is one deploy's apply: the app and its render, the reporter, what has been
// written so far, and what the watch and an automatic rollback need to know of it.
type deployRun struct {
	*Session
	app *spec.App
	// rd is the render, with the Cloud Map registries deploy resolved.
	rd *Rendered
	r  target.Reporter

	// applied lists what was written, in order (the verdict's Applied).
	applied []string
	// unchanged is set when the service already matched the spec and nothing was written.
	unchanged bool

	ro   WatchedDeployment
	seen eventLog // the service events that were there before (not to print again)
	// live is true when the service already ran this spec's task definition: nothing was
	// registered and no deployment started (what did not match was re-applied, see converge).
	live bool
	// before is the service as it was (nil for a new one) and beforeScaling its autoscaling:
	// what an automatic rollback restores besides the task definition.
	before        *types.Service
	beforeScaling *scalingState
}

// wrote records a write.
func (d *deployRun) wrote(what string) { d.applied = append(d.applied, what) }

// report reports an event of the deploy.
func (d *deployRun) report(phase target.Phase, msg string) {
	d.r.Report(d.event(d.app, phase, msg))
}

// apply writes what the render says: log group, task definition, service, scaling. It sets
// the rollout to watch. ctx is the apply's own context (see target.GuardWrites): an
// interrupt before the first write stops the deploy with nothing written.
func (d *deployRun) apply(ctx context.Context, opts target.DeployOptions) error {
	app, rd := d.app, d.rd
	live, err := d.describeService(ctx, app, true)
	if err != nil {
		return err
	}
	if live != nil && aws.ToString(live.Status) == "DRAINING" {
		return fmt.Errorf("ecs: service %s in %s is still being deleted (DRAINING); deploy again once it is gone", ServiceName(app), d.where(app))
	}
	d.seen.mark(live)

	pins, err := d.pinImages(ctx, rd.TaskDefinition.ContainerDefinitions)
	if err != nil {
		return err
	}
	for _, p := range pins {
		d.report(target.Pending, fmt.Sprintf("pinned image %s to digest %s", p.from, p.digest))
	}

	if live != nil {
		td, tags, err := d.taskDefinition(ctx, aws.ToString(live.TaskDefinition))
		if err != nil {
			return err
		}
		if sameRevision(td, tags, rd) || adopted(td, tags, rd, pins) {
			return d.converge(ctx, live)
		}
		if err := inProgress(live, opts); err != nil {
			return err
		}
	}
	if err := d.ensureLogGroup(ctx); err != nil {
		return err
	}
	if d.beforeScaling, err = d.readScaling(ctx, app); err != nil {
		return err
	}

	// The task definition: the newest revision of the family when it already is this spec
	// (e.g. after a rollback) and was registered for this cluster, else a new revision.
	tdArn := ""
	if latest, tags, err := d.taskDefinition(ctx, Family(app)); err == nil && latest.Status != types.TaskDefinitionStatusInactive &&
		sameRevision(latest, tags, rd) && tagValue(tags, ClusterTag) == app.ECS.Cluster {
		tdArn = aws.ToString(latest.TaskDefinitionArn)
		d.report(target.Pending, fmt.Sprintf("task definition %s already holds spec %s; not registering another", Revision(tdArn), rd.Hash))
	} else {
		if err := d.mayWrite(ctx); err != nil {
			return err
		}
		out, err := d.ecs.RegisterTaskDefinition(ctx, rd.TaskDefinition)
		if err != nil {
			return apiError("ecs RegisterTaskDefinition", "family "+Family(app), err)
		}
		tdArn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		d.wrote("task definition " + Revision(tdArn))
		d.report(target.Pending, "registered task definition "+Revision(tdArn))
	}

	if err := d.mayWrite(ctx); err != nil {
		return err
	}
	regs, err := d.ensureDiscovery(ctx)
	if err != nil {
		return err
	}
	rd.Service.ServiceRegistries = regs
	d.ro = WatchedDeployment{TaskDefinition: tdArn}
	if live == nil {
		in := *rd.Service
		in.TaskDefinition = aws.String(tdArn)
		out, err := d.ecs.CreateService(ctx, &in)
		if err != nil {
			return apiError("ecs CreateService", "service "+ServiceName(app)+" in "+d.where(app), err)
		}
		d.ro.Deployment = primaryOn(out.Service, tdArn)
		d.wrote("service " + ServiceName(app) + " (created)")
		d.report(target.Progressing, fmt.Sprintf("created service %s in %s with %s, %d desired",
			ServiceName(app), d.where(app), Revision(tdArn), aws.ToInt32(rd.Service.DesiredCount)))
	} else {
		d.before = live
		d.ro.Previous = aws.ToString(live.TaskDefinition)
		in := updateInput(rd, live, tdArn, app.Autoscale != nil)
		in.ServiceRegistries = regs
		if regs == nil && len(live.ServiceRegistries) > 0 {
			in.ServiceRegistries = []types.ServiceRegistry{} // the spec no longer registers it
		}
		out, err := d.ecs.UpdateService(ctx, in)
		if err != nil {
			return apiError("ecs UpdateService", "service "+ServiceName(app)+" in "+d.where(app), err)
		}
		d.ro.Deployment = primaryOn(out.Service, tdArn)
		d.wrote("service " + ServiceName(app) + " (updated)")
		desired := fmt.Sprintf("%d desired", aws.ToInt32(in.DesiredCount))
		if in.DesiredCount == nil {
			desired = fmt.Sprintf("desired count %d kept (autoscaling owns it)", live.DesiredCount)
		}
		d.report(target.Progressing, fmt.Sprintf("updated service %s: %s → %s, %s",
			ServiceName(app), Revision(d.ro.Previous), Revision(tdArn), desired))
		// The service's tags, and the revision it ran until now: rollback's default target.
		tags := rd.Service.Tags
		if d.ro.Previous != tdArn {
			tags = withTag(tags, PreviousTag, Revision(d.ro.Previous))
		}
		if err := d.tagService(ctx, app, live, tags); err != nil {
			return err
		}
	}
	return d.applyScaling(ctx, d.beforeScaling)
}

// converge is apply when the service already runs this spec's task definition: nothing is
// registered and no deployment is started for it. What a deploy sets besides the task
// definition is still made to match the spec, each only when it differs: an earlier deploy
// may have stopped half way (UpdateService done, tagging or autoscaling failed), and a
// rollback (shipit's, or ECS's circuit breaker) puts back a task definition only. That is
// the log group, the Cloud Map service, the service's settings (settingKeys), the service's
// tags and the autoscaling.
func (d *deployRun) converge(ctx context.Context, live *types.Service) error {
	app, rd := d.app, d.rd
	liveTD := aws.ToString(live.TaskDefinition)
	d.live = true
	d.ro = WatchedDeployment{TaskDefinition: liveTD}
	if err := d.ensureLogGroup(ctx); err != nil {
		return err
	}
	regs, err := d.ensureDiscovery(ctx)
	if err != nil {
		return err
	}
	rd.Service.ServiceRegistries = regs
	if keys := settingsDrift(live, rd.Service, app); len(keys) > 0 {
		if err := d.mayWrite(ctx); err != nil {
			return err
		}
		in := &ecs.UpdateServiceInput{Cluster: aws.String(app.ECS.Cluster), Service: aws.String(ServiceName(app))}
		setSettings(in, keys, rd.Service)
		out, err := d.ecs.UpdateService(ctx, in)
		if err != nil {
			return apiError("ecs UpdateService", "service "+ServiceName(app)+" in "+d.where(app), err)
		}
		// A new deployment on the same task definition: what ran before is that task
		// definition too, so a circuit-breaker rollback (back to the deployment before,
		// same revision) is told from a failure by the deployments, not the revision.
		d.ro.Deployment = primaryOn(out.Service, liveTD)
		d.ro.Previous = liveTD
		names := settingNames(keys)
		d.wrote("service " + ServiceName(app) + " settings (" + names + ")")
		d.report(target.Progressing, fmt.Sprintf("service %s differed from the spec in: %s; updated them (the task definition stays %s)", ServiceName(app), names, Revision(liveTD)))
	}
	if !sameTags(live.Tags, rd.Service.Tags) {
		if err := d.mayWrite(ctx); err != nil {
			return err
		}
		if err := d.tagService(ctx, app, live, rd.Service.Tags); err != nil {
			return err
		}
		d.wrote("service " + ServiceName(app) + " tags")
		d.report(target.Progressing, "tagged service "+ServiceName(app)+" as the spec says")
	}
	scaling, err := d.readScaling(ctx, app)
	if err != nil {
		return err
	}
	if err := d.applyScaling(ctx, scaling); err != nil {
		return err
	}
	d.unchanged = len(d.applied) == 0
	if d.unchanged {
		d.report(target.Pending, fmt.Sprintf("nothing changed: spec %s is live as %s in %s; nothing registered or updated",
			rd.Hash, Revision(liveTD), d.where(app)))
	} else {
		d.report(target.Pending, fmt.Sprintf("spec %s is live as %s in %s: no new revision; re-applied what did not match it: %s",
			rd.Hash, Revision(liveTD), d.where(app), strings.Join(d.applied, ", ")))
	}
	return nil
}

// mayWrite stops a deploy that was interrupted before its first write, and otherwise marks
// the write about to start (from then on an interrupt lets the apply finish). ctx is the
// apply's context (see target.GuardWrites).
func (d *deployRun) mayWrite(ctx context.Context) error {
	if !target.BeginWrite(ctx) && len(d.applied) == 0 {
		return target.ErrInterrupted
	}
	return nil
}

// tagService sets tags on the service (TagResource adds and overwrites; it removes nothing).
func (s *Session) tagService(ctx context.Context, app *spec.App, live *types.Service, tags []types.Tag) error {
	arn := aws.ToString(live.ServiceArn)
	if arn == "" || sameTags(live.Tags, tags) {
		return nil
	}
	if _, err := s.ecs.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags}); err != nil {
		return apiError("ecs TagResource", "service "+ServiceName(app), err)
	}
	return nil
}

// inProgress refuses to deploy over another deployment that is still rolling out (two deploys
// of one app at the same time must not interleave; docs/architecture.md, "Rollout rules"),
// unless --force-conflicts.
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
		advice := "Wait for it (shipit status --target ecs) or pass --force-conflicts to deploy over it"
		if d.FailedTasks > 0 {
			// Without the circuit breaker, ECS retries a failing deployment for ever: the
			// usual case is an earlier deploy that failed, and the fix is to deploy over it.
			tasks := "tasks"
			if d.FailedTasks == 1 {
				tasks = "task"
			}
			advice = fmt.Sprintf("It has %d failed %s, so it may be an earlier deploy that failed and that ECS keeps retrying: "+
				"check it (shipit status --target ecs), then pass --force-conflicts to deploy over it", d.FailedTasks, tasks)
		}
		return fmt.Errorf("ecs: another deployment of %s is in progress (%s on %s%s); deploying now would interleave with it. %s",
			aws.ToString(live.ServiceName), aws.ToString(d.Id), Revision(aws.ToString(d.TaskDefinition)), since, advice)
	}
	return nil
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

// This file holds the rollbacks: shipit's automatic one after a failed deploy, and `shipit
// rollback`.

package ecs

import (
	"context"
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

// autoRollback returns the service to what it was before, after shipit itself declared the
// rollout failed, and watches that rollback to its own verdict: RolledBack (exit 4) when it
// completes. Besides the task definition it restores what the failed deploy changed of the
// service's settings (settingKeys), its tags and its autoscaling; it leaves a log group or
// Cloud Map service the deploy created, and cannot undo a move to a capacity provider
// strategy.
func (s *Session) autoRollback(ctx context.Context, d *deployRun, v *target.Verdict, failed Decision, timeout time.Duration) *target.Verdict {
	app, ro := d.app, d.ro
	d.report(target.Progressing, fmt.Sprintf("rolling back to %s (rollout.autoRollback)", Revision(ro.Previous)))
	target.Step(ctx, "rolling back automatically to "+Revision(ro.Previous))
	actx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), applyTimeout)
	defer cancel()
	in := &ecs.UpdateServiceInput{
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(ServiceName(app)), TaskDefinition: aws.String(ro.Previous),
	}
	var restored, notRestored []string
	if d.before != nil {
		if keys := settingsDrift(d.before, d.rd.Service, app); len(keys) > 0 {
			setSettings(in, keys, createInput(d.before, app))
			restored = append(restored, settingNames(keys))
		}
	}
	out, err := s.ecs.UpdateService(actx, in)
	if err != nil {
		v.Message = failed.Message + "; the automatic rollback failed: " + apiError("ecs UpdateService", "service "+ServiceName(app), err).Error()
		return v
	}
	v.Applied = append(v.Applied, "service "+ServiceName(app)+" (rolled back to "+Revision(ro.Previous)+")")
	if d.before != nil {
		switch changed, err := s.restoreTags(actx, app, d.before, d.rd, ro); {
		case err != nil:
			notRestored = append(notRestored, "service tags ("+err.Error()+")")
		case changed:
			restored = append(restored, "service tags")
		}
	}
	switch changed, err := s.restoreScaling(actx, app, d.beforeScaling, d.rd); {
	case err != nil:
		notRestored = append(notRestored, "autoscaling ("+err.Error()+")")
	case changed:
		restored = append(restored, "autoscaling")
	}
	if len(restored) > 0 {
		v.Applied = append(v.Applied, "restored "+strings.Join(restored, ", "))
		d.report(target.Progressing, "restored what the failed deploy had changed besides the task definition: "+strings.Join(restored, ", "))
	}
	back := WatchedDeployment{TaskDefinition: ro.Previous, Previous: ro.TaskDefinition, Deployment: primaryOn(out.Service, ro.Previous)}
	target.Step(ctx, "watching the automatic rollback to "+Revision(ro.Previous))
	dec, err := s.watch(ctx, app, back, timeout, d.seen, d.r)
	if err != nil {
		v.Message = failed.Message + "; watching the automatic rollback: " + err.Error()
		return v
	}
	v.RolledBackTo = Revision(ro.Previous)
	v.Revision = Revision(ro.Previous)
	v.Desired, v.Ready = dec.Desired, dec.Ready
	target.AfterAutoRollback(v, target.AutoRollback{Failed: failed.Message, To: Revision(ro.Previous), Where: "ECS", Counted: "running",
		Phase: dec.Phase, Message: dec.Message, Desired: dec.Desired, Ready: dec.Ready})
	if len(restored) > 0 {
		v.Message += "; also restored " + strings.Join(restored, ", ")
	}
	if len(notRestored) > 0 {
		v.Message += "; could not restore " + strings.Join(notRestored, ", ")
	}
	return v
}

// restoreTags puts the service's tags back as they were before a deploy set rd's (and the
// previous-revision tag): keys the deploy added are removed, values it changed restored.
func (s *Session) restoreTags(ctx context.Context, app *spec.App, before *types.Service, rd *Rendered, ro WatchedDeployment) (bool, error) {
	arn := aws.ToString(before.ServiceArn)
	if arn == "" {
		return false, nil
	}
	set := rd.Service.Tags
	if ro.Previous != ro.TaskDefinition {
		set = withTag(set, PreviousTag, Revision(ro.Previous))
	}
	old := map[string]bool{}
	var keep []types.Tag
	for _, t := range before.Tags {
		if k := aws.ToString(t.Key); !strings.HasPrefix(k, "aws:") {
			old[k] = true
			keep = append(keep, t)
		}
	}
	var drop []string
	for _, t := range set {
		if !old[aws.ToString(t.Key)] {
			drop = append(drop, aws.ToString(t.Key))
		}
	}
	changed := len(drop) > 0
	if len(keep) > 0 && !sameTags(set, keep) {
		if _, err := s.ecs.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: keep}); err != nil {
			return false, apiError("ecs TagResource", "service "+ServiceName(app), err)
		}
		changed = true
	}
	if len(drop) > 0 {
		if _, err := s.ecs.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: drop}); err != nil {
			return false, apiError("ecs UntagResource", "service "+ServiceName(app), err)
		}
	}
	return changed, nil
}

// Rollback is `shipit rollback`: put the previous (or the given) task definition revision
// back on the service and watch it like a deploy. Only the task definition changes: the
// service's other settings and its autoscaling stay as the last deploy set them (deploying
// the older spec again makes them match it, see converge).
func (s *Session) Rollback(ctx context.Context, app *spec.App, opts target.RollbackOptions, r target.Reporter) (*target.Verdict, error) {
	live, err := s.describeService(ctx, app, true)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return nil, fmt.Errorf("ecs: service %s is not deployed in %s; nothing to roll back", ServiceName(app), s.where(app))
	}
	current := aws.ToString(live.TaskDefinition)
	to, why, err := s.rollbackTarget(ctx, app, live, opts.To)
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
	actx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), applyTimeout)
	defer cancel()
	out, err := s.ecs.UpdateService(actx, &ecs.UpdateServiceInput{
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(ServiceName(app)), TaskDefinition: aws.String(to),
	})
	if err != nil {
		return nil, apiError("ecs UpdateService", "service "+ServiceName(app)+" in "+s.where(app), err)
	}
	v.Applied = []string{"service " + ServiceName(app) + " (" + Revision(current) + " → " + Revision(to) + ")"}
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("rolling back service %s: %s → %s (%s)", ServiceName(app), Revision(current), Revision(to), why)))
	if opts.NoWait {
		v.Phase, v.Message = target.Succeeded, "rollback to "+Revision(to)+" applied; not watching (--no-wait)"
		return v, nil
	}
	if ctx.Err() != nil {
		v.Phase, v.Message = target.Canceled, "interrupted: the rollback was applied; not watching it"
		return v, nil
	}
	timeout := target.RolloutTimeout(opts.Timeout, app)
	ro := WatchedDeployment{TaskDefinition: to, Previous: current, Deployment: primaryOn(out.Service, to)}
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

// rollbackTarget resolves --to (a revision number, family:rev or an ARN: any revision of the
// family) or, without it: the revision the service ran before shipit's last deploy (the
// service's PreviousTag) while it is still active, else the newest active revision older than
// the live one that was registered for this cluster (ClusterTag). A family is shared by every
// cluster of the account and region, so revisions of other clusters (other environments) are
// never picked by default. why says how the revision was chosen.
func (s *Session) rollbackTarget(ctx context.Context, app *spec.App, live *types.Service, to string) (arn, why string, err error) {
	current := aws.ToString(live.TaskDefinition)
	if to != "" {
		ref := to
		if _, err := strconv.Atoi(to); err == nil {
			ref = Family(app) + ":" + to
		}
		td, tags, err := s.taskDefinition(ctx, ref)
		if err != nil {
			return "", "", fmt.Errorf("rollback --to %s: %w", to, err)
		}
		if f := aws.ToString(td.Family); f != Family(app) {
			return "", "", &target.UsageError{Msg: fmt.Sprintf("rollback --to %s: that task definition is of family %s, not %s", to, f, Family(app))}
		}
		if td.Status == types.TaskDefinitionStatusInactive {
			return "", "", &target.UsageError{Msg: fmt.Sprintf("rollback --to %s: that revision is deregistered (INACTIVE)", to)}
		}
		why = "--to"
		if c := tagValue(tags, ClusterTag); c != "" && c != app.ECS.Cluster {
			why = "--to; note: it was registered for cluster " + c
		}
		return aws.ToString(td.TaskDefinitionArn), why, nil
	}
	if prev := tagValue(live.Tags, PreviousTag); prev != "" && prev != Revision(current) {
		td, _, err := s.taskDefinition(ctx, prev)
		if err == nil && td.Status == types.TaskDefinitionStatusActive && aws.ToString(td.Family) == Family(app) {
			return aws.ToString(td.TaskDefinitionArn), "the revision the service ran before the last deploy", nil
		}
	}
	_, cur := splitRevision(Revision(current))
	var pick string
	skipped, err := s.clusterRevisions(ctx, app, cur, func(r clusterRevision) bool {
		pick = r.arn
		return false
	})
	if err != nil {
		return "", "", err
	}
	if pick != "" {
		return pick, "the newest older revision registered for cluster " + app.ECS.Cluster, nil
	}
	msg := fmt.Sprintf("ecs: no active revision of %s older than the live %s registered for cluster %s to roll back to", Family(app), Revision(current), app.ECS.Cluster)
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d older ones belong to other clusters or carry no %s tag)", skipped, ClusterTag)
	}
	return "", "", fmt.Errorf("%s; name one with --to", msg)
}

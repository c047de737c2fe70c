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

	"github.com/shipit-dev/shipit/pkg/awsjson"
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
	// Until its first write, the apply stops at an interrupt (reads and the SDK's retries
	// of them included); from then on it runs to its end. The command's time bound always
	// applies.
	target.Step(ctx, "reading the live service and applying")
	gctx, stopGuard := target.GuardWrites(ctx)
	defer stopGuard()
	actx, cancel := context.WithTimeout(gctx, applyTimeout)
	defer cancel()
	ap, err := s.apply(actx, actx, app, rd, opts, r, v)
	if err != nil && len(v.Applied) == 0 && ctx.Err() != nil {
		err = errInterrupted
	}
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
	ro := ap.ro
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
	if !ap.live {
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("watching the deployment of %s (timeout %s)", Revision(ro.TaskDefinition), timeout)))
	}
	target.Step(ctx, "watching the deployment of "+Revision(ro.TaskDefinition))
	dec, err := s.watch(ctx, app, ro, timeout, ap.seen, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollout: %w\napplied: %s", err, strings.Join(v.Applied, ", "))
	}
	fill(v, dec, ro)
	if ap.live && dec.Phase == target.Succeeded {
		if v.Unchanged {
			v.Message = fmt.Sprintf("nothing changed: %s is live and steady (%d/%d running); nothing registered or updated", Revision(ro.TaskDefinition), dec.Ready, dec.Desired)
		} else {
			v.Message = fmt.Sprintf("%s is live and steady (%d/%d running); no new revision; re-applied what did not match the spec: %s",
				Revision(ro.TaskDefinition), dec.Ready, dec.Desired, strings.Join(v.Applied, ", "))
		}
	}
	if dec.Phase == target.Failed && app.AutoRollback() && !ap.live {
		if ro.Previous == "" {
			v.Message += "; nothing to roll back to (this was the service's first deployment)"
			return v, nil
		}
		return s.autoRollback(ctx, app, v, dec, ap, timeout, r)
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

// applied is what apply did.
type applied struct {
	ro   Rollout
	seen eventLog // the service events that were there before (not to print again)
	// live is true when the service already ran this spec's task definition: nothing was
	// registered and no deployment started (what did not match was re-applied, see converge).
	live bool
	// before is the service as it was (nil for a new one) and beforeScaling its autoscaling:
	// what an automatic rollback restores besides the task definition.
	before        *types.Service
	beforeScaling *scalingState
	// rd is the render, with the Cloud Map registries deploy resolved.
	rd *Rendered
}

// apply writes what the render says: log group, task definition, service, scaling. It returns
// the rollout to watch. ctx is the apply's own context; user is the caller's, checked before
// the first write.
func (s *Session) apply(ctx, user context.Context, app *spec.App, rd *Rendered, opts target.DeployOptions, r target.Reporter, v *target.Verdict) (*applied, error) {
	ap := &applied{seen: eventLog{}, rd: rd}
	live, err := s.describeService(ctx, app, true)
	if err != nil {
		return nil, err
	}
	if live != nil && aws.ToString(live.Status) == "DRAINING" {
		return nil, fmt.Errorf("ecs: service %s in %s is still being deleted (DRAINING); deploy again once it is gone", app.Name, s.where(app))
	}
	ap.seen.mark(live)

	pins, err := s.pinImages(ctx, rd.TaskDefinition.ContainerDefinitions)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		r.Report(s.event(app, target.Pending, fmt.Sprintf("pinned image %s to digest %s", p.from, p.digest)))
	}

	if live != nil {
		td, tags, err := s.taskDefinition(ctx, aws.ToString(live.TaskDefinition))
		if err != nil {
			return nil, err
		}
		if sameRevision(td, tags, rd) {
			return ap, s.converge(ctx, user, app, ap, live, r, v)
		}
		if err := inProgress(live, opts); err != nil {
			return nil, err
		}
	}
	if err := s.ensureLogGroup(ctx, user, app, rd, r, v); err != nil {
		return nil, err
	}
	if ap.beforeScaling, err = s.readScaling(ctx, app); err != nil {
		return nil, err
	}

	// The task definition: the newest revision of the family when it already is this spec
	// (e.g. after a rollback) and was registered for this cluster, else a new revision.
	tdArn := ""
	if latest, tags, err := s.taskDefinition(ctx, app.Name); err == nil && latest.Status != types.TaskDefinitionStatusInactive &&
		sameRevision(latest, tags, rd) && tagValue(tags, ClusterTag) == app.ECS.Cluster {
		tdArn = aws.ToString(latest.TaskDefinitionArn)
		r.Report(s.event(app, target.Pending, fmt.Sprintf("task definition %s already holds spec %s; not registering another", Revision(tdArn), rd.Hash)))
	} else {
		if err := mayWrite(user, v); err != nil {
			return nil, err
		}
		out, err := s.ecs.RegisterTaskDefinition(ctx, rd.TaskDefinition)
		if err != nil {
			return nil, apiError("ecs RegisterTaskDefinition", "family "+app.Name, err)
		}
		tdArn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		v.Applied = append(v.Applied, "task definition "+Revision(tdArn))
		r.Report(s.event(app, target.Pending, "registered task definition "+Revision(tdArn)))
	}

	if err := mayWrite(user, v); err != nil {
		return nil, err
	}
	regs, err := s.ensureDiscovery(ctx, app, r, v)
	if err != nil {
		return nil, err
	}
	rd.Service.ServiceRegistries = regs
	ap.ro = Rollout{TaskDefinition: tdArn}
	if live == nil {
		in := *rd.Service
		in.TaskDefinition = aws.String(tdArn)
		out, err := s.ecs.CreateService(ctx, &in)
		if err != nil {
			return nil, apiError("ecs CreateService", "service "+app.Name+" in "+s.where(app), err)
		}
		ap.ro.Deployment = primaryOn(out.Service, tdArn)
		v.Applied = append(v.Applied, "service "+app.Name+" (created)")
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("created service %s in %s with %s, %d desired",
			app.Name, s.where(app), Revision(tdArn), aws.ToInt32(rd.Service.DesiredCount))))
	} else {
		ap.before = live
		ap.ro.Previous = aws.ToString(live.TaskDefinition)
		in := updateInput(rd, live, tdArn, app.Autoscale != nil)
		in.ServiceRegistries = regs
		if regs == nil && len(live.ServiceRegistries) > 0 {
			in.ServiceRegistries = []types.ServiceRegistry{} // the spec no longer registers it
		}
		out, err := s.ecs.UpdateService(ctx, in)
		if err != nil {
			return nil, apiError("ecs UpdateService", "service "+app.Name+" in "+s.where(app), err)
		}
		ap.ro.Deployment = primaryOn(out.Service, tdArn)
		v.Applied = append(v.Applied, "service "+app.Name+" (updated)")
		desired := fmt.Sprintf("%d desired", aws.ToInt32(in.DesiredCount))
		if in.DesiredCount == nil {
			desired = fmt.Sprintf("desired count %d kept (autoscaling owns it)", live.DesiredCount)
		}
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("updated service %s: %s → %s, %s",
			app.Name, Revision(ap.ro.Previous), Revision(tdArn), desired)))
		// The service's tags, and the revision it ran until now: rollback's default target.
		tags := rd.Service.Tags
		if ap.ro.Previous != tdArn {
			tags = withTag(tags, PreviousTag, Revision(ap.ro.Previous))
		}
		if err := s.tagService(ctx, app, live, tags); err != nil {
			return nil, err
		}
	}
	if err := s.applyScaling(ctx, app, rd, ap.beforeScaling, r, v); err != nil {
		return nil, err
	}
	return ap, nil
}

// converge is apply when the service already runs this spec's task definition: nothing is
// registered and no deployment is started for it. What a deploy sets besides the task
// definition is still made to match the spec, each only when it differs: an earlier deploy
// may have stopped half way (UpdateService done, tagging or autoscaling failed), and a
// rollback (shipit's, or ECS's circuit breaker) puts back a task definition only. That is
// the log group, the Cloud Map service, the service's settings (desired count without
// autoscale, network, deployment configuration, load balancers, registries), the service's
// tags and the autoscaling.
func (s *Session) converge(ctx, user context.Context, app *spec.App, ap *applied, live *types.Service, r target.Reporter, v *target.Verdict) error {
	rd := ap.rd
	liveTD := aws.ToString(live.TaskDefinition)
	ap.live = true
	ap.ro = Rollout{TaskDefinition: liveTD}
	if err := s.ensureLogGroup(ctx, user, app, rd, r, v); err != nil {
		return err
	}
	regs, err := s.ensureDiscovery(ctx, app, r, v)
	if err != nil {
		return err
	}
	rd.Service.ServiceRegistries = regs
	if keys := settingsDrift(live, rd.Service, app); len(keys) > 0 {
		if err := mayWrite(user, v); err != nil {
			return err
		}
		in := &ecs.UpdateServiceInput{Cluster: aws.String(app.ECS.Cluster), Service: aws.String(app.Name)}
		setSettings(in, keys, rd.Service)
		out, err := s.ecs.UpdateService(ctx, in)
		if err != nil {
			return apiError("ecs UpdateService", "service "+app.Name+" in "+s.where(app), err)
		}
		// A new deployment on the same task definition: what ran before is that task
		// definition too, so a circuit-breaker rollback (back to the deployment before,
		// same revision) is told from a failure by the deployments, not the revision.
		ap.ro.Deployment = primaryOn(out.Service, liveTD)
		ap.ro.Previous = liveTD
		names := settingNames(keys)
		v.Applied = append(v.Applied, "service "+app.Name+" settings ("+names+")")
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("service %s differed from the spec in: %s; updated them (the task definition stays %s)", app.Name, names, Revision(liveTD))))
	}
	if !sameTags(live.Tags, rd.Service.Tags) {
		if err := mayWrite(user, v); err != nil {
			return err
		}
		if err := s.tagService(ctx, app, live, rd.Service.Tags); err != nil {
			return err
		}
		v.Applied = append(v.Applied, "service "+app.Name+" tags")
		r.Report(s.event(app, target.Progressing, "tagged service "+app.Name+" as the spec says"))
	}
	scaling, err := s.readScaling(ctx, app)
	if err != nil {
		return err
	}
	if err := s.applyScaling(ctx, app, rd, scaling, r, v); err != nil {
		return err
	}
	v.Unchanged = len(v.Applied) == 0
	if v.Unchanged {
		r.Report(s.event(app, target.Pending, fmt.Sprintf("nothing changed: spec %s is live as %s in %s; nothing registered or updated",
			rd.Hash, Revision(liveTD), s.where(app))))
	} else {
		r.Report(s.event(app, target.Pending, fmt.Sprintf("spec %s is live as %s in %s: no new revision; re-applied what did not match it: %s",
			rd.Hash, Revision(liveTD), s.where(app), strings.Join(v.Applied, ", "))))
	}
	return nil
}

// mayWrite stops a deploy that was interrupted before its first write, and otherwise marks
// the write about to start (from then on an interrupt lets the apply finish).
func mayWrite(user context.Context, v *target.Verdict) error {
	if !target.BeginWrite(user) && len(v.Applied) == 0 {
		return errInterrupted
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
		return apiError("ecs TagResource", "service "+app.Name, err)
	}
	return nil
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

// settingKeys are the service settings a deploy sets besides the task definition, by their
// names in the rendered service.json. The capacity (launch type or capacity provider
// strategy) is not among them: UpdateService cannot move a service back to a launch type.
var settingKeys = []string{"desiredCount", "networkConfiguration", "deploymentConfiguration",
	"healthCheckGracePeriodSeconds", "loadBalancers", "serviceRegistries"}

var settingName = map[string]string{
	"desiredCount": "desired count", "networkConfiguration": "network configuration",
	"deploymentConfiguration": "deployment configuration", "healthCheckGracePeriodSeconds": "health check grace period",
	"loadBalancers": "load balancers", "serviceRegistries": "Cloud Map registries",
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
		}
	}
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

// autoRollback returns the service to what it was before, after shipit itself declared the
// rollout failed, and watches that rollback to its own verdict: RolledBack (exit 4) when it
// completes. Besides the task definition it restores what the failed deploy changed of the
// service's settings (desired count, network, deployment configuration, load balancers,
// registries), its tags and its autoscaling; it leaves a log group or Cloud Map service the
// deploy created, and cannot undo a move to a capacity provider strategy.
func (s *Session) autoRollback(ctx context.Context, app *spec.App, v *target.Verdict, failed Decision, ap *applied, timeout time.Duration, r target.Reporter) (*target.Verdict, error) {
	ro := ap.ro
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("rolling back to %s (rollout.autoRollback)", Revision(ro.Previous))))
	target.Step(ctx, "rolling back automatically to "+Revision(ro.Previous))
	actx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), applyTimeout)
	defer cancel()
	in := &ecs.UpdateServiceInput{
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(app.Name), TaskDefinition: aws.String(ro.Previous),
	}
	var restored, notRestored []string
	if ap.before != nil {
		if keys := settingsDrift(ap.before, ap.rd.Service, app); len(keys) > 0 {
			setSettings(in, keys, createInput(ap.before, app))
			restored = append(restored, settingNames(keys))
		}
	}
	out, err := s.ecs.UpdateService(actx, in)
	if err != nil {
		v.Message = failed.Message + "; the automatic rollback failed: " + apiError("ecs UpdateService", "service "+app.Name, err).Error()
		return v, nil
	}
	v.Applied = append(v.Applied, "service "+app.Name+" (rolled back to "+Revision(ro.Previous)+")")
	if ap.before != nil {
		switch changed, err := s.restoreTags(actx, app, ap.before, ap.rd, ro); {
		case err != nil:
			notRestored = append(notRestored, "service tags ("+err.Error()+")")
		case changed:
			restored = append(restored, "service tags")
		}
	}
	switch changed, err := s.restoreScaling(actx, app, ap.beforeScaling, ap.rd); {
	case err != nil:
		notRestored = append(notRestored, "autoscaling ("+err.Error()+")")
	case changed:
		restored = append(restored, "autoscaling")
	}
	if len(restored) > 0 {
		v.Applied = append(v.Applied, "restored "+strings.Join(restored, ", "))
		r.Report(s.event(app, target.Progressing, "restored what the failed deploy had changed besides the task definition: "+strings.Join(restored, ", ")))
	}
	back := Rollout{TaskDefinition: ro.Previous, Previous: ro.TaskDefinition, Deployment: primaryOn(out.Service, ro.Previous)}
	target.Step(ctx, "watching the automatic rollback to "+Revision(ro.Previous))
	dec, err := s.watch(ctx, app, back, timeout, ap.seen, r)
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
	if len(restored) > 0 {
		v.Message += "; also restored " + strings.Join(restored, ", ")
	}
	if len(notRestored) > 0 {
		v.Message += "; could not restore " + strings.Join(notRestored, ", ")
	}
	return v, nil
}

// restoreTags puts the service's tags back as they were before a deploy set rd's (and the
// previous-revision tag): keys the deploy added are removed, values it changed restored.
func (s *Session) restoreTags(ctx context.Context, app *spec.App, before *types.Service, rd *Rendered, ro Rollout) (bool, error) {
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
			return false, apiError("ecs TagResource", "service "+app.Name, err)
		}
		changed = true
	}
	if len(drop) > 0 {
		if _, err := s.ecs.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: drop}); err != nil {
			return false, apiError("ecs UntagResource", "service "+app.Name, err)
		}
	}
	return changed, nil
}

// Rollback is `shipit rollback`: put the previous (or the given) task definition revision
// back on the service and watch it like a deploy. Only the task definition changes: the
// service's other settings and its autoscaling stay as the last deploy set them (deploying
// the older spec again makes them match it, see converge).
func (s *Session) Rollback(ctx context.Context, app *spec.App, opts target.RollbackOptions, r target.Reporter) (*target.Verdict, error) {
	s.defaults()
	live, err := s.describeService(ctx, app, true)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return nil, fmt.Errorf("ecs: service %s is not deployed in %s; nothing to roll back", app.Name, s.where(app))
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
		Cluster: aws.String(app.ECS.Cluster), Service: aws.String(app.Name), TaskDefinition: aws.String(to),
	})
	if err != nil {
		return nil, apiError("ecs UpdateService", "service "+app.Name+" in "+s.where(app), err)
	}
	v.Applied = []string{"service " + app.Name + " (" + Revision(current) + " → " + Revision(to) + ")"}
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("rolling back service %s: %s → %s (%s)", app.Name, Revision(current), Revision(to), why)))
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
			ref = app.Name + ":" + to
		}
		td, tags, err := s.taskDefinition(ctx, ref)
		if err != nil {
			return "", "", fmt.Errorf("rollback --to %s: %w", to, err)
		}
		if f := aws.ToString(td.Family); f != app.Name {
			return "", "", &target.UsageError{Msg: fmt.Sprintf("rollback --to %s: that task definition is of family %s, not %s", to, f, app.Name)}
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
		if err == nil && td.Status == types.TaskDefinitionStatusActive && aws.ToString(td.Family) == app.Name {
			return aws.ToString(td.TaskDefinitionArn), "the revision the service ran before the last deploy", nil
		}
	}
	arns, err := s.revisions(ctx, app.Name, types.TaskDefinitionStatusActive)
	if err != nil {
		return "", "", err
	}
	_, cur := splitRevision(Revision(current))
	skipped := 0
	for _, a := range arns {
		if _, n := splitRevision(Revision(a)); n >= cur {
			continue
		}
		_, tags, err := s.taskDefinition(ctx, a)
		if err != nil {
			return "", "", err
		}
		if tagValue(tags, ClusterTag) == app.ECS.Cluster {
			return a, "the newest older revision registered for cluster " + app.ECS.Cluster, nil
		}
		skipped++
	}
	msg := fmt.Sprintf("ecs: no active revision of %s older than the live %s registered for cluster %s to roll back to", app.Name, Revision(current), app.ECS.Cluster)
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d older ones belong to other clusters or carry no %s tag)", skipped, ClusterTag)
	}
	return "", "", fmt.Errorf("%s; name one with --to", msg)
}

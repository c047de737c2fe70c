package eks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// rolledBackHash replaces the spec hash on a Deployment that was rolled back: the live state
// no longer matches any spec, so the next deploy of the same spec applies again.
const rolledBackHash = "rolled-back"

// Deploy applies the render and watches the rollout (design §6).
func (s *Session) Deploy(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
	rendered, err := Render(app)
	if err != nil {
		return nil, err
	}
	objs, err := objects(rendered)
	if err != nil {
		return nil, err
	}
	target.Step(ctx, "reading what is live in "+s.where)
	objs, notes, err := s.preflight(ctx, objs)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		r.Report(s.event(app, target.Pending, n))
	}
	ns := app.EKS.Namespace
	v := &target.Verdict{Target: spec.TargetEKS, App: app.Name}
	hash := app.HashFor(spec.TargetEKS)
	if s.unchanged(ctx, objs, hash) {
		v.Unchanged = true
		r.Report(s.event(app, target.Pending, fmt.Sprintf("nothing changed (spec %s is live in %s); nothing applied", hash, ns)))
	} else {
		r.Report(s.event(app, target.Pending, fmt.Sprintf("applying %d objects to namespace %s (%s)", len(objs), ns, s.where)))
		target.Step(ctx, "applying to namespace "+ns)
		release, err := s.write(ctx, app, objs, opts, r, v)
		if release != nil {
			defer release()
		}
		if errors.Is(err, errInterrupted) {
			v.Phase, v.Message = target.Canceled, err.Error()
			return v, nil
		}
		if err != nil {
			return nil, err
		}
	}
	// Read back even when interrupted meanwhile: the verdict names the live revision.
	gctx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), 30*time.Second)
	defer cancel()
	d, err := s.cs.AppsV1().Deployments(ns).Get(gctx, app.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	if ctx.Err() != nil {
		s.fill(ctx, v, app, Decision{Phase: target.Canceled})
		return v, nil
	}
	if opts.NoWait {
		v.Phase, v.Message = target.Succeeded, "applied; not watching (--no-wait)"
		v.Revision = d.Annotations[RevisionAnnotation]
		s.pruneAfter(ctx, app, objs, v, r) // as `helm upgrade` without --wait
		return v, nil
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = app.RolloutTimeout()
	}
	target.Step(ctx, "watching the rollout of deployment "+ns+"/"+app.Name)
	dec := s.watch(ctx, app, app.Name, ns, d.Generation, hash, timeout, r)
	s.fill(ctx, v, app, dec)
	s.pruneAfter(ctx, app, objs, v, r)
	if v.Unchanged && dec.Phase == target.Succeeded {
		v.Message = "nothing changed; " + v.Message
	}
	if dec.Phase == target.Failed && app.AutoRollback() && !v.Unchanged && !dec.Replaced {
		return s.autoRollback(ctx, app, v, dec, timeout, r)
	}
	return v, nil
}

// errInterrupted is a Ctrl-C that came before anything was written.
var errInterrupted = errors.New("interrupted before anything was written")

// write applies the render under the deploy lock: the switch into or out of autoscaling, the
// apply, then the pruning of what the spec no longer has. It fills v.Applied. The returned
// release ends the lock once the verdict is in; it is nil when no lock was taken.
func (s *Session) write(ctx context.Context, app *spec.App, objs []object, opts target.DeployOptions, r target.Reporter, v *target.Verdict) (func(), error) {
	sw, err := s.scalingSwitchFor(ctx, app)
	if err != nil {
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		return nil, err
	}
	if d := deploymentOf(objs); d != nil && sw == outOfAutoscaling {
		d.takeReplicas = true
	}
	var release func()
	beforeWrite := func(wctx context.Context) (err error) {
		// Taking the lock may wait (an expired lock is checked for a renewal): Ctrl-C may
		// stop that, as nothing of the app is written yet. The hand-over is a write.
		if release, err = s.lock(ctx, app, "deploy", opts.ForceConflicts, s.noter(app, r)); err != nil || sw != intoAutoscaling {
			return err
		}
		note, err := s.handOver(wctx, app)
		if note != "" {
			r.Report(s.event(app, target.Progressing, note))
		}
		return err
	}
	applied, err := s.applyAll(ctx, objs, opts.ForceConflicts, beforeWrite)
	v.Applied = applied
	switch {
	case err != nil && len(applied) == 0 && ctx.Err() != nil:
		return release, errInterrupted // Ctrl-C during the dry run
	case err != nil && len(applied) == 0:
		return release, fmt.Errorf("%w\nnothing was applied", err)
	case err != nil:
		return release, fmt.Errorf("%w\napplied before the failure: %s", err, strings.Join(applied, ", "))
	}
	r.Report(s.event(app, target.Progressing, "applied "+strings.Join(applied, ", ")))
	// An HPA the spec no longer has goes at once: left in place, it would go on scaling the
	// count the spec now sets. The rest waits for the verdict (pruneAfter).
	s.pruneReport(ctx, app, objs, func(kind string) bool { return kind == "HorizontalPodAutoscaler" }, v, r)
	return release, nil
}

// pruneAfter deletes what the spec no longer renders once the rollout has succeeded: until
// then an automatic rollback may need it (the old pods' claim, secret or service account).
func (s *Session) pruneAfter(ctx context.Context, app *spec.App, objs []object, v *target.Verdict, r target.Reporter) {
	if v.Phase == target.Succeeded {
		s.pruneReport(ctx, app, objs, func(string) bool { return true }, v, r)
	}
}

// pruneReport prunes the given kinds and adds what it deleted to the verdict. A failure is
// reported and left for the next deploy: the rollout's verdict stands.
func (s *Session) pruneReport(ctx context.Context, app *spec.App, objs []object, kinds func(string) bool, v *target.Verdict, r target.Reporter) {
	// Part of the write: not cut short by Ctrl-C.
	pctx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), time.Minute)
	defer cancel()
	pruned, err := s.prune(pctx, app, objs, kinds)
	for _, p := range pruned {
		v.Applied = append(v.Applied, "deleted "+p)
	}
	if len(pruned) > 0 {
		v.Unchanged = false
		r.Report(s.event(app, target.Progressing, "deleted what the spec no longer has: "+strings.Join(pruned, ", ")))
	}
	if err != nil {
		r.Report(s.event(app, target.Progressing, "could not delete what the spec no longer has (the next deploy tries again): "+err.Error()))
	}
}

// fill copies a decision into a verdict and records the live revision.
func (s *Session) fill(ctx context.Context, v *target.Verdict, app *spec.App, dec Decision) {
	v.Phase, v.Message, v.Desired, v.Ready = dec.Phase, dec.Message, dec.Desired, dec.Ready
	if d, err := s.cs.AppsV1().Deployments(app.EKS.Namespace).Get(target.WithoutInterrupt(ctx), app.Name, metav1.GetOptions{}); err == nil {
		v.Revision = d.Annotations[RevisionAnnotation]
		if len(d.Spec.Template.Spec.Containers) > 0 {
			v.Image = d.Spec.Template.Spec.Containers[0].Image
		}
	}
	if dec.Phase == target.Canceled {
		v.Message = "interrupted: stopped watching; the rollout goes on in the cluster"
	}
}

// autoRollback returns to the previous revision after shipit declared the rollout failed,
// and watches that rollback to its own verdict: RolledBack (exit 4) when it succeeds.
func (s *Session) autoRollback(ctx context.Context, app *spec.App, v *target.Verdict, failed Decision, timeout time.Duration, r target.Reporter) (*target.Verdict, error) {
	target.Step(ctx, "rolling back automatically")
	rev, gen, err := s.undo(target.WithoutInterrupt(ctx), app, "")
	if err != nil {
		v.Message = failed.Message + "; automatic rollback failed: " + err.Error()
		return v, nil
	}
	r.Report(s.event(app, target.Progressing, "rolling back to revision "+rev))
	target.Step(ctx, "watching the automatic rollback to revision "+rev)
	dec := s.watch(ctx, app, app.Name, app.EKS.Namespace, gen, rolledBackHash, timeout, r)
	s.fill(ctx, v, app, dec)
	v.RolledBackTo = rev
	switch dec.Phase {
	case target.Succeeded:
		v.Phase = target.RolledBack
		v.Message = fmt.Sprintf("%s; rolled back to revision %s (%d/%d ready)", failed.Message, rev, dec.Ready, dec.Desired)
	case target.Canceled:
		v.Message = fmt.Sprintf("%s; the rollback to revision %s was started, then the watch was interrupted: it goes on in the cluster", failed.Message, rev)
	default:
		v.Phase = target.Failed
		v.Message = fmt.Sprintf("%s; the rollback to revision %s did not finish either: %s", failed.Message, rev, dec.Message)
	}
	return v, nil
}

// undo puts a previous ReplicaSet's pod template back on the Deployment, as `kubectl rollout
// undo` does: the revision `to`, or the newest one before the current. It returns the
// revision and the Deployment's new generation.
func (s *Session) undo(ctx context.Context, app *spec.App, to string) (string, int64, error) {
	ns := app.EKS.Namespace
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		return "", 0, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", 0, err
	}
	list, err := s.cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", 0, fmt.Errorf("list replicasets: %w", err)
	}
	current := revisionNumber(d)
	var pick *appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		if !ownedBy(rs, d) {
			continue
		}
		n := revisionNumber(rs)
		if to != "" {
			if rs.Annotations[RevisionAnnotation] == to {
				pick = rs
			}
			continue
		}
		if n < current && (pick == nil || n > revisionNumber(pick)) {
			pick = rs
		}
	}
	if pick == nil {
		if l := d.Spec.RevisionHistoryLimit; l != nil && *l == 0 {
			return "", 0, fmt.Errorf("deployment %s keeps no old revisions (eks.revisionHistoryLimit: 0): there is nothing to roll back to; deploy the previous version instead, and keep at least 1 revision to be able to roll back", app.Name)
		}
		if to != "" {
			return "", 0, fmt.Errorf("revision %s of deployment %s not found (see `shipit status` for the revisions kept)", to, app.Name)
		}
		return "", 0, fmt.Errorf("deployment %s has no revision before %d to return to", app.Name, current)
	}
	tmpl := pick.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	gen, err := s.applyTemplate(ctx, app, tmpl)
	if err != nil {
		return "", 0, err
	}
	return pick.Annotations[RevisionAnnotation], gen, nil
}

// applyTemplate server-side applies the app's Deployment with another pod template, as field
// manager "shipit" like every deploy: a JSON patch would record a second owner ("shipit",
// Update) and the next deploy would conflict with it. The spec hash is replaced, since the
// live state now matches no spec.
func (s *Session) applyTemplate(ctx context.Context, app *spec.App, tmpl *corev1.PodTemplateSpec) (int64, error) {
	rendered, err := Render(app)
	if err != nil {
		return 0, err
	}
	objs, err := objects(rendered)
	if err != nil {
		return 0, err
	}
	d := deploymentOf(objs)
	t, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tmpl)
	if err != nil {
		return 0, err
	}
	unstructured.RemoveNestedField(t, "metadata", "creationTimestamp")
	if err := unstructured.SetNestedMap(d.u.Object, t, "spec", "template"); err != nil {
		return 0, err
	}
	ann := d.u.GetAnnotations()
	ann[spec.HashAnnotation] = rolledBackHash
	d.u.SetAnnotations(ann)
	// Force: the template is shipit's own; a rollback must not stop on a field someone
	// edited by hand since.
	res, err := d.client(s.dyn).Apply(ctx, app.Name, d.u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return 0, fmt.Errorf("roll back deployment %s: %w", app.Name, err)
	}
	return res.GetGeneration(), nil
}

// Rollback is `shipit rollback`: undo, then watch.
func (s *Session) Rollback(ctx context.Context, app *spec.App, opts target.RollbackOptions, r target.Reporter) (*target.Verdict, error) {
	release, err := s.lock(ctx, app, "rollback", false, s.noter(app, r))
	if err != nil {
		return nil, err
	}
	defer release()
	rev, gen, err := s.undo(ctx, app, opts.To)
	if err != nil {
		return nil, err
	}
	v := &target.Verdict{Target: spec.TargetEKS, App: app.Name, RolledBackTo: rev, Applied: []string{"Deployment/" + app.Name}}
	r.Report(s.event(app, target.Progressing, "rolling back to revision "+rev))
	if opts.NoWait {
		v.Phase, v.Message = target.Succeeded, "rollback to revision "+rev+" applied; not watching (--no-wait)"
		return v, nil
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = app.RolloutTimeout()
	}
	dec := s.watch(ctx, app, app.Name, app.EKS.Namespace, gen, rolledBackHash, timeout, r)
	s.fill(ctx, v, app, dec)
	if dec.Phase == target.Succeeded {
		v.Message = fmt.Sprintf("rolled back to the template of revision %s (now revision %s): %d/%d ready", rev, v.Revision, dec.Ready, dec.Desired)
	}
	return v, nil
}

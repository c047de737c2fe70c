// This file holds the rollbacks: shipit's automatic one after a failed rollout, and `shipit
// rollback`, both by putting an earlier ReplicaSet's pod template back.

package eks

import (
	"context"
	"fmt"
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

// autoRollback returns to the previous revision after shipit declared the rollout failed,
// and watches that rollback to its own verdict: RolledBack (exit 4) when it succeeds.
func (s *Session) autoRollback(ctx context.Context, app *spec.App, v *target.Verdict, failed Decision, timeout time.Duration, r target.Reporter) *target.Verdict {
	target.Step(ctx, "rolling back automatically")
	rev, gen, err := s.undo(target.WithoutInterrupt(ctx), app, "")
	if err != nil {
		v.Message = failed.Message + "; automatic rollback failed: " + err.Error()
		return v
	}
	r.Report(s.event(app, target.Progressing, "rolling back to revision "+rev))
	target.Step(ctx, "watching the automatic rollback to revision "+rev)
	dec, err := s.watch(ctx, app, app.Name, app.EKS.Namespace, gen, rolledBackHash, timeout, r)
	if err != nil {
		v.Message = failed.Message + "; watching the automatic rollback: " + err.Error()
		return v
	}
	s.fill(ctx, v, app, dec)
	v.RolledBackTo = rev
	target.AfterAutoRollback(v, target.AutoRollback{Failed: failed.Message, To: "revision " + rev, Where: "the cluster", Counted: "ready",
		Phase: dec.Phase, Message: dec.Message, Desired: dec.Desired, Ready: dec.Ready})
	return v
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
	objs, err := renderedObjects(app)
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
	timeout := target.RolloutTimeout(opts.Timeout, app)
	dec, err := s.watch(ctx, app, app.Name, app.EKS.Namespace, gen, rolledBackHash, timeout, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollback: %w", err)
	}
	s.fill(ctx, v, app, dec)
	if dec.Phase == target.Succeeded {
		v.Message = fmt.Sprintf("rolled back to the template of revision %s (now revision %s): %d/%d ready", rev, v.Revision, dec.Ready, dec.Desired)
	}
	return v, nil
}

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

// RestoredHashAnnotation on a Deployment that was rolled back holds the spec hash of the
// revision whose pod template came back. The Deployment controller copies the Deployment's
// annotations to its current ReplicaSet, overwriting the spec hash there with rolledBackHash;
// this one keeps, on that ReplicaSet, which spec its template came from, for `shipit
// history`. The next deploy's apply, which does not carry it, removes it from the Deployment.
const RestoredHashAnnotation = "shipit.dev/restored-spec-hash"

// specHashOf is the hash of the spec a ReplicaSet's template was deployed from: the spec hash
// the Deployment controller copied to it, or after a rollback the one it restored.
func specHashOf(rs *appsv1.ReplicaSet) string { return deployedHash(rs.Annotations) }

// deployedHash reads the spec hash from a Deployment's or ReplicaSet's annotations; after a
// rollback it is the restored revision's hash rather than the rolledBackHash placeholder.
func deployedHash(ann map[string]string) string {
	if h := ann[spec.HashAnnotation]; h != rolledBackHash || ann[RestoredHashAnnotation] == "" {
		return h
	}
	return ann[RestoredHashAnnotation]
}

// autoRollback returns to the previous revision after shipit declared the rollout failed,
// and watches that rollback to its own verdict: RolledBack (exit 4) when it succeeds.
func (s *Session) autoRollback(ctx context.Context, app *spec.App, v *target.Verdict, failed Decision, timeout time.Duration, r target.Reporter) *target.Verdict {
	target.Step(ctx, "rolling back automatically")
	rev, gen, err := s.undo(target.WithoutInterrupt(ctx), app, "")
	if err != nil {
		v.Message = failed.Message + "; automatic rollback failed: " + err.Error()
		return v
	}
	// The step first: an interrupt that comes once the event is out names the watch.
	target.Step(ctx, "watching the automatic rollback to revision "+rev)
	r.Report(s.event(app, target.Progressing, "rolling back to revision "+rev))
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
	pick, _, err := s.pickRevision(ctx, app, to)
	if err != nil {
		return "", 0, err
	}
	return s.restore(ctx, app, pick)
}

// pickRevision finds the ReplicaSet a rollback returns to: the one of revision `to` (the
// Deployment's revision number, as `shipit history` prints it), or without it the newest one
// before the current. It also returns the Deployment's current ReplicaSet (nil before the
// controller made one).
func (s *Session) pickRevision(ctx context.Context, app *spec.App, to string) (pick, current *appsv1.ReplicaSet, err error) {
	ns := app.EKS.Namespace
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	rss, err := s.replicaSetsOf(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	currentRev := revisionNumber(d)
	for _, rs := range rss {
		n := revisionNumber(rs)
		if to != "" {
			if rs.Annotations[RevisionAnnotation] == to {
				pick = rs
			}
			continue
		}
		if n < currentRev && (pick == nil || n > revisionNumber(pick)) {
			pick = rs
		}
	}
	if pick == nil {
		if l := d.Spec.RevisionHistoryLimit; l != nil && *l == 0 {
			return nil, nil, fmt.Errorf("deployment %s keeps no old revisions (eks.revisionHistoryLimit: 0): there is nothing to roll back to; deploy the previous version instead, and keep at least 1 revision to be able to roll back", app.Name)
		}
		if to != "" {
			return nil, nil, fmt.Errorf("revision %s of deployment %s not found (`shipit history` lists the revisions kept)", to, app.Name)
		}
		return nil, nil, fmt.Errorf("deployment %s has no revision before %d to return to", app.Name, currentRev)
	}
	return pick, NewReplicaSet(d, rss), nil
}

// replicaSetsOf lists the ReplicaSets the Deployment owns.
func (s *Session) replicaSetsOf(ctx context.Context, d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	list, err := s.cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list replicasets: %w", err)
	}
	var rss []*appsv1.ReplicaSet
	for i := range list.Items {
		if ownedBy(&list.Items[i], d) {
			rss = append(rss, &list.Items[i])
		}
	}
	return rss, nil
}

// restore applies the ReplicaSet's pod template to the Deployment and returns its revision
// and the Deployment's new generation.
func (s *Session) restore(ctx context.Context, app *spec.App, rs *appsv1.ReplicaSet) (string, int64, error) {
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	gen, err := s.applyTemplate(ctx, app, tmpl, specHashOf(rs))
	if err != nil {
		return "", 0, err
	}
	return rs.Annotations[RevisionAnnotation], gen, nil
}

// applyTemplate server-side applies the app's Deployment with another pod template, as field
// manager "shipit" like every deploy: a JSON patch would record a second owner ("shipit",
// Update) and the next deploy would conflict with it. The spec hash is replaced, since the
// live state now matches no spec; restoredHash, the hash of the spec the template was first
// deployed from, goes under RestoredHashAnnotation.
func (s *Session) applyTemplate(ctx context.Context, app *spec.App, tmpl *corev1.PodTemplateSpec, restoredHash string) (int64, error) {
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
	if restoredHash != "" {
		ann[RestoredHashAnnotation] = restoredHash
	}
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
	pick, current, err := s.pickRevision(ctx, app, opts.To)
	if err != nil {
		return nil, err
	}
	if pick == current {
		// Only --to can name the current revision. Applying its own template again would
		// change nothing but the spec hash, which would make the next deploy apply for nothing.
		rev := pick.Annotations[RevisionAnnotation]
		return &target.Verdict{Target: spec.TargetEKS, App: app.Name, Phase: target.Succeeded, Unchanged: true, Revision: rev, RolledBackTo: rev,
			Message: "revision " + rev + " is already the live revision; nothing changed"}, nil
	}
	rev, gen, err := s.restore(ctx, app, pick)
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

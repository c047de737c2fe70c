package eks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Deploy applies the render and watches the rollout (docs/architecture.md, "Rollout rules").
func (s *Session) Deploy(ctx context.Context, app *spec.App, opts target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
	objs, err := renderedObjects(app)
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
		if errors.Is(err, target.ErrInterrupted) {
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
	timeout := target.RolloutTimeout(opts.Timeout, app)
	target.Step(ctx, "watching the rollout of deployment "+ns+"/"+app.Name)
	dec, err := s.watch(ctx, app, app.Name, ns, d.Generation, hash, timeout, r)
	if err != nil {
		return nil, fmt.Errorf("watching the rollout: %w\napplied: %s", err, strings.Join(v.Applied, ", "))
	}
	s.fill(ctx, v, app, dec)
	s.pruneAfter(ctx, app, objs, v, r)
	if v.Unchanged && dec.Phase == target.Succeeded {
		v.Message = "nothing changed; " + v.Message
	}
	if dec.Phase == target.Failed && app.AutoRollback() && !v.Unchanged && !dec.Replaced {
		return s.autoRollback(ctx, app, v, dec, timeout, r), nil
	}
	return v, nil
}

// write applies the render under the deploy lock: the switch into or out of autoscaling, the
// apply, then the pruning of what the spec no longer has. It fills v.Applied. The returned
// release ends the lock once the verdict is in; it is nil when no lock was taken.
func (s *Session) write(ctx context.Context, app *spec.App, objs []object, opts target.DeployOptions, r target.Reporter, v *target.Verdict) (func(), error) {
	sw, err := s.scalingSwitchFor(ctx, app)
	if err != nil {
		if ctx.Err() != nil {
			return nil, target.ErrInterrupted
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
		return release, target.ErrInterrupted // Ctrl-C during the dry run
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
	// The revision whose pods' logs tell why (shipit logs --revision N): the first watch's,
	// kept through the automatic rollback's watch; none when another deploy replaced ours.
	if (dec.Phase == target.Failed || dec.Phase == target.RolledBack || dec.Phase == target.TimedOut) && v.FailedRevision == "" && !dec.Replaced {
		v.FailedRevision = v.Revision
	}
}

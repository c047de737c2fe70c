// This file holds `shipit history` on Kubernetes: the ReplicaSets of the app's Deployment,
// one per revision, and which of them is current.

package eks

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.HistoryReader = (*Session)(nil)

// History lists the revisions the Deployment keeps (its ReplicaSets, eks.revisionHistoryLimit
// old ones at most), newest first, up to opts.Limit; the current one and any still running
// pods are always listed. The live one is the Deployment's current ReplicaSet: "rolling out"
// until the rule of `kubectl rollout status` says it is done (Evaluate), "failed" when the
// rollout is; an older one that still has pods is "draining".
func (s *Session) History(ctx context.Context, app *spec.App, opts target.HistoryOptions) (*target.History, error) {
	ns := app.EKS.Namespace
	h := &target.History{Target: spec.TargetEKS, App: app.Name, Where: fmt.Sprintf("namespace %s, %s", ns, s.where)}
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	rss, err := s.replicaSetsOf(ctx, d)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rss, func(i, j int) bool { return revisionNumber(rss[i]) > revisionNumber(rss[j]) })
	current := NewReplicaSet(d, rss)
	liveState := target.RevisionRollingOut
	switch Evaluate(d, rss, nil).Phase {
	case target.Succeeded:
		liveState = target.RevisionLive
	case target.Failed:
		liveState = target.RevisionFailed
	}
	for i, rs := range rss {
		running := rs.Status.Replicas > 0 || (rs.Spec.Replicas != nil && *rs.Spec.Replicas > 0)
		if opts.Limit > 0 && i >= opts.Limit && rs != current && !running {
			h.More = true
			continue
		}
		r := replicaSetRevision(app, rs)
		switch {
		case rs == current:
			r.Live, r.State = true, liveState
		case running:
			r.State = target.RevisionDraining
		}
		h.Revisions = append(h.Revisions, r)
	}
	return h, nil
}

// replicaSetRevision is one ReplicaSet as history shows it.
func replicaSetRevision(app *spec.App, rs *appsv1.ReplicaSet) target.Revision {
	r := target.Revision{
		Revision:   rs.Annotations[RevisionAnnotation],
		Deployed:   rs.CreationTimestamp.UTC(),
		SpecHash:   specHashOf(rs),
		ID:         "replicaset/" + rs.Name,
		Containers: []target.ContainerImage{},
	}
	cs := rs.Spec.Template.Spec.Containers
	main := 0
	for i, c := range cs {
		if c.Name == app.MainContainer() {
			main = i
			break
		}
	}
	if len(cs) > 0 {
		r.Image = cs[main].Image
		r.Containers = append(r.Containers, target.ContainerImage{Name: cs[main].Name, Image: cs[main].Image})
	}
	for i, c := range cs {
		if i != main {
			r.Containers = append(r.Containers, target.ContainerImage{Name: c.Name, Image: c.Image})
		}
	}
	return r
}

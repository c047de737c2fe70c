package eks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Status describes the live Deployment: revision, image and digest, counts, conditions, the
// ReplicaSets it keeps, and the last events of it and its pods.
func (s *Session) Status(ctx context.Context, app *spec.App) (*target.Status, error) {
	ns := app.EKS.Namespace
	st := &target.Status{Target: spec.TargetEKS, App: app.Name, Where: fmt.Sprintf("namespace %s, %s", ns, s.where)}
	d, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	st.Exists = true
	st.Revision = d.Annotations[RevisionAnnotation]
	st.SpecHash = deployedHash(d.Annotations)
	if len(d.Spec.Template.Spec.Containers) > 0 {
		st.Image = d.Spec.Template.Spec.Containers[0].Image
	}
	st.Desired = 1
	if d.Spec.Replicas != nil {
		st.Desired = int(*d.Spec.Replicas)
	}
	st.Updated, st.Ready, st.Available = int(d.Status.UpdatedReplicas), int(d.Status.ReadyReplicas), int(d.Status.AvailableReplicas)
	for _, c := range d.Status.Conditions {
		st.Conditions = append(st.Conditions, fmt.Sprintf("%s=%s (%s): %s", c.Type, c.Status, c.Reason, c.Message))
	}
	sel := labels.Set(SelectorLabels(app)).String()
	rsList, err := s.cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list replicasets: %w", err)
	}
	var rss []*appsv1.ReplicaSet
	for i := range rsList.Items {
		rss = append(rss, &rsList.Items[i])
	}
	sort.Slice(rss, func(i, j int) bool { return revisionNumber(rss[i]) > revisionNumber(rss[j]) })
	newRS := NewReplicaSet(d, rss)
	for _, rs := range rss {
		if !ownedBy(rs, d) {
			continue
		}
		state := "old"
		if rs == newRS {
			state = "current"
		}
		desired := 0
		if rs.Spec.Replicas != nil {
			desired = int(*rs.Spec.Replicas)
		}
		st.Rollouts = append(st.Rollouts, target.LiveDeployment{ID: "replicaset/" + rs.Name, Revision: rs.Annotations[RevisionAnnotation],
			Status: state, Desired: desired, Running: int(rs.Status.ReadyReplicas)})
	}
	pods, err := s.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	if newRS != nil {
		st.Digest = imageDigest(pods.Items, newRS.Labels[appsv1.DefaultDeploymentUniqueLabelKey], app.MainContainer())
	}
	st.DisruptionBudget = s.budgetStatus(ctx, app)
	st.Events = s.lastEvents(ctx, ns, d, rss, pods.Items, 8)
	st.InProgress = s.inProgress(ctx, app)
	return st, nil
}

// imageDigest is the digest the app container of a new pod actually runs (its imageID).
func imageDigest(pods []corev1.Pod, hash, container string) string {
	for _, p := range pods {
		if p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == container && cs.ImageID != "" {
				if i := strings.Index(cs.ImageID, "sha256:"); i >= 0 {
					return cs.ImageID[i:]
				}
				return cs.ImageID
			}
		}
	}
	return ""
}

// lastEvents are the newest events of the Deployment, its ReplicaSets and pods, oldest first.
func (s *Session) lastEvents(ctx context.Context, ns string, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, pods []corev1.Pod, n int) []string {
	names := map[string]bool{d.Name: true}
	for _, rs := range rss {
		names[rs.Name] = true
	}
	for _, p := range pods {
		names[p.Name] = true
	}
	evs, err := s.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var mine []corev1.Event
	for _, e := range evs.Items {
		if names[e.InvolvedObject.Name] {
			mine = append(mine, e)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return eventTime(mine[i]).Before(eventTime(mine[j])) })
	if len(mine) > n {
		mine = mine[len(mine)-n:]
	}
	var out []string
	for _, e := range mine {
		out = append(out, fmt.Sprintf("%s %s/%s %s: %s", eventTime(e).Format("15:04:05"), strings.ToLower(e.InvolvedObject.Kind), e.InvolvedObject.Name, e.Reason, strings.TrimSpace(e.Message)))
	}
	return out
}

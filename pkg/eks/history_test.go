package eks

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// created is when the ReplicaSet of revision rev was created: an hour apart, written in
// another zone than UTC.
func created(rev int) time.Time {
	return time.Date(2026, 3, 1, rev, 0, 0, 0, time.UTC).In(time.FixedZone("CET", 3600))
}

// podTemplate runs web:<rev> as the app container, after a log router.
func podTemplate(app *spec.App, rev int) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: SelectorLabels(app)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "log-router", Image: "fluent-bit:3"},
			{Name: "web", Image: fmt.Sprintf("registry.local/web:%d", rev)},
		}},
	}
}

// historyRS is the ReplicaSet of revision rev (named web-r<rev>), with spec hash h<rev> and
// replicas pods.
func historyRS(app *spec.App, rev int, replicas int32) *appsv1.ReplicaSet {
	tmpl := podTemplate(app, rev)
	hash := fmt.Sprintf("r%d", rev)
	tmpl.Labels = map[string]string{NameLabel: app.Name, appsv1.DefaultDeploymentUniqueLabelKey: hash}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "shop", CreationTimestamp: metav1.NewTime(created(rev)),
			Labels:          map[string]string{NameLabel: app.Name, appsv1.DefaultDeploymentUniqueLabelKey: hash},
			Annotations:     map[string]string{RevisionAnnotation: fmt.Sprint(rev), spec.HashAnnotation: fmt.Sprintf("h%d", rev)},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web", UID: "d1"}}},
		Spec:   appsv1.ReplicaSetSpec{Replicas: &replicas, Template: tmpl},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas},
	}
}

// historyDeployment runs revision rev's template as Deployment revision deployRev, 3 replicas,
// with the controller's counts.
func historyDeployment(app *spec.App, rev int, deployRev string, gen, observed int64, total, updated, available int32) *appsv1.Deployment {
	three := int32(3)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "d1", Generation: gen,
			Annotations: map[string]string{RevisionAnnotation: deployRev}},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(app)},
			Template: podTemplate(app, rev)},
		Status: appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: total, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available},
	}
}

// want is revision rev's history line.
func want(rev int, live bool, state string) target.Revision {
	img := fmt.Sprintf("registry.local/web:%d", rev)
	return target.Revision{Revision: fmt.Sprint(rev), Live: live, State: state, Image: img,
		Containers: []target.ContainerImage{{Name: "web", Image: img}, {Name: "log-router", Image: "fluent-bit:3"}},
		Deployed:   created(rev).UTC(), SpecHash: fmt.Sprintf("h%d", rev), ID: fmt.Sprintf("replicaset/web-r%d", rev)}
}

// History lists the Deployment's ReplicaSets newest first with the app container's image
// first, marks the current one live (rolling out until done) and an old one with pods
// draining, stops at the limit but always lists the current one, and takes a rolled-back
// revision's spec hash from RestoredHashAnnotation.
func TestHistory(t *testing.T) {
	app := testApp(t)
	rolledBack := historyRS(app, 2, 0)
	rolledBack.Annotations[spec.HashAnnotation], rolledBack.Annotations[RestoredHashAnnotation] = rolledBackHash, "h2"
	other := historyRS(app, 9, 0) // another Deployment's
	other.OwnerReferences[0].UID = "d2"
	for _, tc := range []struct {
		name  string
		d     *appsv1.Deployment
		rss   []*appsv1.ReplicaSet
		limit int
		want  []target.Revision
		more  bool
	}{
		{"rolling out, limit 2", historyDeployment(app, 4, "4", 5, 5, 4, 3, 3),
			[]*appsv1.ReplicaSet{historyRS(app, 1, 0), rolledBack, historyRS(app, 3, 1), historyRS(app, 4, 3), other},
			2, []target.Revision{want(4, true, target.RevisionRollingOut), want(3, false, target.RevisionDraining)}, true},
		{"done, all", historyDeployment(app, 4, "4", 5, 5, 3, 3, 3),
			[]*appsv1.ReplicaSet{historyRS(app, 1, 0), rolledBack, historyRS(app, 3, 0), historyRS(app, 4, 3)},
			0, []target.Revision{want(4, true, target.RevisionLive), want(3, false, ""), want(2, false, ""), want(1, false, "")}, false},
		{"back to revision 1's template, not yet seen by the controller", historyDeployment(app, 1, "4", 6, 5, 3, 0, 3),
			[]*appsv1.ReplicaSet{historyRS(app, 1, 0), rolledBack, historyRS(app, 3, 0), historyRS(app, 4, 3)},
			1, []target.Revision{want(4, false, target.RevisionDraining), want(1, true, target.RevisionRollingOut)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{tc.d}
			for _, rs := range tc.rss {
				objs = append(objs, rs)
			}
			s, _ := fakeSession(objs...)
			h, err := s.History(context.Background(), app, target.HistoryOptions{Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if h.Target != "eks" || h.App != "web" || h.Where != "namespace shop, context test" || h.More != tc.more {
				t.Errorf("history %s on %s (%s), more %v; want more %v", h.App, h.Target, h.Where, h.More, tc.more)
			}
			if fmt.Sprint(h.Revisions) != fmt.Sprint(tc.want) {
				t.Errorf("revisions:\n%+v\nwant:\n%+v", h.Revisions, tc.want)
			}
		})
	}
	s, _ := fakeSession()
	if h, err := s.History(context.Background(), app, target.HistoryOptions{}); err != nil || len(h.Revisions) != 0 {
		t.Errorf("without a Deployment: %+v, %v", h, err)
	}
}

// Every revision history prints, rollback --to takes as printed and picks that very
// ReplicaSet; the live one is recognised as current (rollback then changes nothing).
func TestHistoryRevisionsRoundTripThroughRollback(t *testing.T) {
	app := testApp(t)
	cs := fake.NewClientset(historyDeployment(app, 3, "3", 4, 4, 3, 3, 3), historyRS(app, 1, 0), historyRS(app, 2, 0), historyRS(app, 3, 3))
	s := &Session{cs: cs, where: "context test"}
	h, err := s.History(context.Background(), app, target.HistoryOptions{})
	if err != nil || len(h.Revisions) != 3 {
		t.Fatalf("history %+v, %v", h, err)
	}
	for _, r := range h.Revisions {
		pick, current, err := s.pickRevision(context.Background(), app, r.Revision)
		if err != nil || "replicaset/"+pick.Name != r.ID {
			t.Errorf("rollback --to %s picks %v (%v), want %s", r.Revision, pick, err, r.ID)
			continue
		}
		if (pick == current) != r.Live {
			t.Errorf("rollback --to %s: current %v, history says live %v", r.Revision, pick == current, r.Live)
		}
	}
}

// rollback --to the live revision writes nothing and says so.
func TestRollbackToTheLiveRevisionChangesNothing(t *testing.T) {
	app := testApp(t)
	cs := fake.NewClientset(historyDeployment(app, 3, "3", 4, 4, 3, 3, 3), historyRS(app, 2, 0), historyRS(app, 3, 3))
	s := &Session{cs: cs, where: "context test"}
	v, err := s.Rollback(context.Background(), app, target.RollbackOptions{To: "3"}, &recorder{})
	if err != nil || v.Phase != target.Succeeded || !v.Unchanged || v.Message != "revision 3 is already the live revision; nothing changed" {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetResource().Resource != "leases" {
			t.Errorf("wrote %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}

package eks

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shipit-dev/shipit/pkg/target"
)

// TestFailedRevision: a verdict that is not a success names the Deployment revision it failed
// with (shipit logs --revision N), kept through the automatic rollback's watch, which moves
// the Deployment to a new revision; none when another deploy replaced ours.
func TestFailedRevision(t *testing.T) {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Annotations: map[string]string{RevisionAnnotation: "3"}}}
	cs := fake.NewClientset(d)
	s := &Session{cs: cs}
	ctx := context.Background()
	v := &target.Verdict{}
	s.fill(ctx, v, logsApp, Decision{Phase: target.Failed})
	if v.Revision != "3" || v.FailedRevision != "3" {
		t.Fatalf("failed: revision %q failed revision %q", v.Revision, v.FailedRevision)
	}
	d.Annotations[RevisionAnnotation] = "4" // the rollback's revision
	if _, err := cs.AppsV1().Deployments("shop").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.fill(ctx, v, logsApp, Decision{Phase: target.Succeeded})
	if v.Revision != "4" || v.FailedRevision != "3" {
		t.Errorf("after the rollback: revision %q failed revision %q", v.Revision, v.FailedRevision)
	}
	for _, dec := range []Decision{{Phase: target.Succeeded}, {Phase: target.Failed, Replaced: true}, {Phase: target.Canceled}} {
		v := &target.Verdict{}
		s.fill(ctx, v, logsApp, dec)
		if v.FailedRevision != "" {
			t.Errorf("%+v: failed revision %q", dec, v.FailedRevision)
		}
	}
}

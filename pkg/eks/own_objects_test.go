package eks

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// An HPA and a PDB that an eks.patches entry renamed (as an import keeps web-hpa, web-pdb)
// are still the app's: status shows the budget, and a spec that drops autoscale takes the
// replica count back from that HPA (else the apply would conflict with it on spec.replicas).
// Another app's, or one shipit did not label, is not.
func TestRenamedHPAAndBudgetAreTheApps(t *testing.T) {
	app := testApp(t)
	app.EKS.DisruptionBudget = &spec.DisruptionBudget{}
	mine := map[string]string{ManagedByLabel: spec.ManagedBy, NameLabel: "web"}
	other := map[string]string{ManagedByLabel: spec.ManagedBy, NameLabel: "worker"}
	meta := func(name string, l map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: l}
	}
	one := intstr.FromInt32(1)
	budget := func(name string, l map[string]string) *policyv1.PodDisruptionBudget {
		return &policyv1.PodDisruptionBudget{ObjectMeta: meta(name, l), Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one}}
	}
	hpa := func(name string, l map[string]string) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: meta(name, l)}
	}
	dep := &appsv1.Deployment{ObjectMeta: meta("web", mine)}

	s, _ := fakeSession(dep, budget("web-pdb", mine), budget("worker", other), budget("web", nil), hpa("web-hpa", mine), hpa("worker", other))
	if got := s.budgetStatus(context.Background(), app); !strings.HasPrefix(got, "PodDisruptionBudget/web-pdb: maxUnavailable 1") {
		t.Errorf("budget %q, want web-pdb's", got)
	}
	if sw, err := s.scalingSwitchFor(context.Background(), app); err != nil || sw != outOfAutoscaling {
		t.Errorf("switch %v (%v), want out of autoscaling: web-hpa scales the app", sw, err)
	}

	// Without eks.disruptionBudget, status does not look for one (the identity may not list them).
	app.EKS.DisruptionBudget = nil
	if got := s.budgetStatus(context.Background(), app); got != "" {
		t.Errorf("budget %q without eks.disruptionBudget, want none", got)
	}
	app.EKS.DisruptionBudget = &spec.DisruptionBudget{}

	s, _ = fakeSession(dep, budget("worker", other), hpa("worker", other))
	if got := s.budgetStatus(context.Background(), app); got != "" {
		t.Errorf("budget %q, want none of the app's", got)
	}
	if sw, err := s.scalingSwitchFor(context.Background(), app); err != nil || sw != noSwitch {
		t.Errorf("switch %v (%v), want none: the app has no HPA", sw, err)
	}
}

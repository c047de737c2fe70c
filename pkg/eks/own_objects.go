package eks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// The app's HorizontalPodAutoscaler and PodDisruptionBudget are found by shipit's labels, not
// by name: they are named like the app unless an eks.patches entry renamed them, as `shipit
// import` does to keep an adopted object's own name (web-hpa, web-pdb).

// shipitLabels selects the objects shipit rendered for the app.
func shipitLabels(app *spec.App) metav1.ListOptions {
	return metav1.ListOptions{LabelSelector: labels.Set{ManagedByLabel: spec.ManagedBy, NameLabel: app.Name}.String()}
}

// pickOwn is the index of the app's object among names: the one named like the app, else the
// first by name (a spec renders one of each kind); -1 for none.
func pickOwn(app *spec.App, names []string) int {
	if i := slices.Index(names, app.Name); i >= 0 {
		return i
	}
	best := -1
	for i, n := range names {
		if best < 0 || strings.Compare(n, names[best]) < 0 {
			best = i
		}
	}
	return best
}

// ownHPA is the app's live HorizontalPodAutoscaler, nil when it has none.
func (s *Session) ownHPA(ctx context.Context, app *spec.App) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	ns := app.EKS.Namespace
	list, err := s.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, shipitLabels(app))
	if err != nil {
		return nil, fmt.Errorf("list horizontalpodautoscalers of %s in %s: %w", app.Name, ns, err)
	}
	names := make([]string, len(list.Items))
	for i, h := range list.Items {
		names[i] = h.Name
	}
	if i := pickOwn(app, names); i >= 0 {
		return &list.Items[i], nil
	}
	return nil, nil
}

// ownBudget is the app's live PodDisruptionBudget, nil when it has none.
func (s *Session) ownBudget(ctx context.Context, app *spec.App) (*policyv1.PodDisruptionBudget, error) {
	ns := app.EKS.Namespace
	list, err := s.cs.PolicyV1().PodDisruptionBudgets(ns).List(ctx, shipitLabels(app))
	if err != nil {
		return nil, fmt.Errorf("list poddisruptionbudgets of %s in %s: %w", app.Name, ns, err)
	}
	names := make([]string, len(list.Items))
	for i, b := range list.Items {
		names[i] = b.Name
	}
	if i := pickOwn(app, names); i >= 0 {
		return &list.Items[i], nil
	}
	return nil, nil
}

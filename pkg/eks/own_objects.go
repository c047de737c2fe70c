package eks

import (
	"context"
	"fmt"
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

// ownOf is the app's object among items: the one named like the app, else the first by name
// (a spec renders one of each kind); nil for none.
func ownOf[T any](app *spec.App, items []T, name func(*T) string) *T {
	var best *T
	for i := range items {
		switch n := name(&items[i]); {
		case n == app.Name:
			return &items[i]
		case best == nil || strings.Compare(n, name(best)) < 0:
			best = &items[i]
		}
	}
	return best
}

// ownHPA is the app's live HorizontalPodAutoscaler, nil when it has none.
func (s *Session) ownHPA(ctx context.Context, app *spec.App) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	list, err := s.cs.AutoscalingV2().HorizontalPodAutoscalers(app.EKS.Namespace).List(ctx, shipitLabels(app))
	if err != nil {
		return nil, fmt.Errorf("list horizontalpodautoscalers of %s in %s: %w", app.Name, app.EKS.Namespace, err)
	}
	return ownOf(app, list.Items, func(h *autoscalingv2.HorizontalPodAutoscaler) string { return h.Name }), nil
}

// ownBudget is the app's live PodDisruptionBudget, nil when it has none.
func (s *Session) ownBudget(ctx context.Context, app *spec.App) (*policyv1.PodDisruptionBudget, error) {
	list, err := s.cs.PolicyV1().PodDisruptionBudgets(app.EKS.Namespace).List(ctx, shipitLabels(app))
	if err != nil {
		return nil, fmt.Errorf("list poddisruptionbudgets of %s in %s: %w", app.Name, app.EKS.Namespace, err)
	}
	return ownOf(app, list.Items, func(b *policyv1.PodDisruptionBudget) string { return b.Name }), nil
}

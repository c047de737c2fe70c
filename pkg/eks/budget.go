package eks

import (
	"context"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// The app's PodDisruptionBudget as `shipit status` shows it.

// budgetStatus sums up the app's live PodDisruptionBudget for `shipit status` ("" when it
// has none, or it cannot be read): what it asks and what it allows now.
func (s *Session) budgetStatus(ctx context.Context, app *spec.App) string {
	if app.EKS.DisruptionBudget == nil {
		// none rendered, and the identity may not list them at all (README: permissions)
		return ""
	}
	pdb, err := s.ownBudget(ctx, app)
	if err != nil || pdb == nil {
		return ""
	}
	return BudgetSummary(pdb)
}

// BudgetSummary describes a PodDisruptionBudget: its rule, and the controller's count of
// evictions it allows now.
func BudgetSummary(pdb *policyv1.PodDisruptionBudget) string {
	rule := "no rule"
	switch {
	case pdb.Spec.MinAvailable != nil:
		rule = "minAvailable " + pdb.Spec.MinAvailable.String()
	case pdb.Spec.MaxUnavailable != nil:
		rule = "maxUnavailable " + pdb.Spec.MaxUnavailable.String()
	}
	st := pdb.Status
	if st.ObservedGeneration < pdb.Generation {
		return fmt.Sprintf("PodDisruptionBudget/%s: %s (not yet evaluated by the disruption controller)", pdb.Name, rule)
	}
	return fmt.Sprintf("PodDisruptionBudget/%s: %s; %d of %d pods healthy (%d needed), %d disruption(s) allowed",
		pdb.Name, rule, st.CurrentHealthy, st.ExpectedPods, st.DesiredHealthy, st.DisruptionsAllowed)
}

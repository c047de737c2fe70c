package eks

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Scheduling, disruption, the stop hook and devices: what the Deployment says beyond its pod
// template's containers, and the PodDisruptionBudget. Pure, like the rest of the render.

// schedule adds to a rendered Deployment: minReadySeconds, revisionHistoryLimit, affinity,
// topology spread, the app container's preStop hook and its extended resources.
func schedule(app *spec.App, d *appsv1.Deployment) {
	e := app.EKS
	if n := e.MinReadySeconds; n != nil {
		d.Spec.MinReadySeconds = int32(*n)
	}
	if n := e.RevisionHistoryLimit; n != nil {
		d.Spec.RevisionHistoryLimit = ptr.To(int32(*n))
	}
	ps := &d.Spec.Template.Spec
	ps.Affinity = affinity(e.Affinity)
	for _, ts := range e.TopologySpread {
		c := corev1.TopologySpreadConstraint{
			MaxSkew:           int32(ts.MaxSkew),
			TopologyKey:       ts.TopologyKey,
			WhenUnsatisfiable: corev1.UnsatisfiableConstraintAction(ts.WhenUnsatisfiable),
			LabelSelector:     labelSelector(ts.LabelSelector),
			MatchLabelKeys:    ts.MatchLabelKeys,
		}
		if c.LabelSelector == nil {
			// The app's own replicas: what a Deployment's constraint almost always means.
			c.LabelSelector = &metav1.LabelSelector{MatchLabels: SelectorLabels(app)}
		}
		if ts.MinDomains != nil {
			c.MinDomains = ptr.To(int32(*ts.MinDomains))
		}
		if ts.NodeAffinityPolicy != "" {
			c.NodeAffinityPolicy = ptr.To(corev1.NodeInclusionPolicy(ts.NodeAffinityPolicy))
		}
		if ts.NodeTaintsPolicy != "" {
			c.NodeTaintsPolicy = ptr.To(corev1.NodeInclusionPolicy(ts.NodeTaintsPolicy))
		}
		ps.TopologySpreadConstraints = append(ps.TopologySpreadConstraints, c)
	}
	if len(ps.Containers) == 0 {
		return
	}
	main := &ps.Containers[0]
	if len(app.StopCommand) > 0 {
		main.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: app.StopCommand}}}
	}
	devices := map[string]int64{}
	if app.Limits != nil && app.Limits.GPU > 0 {
		devices[spec.NvidiaGPU] = int64(app.Limits.GPU)
	}
	maps.Copy(devices, e.ExtendedResources)
	for name, n := range devices {
		// Extended resources cannot be overcommitted: the request is the limit.
		q := *resource.NewQuantity(n, resource.DecimalSI)
		if main.Resources.Limits == nil {
			main.Resources.Limits = corev1.ResourceList{}
		}
		if main.Resources.Requests == nil {
			main.Resources.Requests = corev1.ResourceList{}
		}
		main.Resources.Limits[corev1.ResourceName(name)] = q
		main.Resources.Requests[corev1.ResourceName(name)] = q.DeepCopy()
	}
}

// disruptionBudget is the app's PodDisruptionBudget (policy/v1), or nil.
func disruptionBudget(app *spec.App, meta metav1.ObjectMeta) *policyv1.PodDisruptionBudget {
	b := app.EKS.DisruptionBudget
	if b == nil {
		return nil
	}
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: meta,
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(app)},
			MinAvailable:   intOrPercent(b.MinAvailable),
			MaxUnavailable: intOrPercent(b.MaxUnavailable),
		},
	}
	if b.UnhealthyPodEvictionPolicy != "" {
		pdb.Spec.UnhealthyPodEvictionPolicy = ptr.To(policyv1.UnhealthyPodEvictionPolicyType(b.UnhealthyPodEvictionPolicy))
	}
	return pdb
}

func intOrPercent(s string) *intstr.IntOrString {
	if s == "" {
		return nil
	}
	n, pct, _ := spec.IntOrPercent(s)
	if pct {
		v := intstr.FromString(s)
		return &v
	}
	v := intstr.FromInt32(int32(n))
	return &v
}

func affinity(a *spec.Affinity) *corev1.Affinity {
	if a == nil || (a.NodeAffinity == nil && a.PodAffinity == nil && a.PodAntiAffinity == nil) {
		return nil
	}
	out := &corev1.Affinity{}
	if na := a.NodeAffinity; na != nil {
		out.NodeAffinity = &corev1.NodeAffinity{}
		if r := na.Required; r != nil {
			ns := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{}}
			for _, t := range r.Terms {
				ns.NodeSelectorTerms = append(ns.NodeSelectorTerms, nodeSelectorTerm(t))
			}
			out.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = ns
		}
		for _, p := range na.Preferred {
			out.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(out.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
				corev1.PreferredSchedulingTerm{Weight: int32(p.Weight), Preference: nodeSelectorTerm(p.Preference)})
		}
	}
	if pa := a.PodAffinity; pa != nil {
		req, pref := podAffinityTerms(pa)
		out.PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: req, PreferredDuringSchedulingIgnoredDuringExecution: pref}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		req, pref := podAffinityTerms(pa)
		out.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: req, PreferredDuringSchedulingIgnoredDuringExecution: pref}
	}
	return out
}

func nodeSelectorTerm(t spec.NodeSelectorTerm) corev1.NodeSelectorTerm {
	var out corev1.NodeSelectorTerm
	for _, r := range t.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, corev1.NodeSelectorRequirement{Key: r.Key, Operator: corev1.NodeSelectorOperator(r.Operator), Values: r.Values})
	}
	for _, r := range t.MatchFields {
		out.MatchFields = append(out.MatchFields, corev1.NodeSelectorRequirement{Key: r.Key, Operator: corev1.NodeSelectorOperator(r.Operator), Values: r.Values})
	}
	return out
}

func podAffinityTerms(pa *spec.PodAffinity) ([]corev1.PodAffinityTerm, []corev1.WeightedPodAffinityTerm) {
	var req []corev1.PodAffinityTerm
	var pref []corev1.WeightedPodAffinityTerm
	for _, t := range pa.Required {
		req = append(req, podAffinityTerm(t))
	}
	for _, w := range pa.Preferred {
		pref = append(pref, corev1.WeightedPodAffinityTerm{Weight: int32(w.Weight), PodAffinityTerm: podAffinityTerm(w.PodAffinityTerm)})
	}
	return req, pref
}

func podAffinityTerm(t spec.PodAffinityTerm) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{
		LabelSelector:     labelSelector(t.LabelSelector),
		Namespaces:        t.Namespaces,
		NamespaceSelector: labelSelector(t.NamespaceSelector),
		TopologyKey:       t.TopologyKey,
		MatchLabelKeys:    t.MatchLabelKeys,
		MismatchLabelKeys: t.MismatchLabelKeys,
	}
}

func labelSelector(s *spec.LabelSelector) *metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := &metav1.LabelSelector{MatchLabels: maps.Clone(s.MatchLabels)}
	for _, r := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values})
	}
	return out
}

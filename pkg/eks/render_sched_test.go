package eks

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const schedSpec = `version: 1
name: web
image: web:1
port: 8080
replicas: 3
limits: {gpu: 2}
stopCommand: [sleep, "5"]
eks:
  minReadySeconds: 10
  revisionHistoryLimit: 3
  extendedResources: {vpc.amazonaws.com/pod-eni: 1}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 50
          preference: {matchExpressions: [{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}]}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            labelSelector: {matchLabels: {app.kubernetes.io/name: web}}
            topologyKey: kubernetes.io/hostname
  topologySpread:
    - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
    - maxSkew: 2
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: DoNotSchedule
      minDomains: 2
      labelSelector: {matchExpressions: [{key: tier, operator: Exists}]}
      matchLabelKeys: [pod-template-hash]
  disruptionBudget: {maxUnavailable: "25%", unhealthyPodEvictionPolicy: AlwaysAllow}
`

// TestSchedulingRenders: the Deployment carries minReadySeconds, revisionHistoryLimit,
// affinity and topology spread as written (the spread's selector defaulting to the app's), the
// app container its preStop hook and its devices as limits equal to requests.
func TestSchedulingRenders(t *testing.T) {
	app := loadApp(t, schedSpec)
	d := renderedDeployment(t, app)
	if d.Spec.MinReadySeconds != 10 || d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit != 3 {
		t.Errorf("minReadySeconds %d, revisionHistoryLimit %v", d.Spec.MinReadySeconds, d.Spec.RevisionHistoryLimit)
	}
	ps := d.Spec.Template.Spec
	na := ps.Affinity.NodeAffinity
	if r := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0]; r.Key != "kubernetes.io/arch" || r.Operator != corev1.NodeSelectorOpIn || len(r.Values) != 2 {
		t.Errorf("required node affinity = %+v", r)
	}
	if p := na.PreferredDuringSchedulingIgnoredDuringExecution[0]; p.Weight != 50 || p.Preference.MatchExpressions[0].Values[0] != "g5.xlarge" {
		t.Errorf("preferred node affinity = %+v", p)
	}
	if w := ps.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0]; w.Weight != 100 || w.PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" ||
		w.PodAffinityTerm.LabelSelector.MatchLabels["app.kubernetes.io/name"] != "web" {
		t.Errorf("pod anti-affinity = %+v", w)
	}
	if ps.Affinity.PodAffinity != nil {
		t.Errorf("podAffinity rendered though not written: %+v", ps.Affinity.PodAffinity)
	}
	tsc := ps.TopologySpreadConstraints
	if len(tsc) != 2 {
		t.Fatalf("topology spread = %+v", tsc)
	}
	if c := tsc[0]; c.MaxSkew != 1 || c.WhenUnsatisfiable != corev1.ScheduleAnyway || c.LabelSelector.MatchLabels[NameLabel] != "web" || c.MinDomains != nil {
		t.Errorf("zone spread = %+v (selector %v)", c, c.LabelSelector)
	}
	if c := tsc[1]; c.MaxSkew != 2 || *c.MinDomains != 2 || c.LabelSelector.MatchExpressions[0].Key != "tier" || len(c.LabelSelector.MatchLabels) != 0 ||
		c.MatchLabelKeys[0] != "pod-template-hash" {
		t.Errorf("host spread = %+v", c)
	}
	main := ps.Containers[0]
	if main.Lifecycle == nil || main.Lifecycle.PreStop == nil || strings.Join(main.Lifecycle.PreStop.Exec.Command, " ") != "sleep 5" {
		t.Errorf("preStop = %+v", main.Lifecycle)
	}
	for name, want := range map[corev1.ResourceName]string{"nvidia.com/gpu": "2", "vpc.amazonaws.com/pod-eni": "1"} {
		l, r := main.Resources.Limits[name], main.Resources.Requests[name]
		if l.String() != want || r.String() != want {
			t.Errorf("%s: limit %s, request %s, want %s both", name, l.String(), r.String(), want)
		}
	}
	if cpu := main.Resources.Limits[corev1.ResourceCPU]; cpu.IsZero() {
		t.Error("the devices replaced the cpu limit")
	}

	var pdb *policyv1.PodDisruptionBudget
	for _, o := range mustRender(t, app) {
		if p, ok := o.(*policyv1.PodDisruptionBudget); ok {
			pdb = p
		}
	}
	if pdb == nil {
		t.Fatal("no PodDisruptionBudget rendered")
	}
	if pdb.Name != "web" || pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable.String() != "25%" ||
		pdb.Spec.Selector.MatchLabels[NameLabel] != "web" || *pdb.Spec.UnhealthyPodEvictionPolicy != policyv1.AlwaysAllow ||
		pdb.Labels[ManagedByLabel] == "" {
		t.Errorf("pdb = %+v", pdb)
	}
	if _, err := objects(mustRender(t, app)); err != nil {
		t.Errorf("the render has a kind apply cannot map: %v", err)
	}
}

// TestSchedulingDefaultsRenderNothing: without the fields, nothing of them is rendered (no
// empty affinity, no budget, Kubernetes' own defaults for the rest).
func TestSchedulingDefaultsRenderNothing(t *testing.T) {
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 80\neks: {selector: {app: web}}\n")
	d := renderedDeployment(t, app)
	ps := d.Spec.Template.Spec
	if d.Spec.MinReadySeconds != 0 || d.Spec.RevisionHistoryLimit != nil || ps.Affinity != nil || ps.TopologySpreadConstraints != nil || ps.Containers[0].Lifecycle != nil {
		t.Errorf("deployment carries unasked fields: %+v", d.Spec)
	}
	for _, o := range mustRender(t, app) {
		if _, ok := o.(*policyv1.PodDisruptionBudget); ok {
			t.Error("a PodDisruptionBudget was rendered without eks.disruptionBudget")
		}
	}
	// A count stays a count (an IntOrString int), and an adopted selector is the budget's.
	app = loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 80\nreplicas: 3\neks: {selector: {app: web}, disruptionBudget: {minAvailable: 2}, topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}\n")
	for _, o := range mustRender(t, app) {
		if p, ok := o.(*policyv1.PodDisruptionBudget); ok {
			if p.Spec.MinAvailable.Type != intstr.Int || p.Spec.MinAvailable.IntVal != 2 || p.Spec.Selector.MatchLabels["app"] != "web" {
				t.Errorf("pdb = %+v", p.Spec)
			}
		}
	}
	if sel := renderedDeployment(t, app).Spec.Template.Spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels; sel["app"] != "web" || len(sel) != 1 {
		t.Errorf("spread selector = %v, want the adopted selector", sel)
	}
}

// TestRollbackWithoutHistorySaysWhy: with revisionHistoryLimit 0 there is no old ReplicaSet,
// and `shipit rollback` says that the limit is why.
func TestRollbackWithoutHistorySaysWhy(t *testing.T) {
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 80\neks: {revisionHistoryLimit: 0}\n")
	zero := int32(0)
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{RevisionAnnotation: "3"}},
		Spec:       appsv1.DeploymentSpec{RevisionHistoryLimit: &zero, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{NameLabel: "web"}}},
	})
	s := &Session{cs: cs}
	_, _, err := s.undo(context.Background(), app, "")
	if err == nil || !strings.Contains(err.Error(), "keeps no old revisions (eks.revisionHistoryLimit: 0)") {
		t.Fatalf("undo = %v", err)
	}
}

func TestBudgetSummary(t *testing.T) {
	one := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 1},
		Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: &one},
		Status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: 3, DesiredHealthy: 1, ExpectedPods: 3, DisruptionsAllowed: 2}}
	if got, want := BudgetSummary(pdb), "PodDisruptionBudget/web: minAvailable 1; 3 of 3 pods healthy (1 needed), 2 disruption(s) allowed"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	pdb.Generation = 2
	if got := BudgetSummary(pdb); !strings.Contains(got, "not yet evaluated") {
		t.Errorf("got %q", got)
	}
}

// TestBudgetsNeedNoRBACWithoutABudget: listing the app's objects (prune, destroy) gets past a
// Forbidden on PodDisruptionBudgets when the spec has none, and stops on it when it has one.
func TestBudgetsNeedNoRBACWithoutABudget(t *testing.T) {
	listKinds := map[schema.GroupVersionResource]string{}
	for kind, gvr := range kindResources {
		listKinds[gvr] = kind + "List"
	}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	dyn.PrependReactor("list", "poddisruptionbudgets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "policy", Resource: "poddisruptionbudgets"}, "", errors.New("RBAC"))
	})
	s := &Session{dyn: dyn, disc: fake.NewClientset().Discovery()}
	if _, err := s.owned(context.Background(), loadApp(t, "version: 1\nname: web\nimage: web:1\n")); err != nil {
		t.Errorf("without a budget: %v", err)
	}
	if _, err := s.owned(context.Background(), loadApp(t, "version: 1\nname: web\nimage: web:1\nreplicas: 2\neks: {disruptionBudget: {maxUnavailable: 1}}\n")); err == nil || !apierrors.IsForbidden(errors.Unwrap(err)) {
		t.Errorf("with a budget: %v, want the Forbidden", err)
	}
}

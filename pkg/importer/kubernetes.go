package importer

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// FromKubernetes imports a Deployment and the objects around it (Service, HPA, ServiceAccount,
// PodDisruptionBudget, Ingress) from multi-document YAML or a List.
//
// It works in three steps. The neutral and eks: fields are read from the objects as the API
// server would hold them (its defaults filled in). Then the spec is rendered and compared,
// object by object, with the originals: whatever still differs becomes eks.patches,
// strategic merge patches computed by apimachinery from the render to the original, so that
// the render of the imported spec is the original, field for field (pod template included,
// so that deploying the import restarts no pod). Last, the spec with its patches is rendered
// again and compared: anything still not reproduced is listed as lost, never dropped.
func FromKubernetes(docs []target.Document) (*Result, error) {
	objs, lost, err := decodeKubernetes(docs)
	if err != nil {
		return nil, err
	}
	in, more, err := classify(objs)
	if err != nil {
		return nil, err
	}
	lost = append(lost, more...)
	res := &Result{From: from(docs), Target: spec.TargetEKS}
	off := map[string]bool{}
	for {
		res.App = in.build(off)
		loaded, rendered, err := renderEKS(res)
		var errs spec.Errors
		if asSpecErrors(err, &errs) {
			// A value the neutral field cannot take (a name, a timing out of its range):
			// leave that part of the spec out; the patches carry it instead.
			groups := failedGroups(errs, off)
			if len(groups) == 0 {
				return nil, fmt.Errorf("internal: the imported spec does not validate: %w", err)
			}
			for _, g := range groups {
				off[g] = true
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		patchLost, err := in.patch(res, loaded, rendered)
		if err != nil {
			return nil, err
		}
		loaded, final, err := renderEKS(res)
		if err != nil {
			return nil, fmt.Errorf("internal: the imported spec with its patches does not render: %w", err)
		}
		res.Lost = append(append(lost, patchLost...), in.verify(loaded, final)...)
		break
	}
	if len(res.App.EKS.Patches) > 0 {
		res.Comments = map[string]string{"eks.patches": patchesComment}
	}
	return res, nil
}

const patchesComment = "What the fields above cannot say, so that the render is the original object for object:\n" +
	"a deploy of this spec changes nothing that runs (a changed pod template would restart\n" +
	"every pod). Drop a patch to take shipit's default instead, e.g. limits = requests, no\n" +
	"privilege escalation, the RuntimeDefault seccomp profile."

// from names what was read, for the spec's header.
func from(docs []target.Document) string {
	var names []string
	for _, d := range docs {
		if !slices.Contains(names, d.Name) {
			names = append(names, d.Name)
		}
	}
	return strings.Join(names, ", ")
}

// k8sApp is the Deployment and its companions: the objects as read (for the comparison) and
// copies with the API server's defaults filled in (for reading the spec's fields).
type k8sApp struct {
	dep      *k8sObject
	svc, pub *k8sObject // the app's Service and a second, public LoadBalancer one
	hpa      *k8sObject
	sa       *k8sObject
	pdb      *k8sObject
	ing      *k8sObject
	secret   *k8sObject // the ExternalSecret shipit renders for AWS secret references
	// claims and pvs are PersistentVolumeClaims the pods mount and the PersistentVolumes
	// bound to them (EFS, as shipit renders it); efs maps a pod volume read as an EFS volume
	// to its claim and volume.
	claims, pvs map[string]*k8sObject
	efs         map[string][2]*k8sObject
	// The filled copies.
	d    *appsv1.Deployment
	s, p *corev1.Service
	h    *autoscalingv2.HorizontalPodAutoscaler
	acct *corev1.ServiceAccount
	b    *policyv1.PodDisruptionBudget
	in   *networkingv1.Ingress
	// main is the index of the app container.
	main int
}

// classify finds the one Deployment and what belongs with it; everything else is lost, each
// with the reason.
func classify(objs []*k8sObject) (*k8sApp, []Loss, error) {
	var deps []*k8sObject
	for _, o := range objs {
		if o.kind == "Deployment" {
			deps = append(deps, o)
		}
	}
	switch len(deps) {
	case 0:
		var seen []string
		for _, o := range objs {
			seen = append(seen, o.ref())
		}
		msg := "no Deployment to import"
		if len(seen) > 0 {
			msg += " (read " + strings.Join(seen, ", ") + ")"
		}
		return nil, nil, fmt.Errorf("%s: shipit imports one Deployment with its Service, HorizontalPodAutoscaler, ServiceAccount, PodDisruptionBudget and Ingress", msg)
	case 1:
	default:
		var names []string
		for _, d := range deps {
			names = append(names, d.name+" ("+d.src+")")
		}
		return nil, nil, fmt.Errorf("%d Deployments (%s): import one app at a time, from the files of that Deployment", len(deps), strings.Join(names, ", "))
	}
	if errs := validation.IsDNS1123Label(deps[0].name); len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s: %s: shipit names the app after its Deployment, and an app's name is a DNS label: %s", deps[0].src, deps[0].ref(), errs[0])
	}
	in := &k8sApp{dep: deps[0], claims: map[string]*k8sObject{}, pvs: map[string]*k8sObject{}, efs: map[string][2]*k8sObject{}}
	in.d = deps[0].obj.(*appsv1.Deployment).DeepCopy()
	filled(in.d)
	d := in.d
	if len(d.Spec.Template.Spec.Containers) == 0 {
		return nil, nil, fmt.Errorf("%s: %s has no containers", in.dep.src, in.dep.ref())
	}
	in.main = mainContainer(d)
	pods := labels.Set(d.Spec.Template.Labels)
	var lost []Loss
	notMine := func(o *k8sObject, why string) {
		lost = append(lost, Loss{Field: o.ref(), Reason: why + " (" + o.src + "): not part of the app, so not imported"})
	}
	var svcs []*k8sObject
	for _, o := range objs {
		if o == in.dep {
			continue
		}
		if o.namespace != "" && o.namespace != d.Namespace && o.kind != "Namespace" && o.kind != "PersistentVolume" {
			notMine(o, "in namespace "+o.namespace+", not the Deployment's")
			continue
		}
		switch x := o.obj.(type) {
		case *corev1.Service:
			if sel := x.Spec.Selector; len(sel) > 0 && labels.SelectorFromSet(sel).Matches(pods) {
				svcs = append(svcs, o)
			} else {
				notMine(o, "its selector does not select the Deployment's pods")
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			if r := x.Spec.ScaleTargetRef; r.Kind == "Deployment" && r.Name == d.Name && in.hpa == nil {
				in.hpa = o
			} else {
				notMine(o, "it scales "+r.Kind+"/"+r.Name)
			}
		case *corev1.ServiceAccount:
			if x.Name == d.Spec.Template.Spec.ServiceAccountName && in.sa == nil {
				in.sa = o
			} else {
				notMine(o, "the pods run under "+defaultName(d.Spec.Template.Spec.ServiceAccountName))
			}
		case *policyv1.PodDisruptionBudget:
			if sel, err := metav1.LabelSelectorAsSelector(x.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(pods) && in.pdb == nil {
				in.pdb = o
			} else {
				notMine(o, "its selector does not select the Deployment's pods")
			}
		case *networkingv1.Ingress:
			if in.ing == nil {
				in.ing = o
			} else {
				notMine(o, "a second Ingress: shipit renders one for the app")
			}
		case *corev1.Namespace:
			if x.Name != d.Namespace {
				notMine(o, "the Deployment is in namespace "+defaultName(d.Namespace))
			}
			// The app's namespace is eks.namespace.
		case *corev1.PersistentVolumeClaim:
			if claimed(d, x.Name) && in.claims[x.Name] == nil {
				in.claims[x.Name] = o
			} else {
				notMine(o, "the pods do not mount it")
			}
		case *corev1.PersistentVolume:
			in.pvs[x.Name] = o
		case *unstructured.Unstructured:
			if in.secret == nil {
				in.secret = o
			} else {
				notMine(o, "the app has one ExternalSecret")
			}
		}
	}
	for name, o := range in.pvs {
		if in.claimOf(o.obj.(*corev1.PersistentVolume)) == nil {
			notMine(o, "it is bound to no claim the pods mount")
			delete(in.pvs, name)
		}
	}
	in.services(svcs, &lost)
	if in.ing != nil {
		if x := in.ing.obj.(*networkingv1.Ingress); !routesTo(x, in.svc) {
			notMine(in.ing, "it does not route to the app's Service")
			in.ing = nil
		}
	}
	in.fill()
	return in, lost, nil
}

func defaultName(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// services picks the app's Service (the one named after the app, else the first that is not
// a LoadBalancer, else the first) and a second, LoadBalancer one as the public Service; more
// are lost.
func (in *k8sApp) services(svcs []*k8sObject, lost *[]Loss) {
	if len(svcs) == 0 {
		return
	}
	isLB := func(o *k8sObject) bool { return o.obj.(*corev1.Service).Spec.Type == corev1.ServiceTypeLoadBalancer }
	pick := -1
	for i, o := range svcs {
		if o.name == in.d.Name {
			pick = i
		}
	}
	for i, o := range svcs {
		if pick < 0 && !isLB(o) {
			pick = i
		}
	}
	if pick < 0 {
		pick = 0
	}
	in.svc = svcs[pick]
	for i, o := range svcs {
		switch {
		case i == pick:
		case in.pub == nil && isLB(o) && !isLB(in.svc):
			in.pub = o
		default:
			*lost = append(*lost, Loss{Field: o.ref(), Reason: "a third Service (" + o.src + "): shipit renders the app's Service and at most one public LoadBalancer Service; keep applying it as it is"})
		}
	}
}

// routesTo reports whether the Ingress sends traffic to the app's Service.
func routesTo(x *networkingv1.Ingress, svc *k8sObject) bool {
	if svc == nil {
		return false
	}
	to := func(b *networkingv1.IngressBackend) bool {
		return b != nil && b.Service != nil && b.Service.Name == svc.name
	}
	if to(x.Spec.DefaultBackend) {
		return true
	}
	for _, r := range x.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if to(&p.Backend) {
				return true
			}
		}
	}
	return false
}

// fill makes the filled copies of the companions.
func (in *k8sApp) fill() {
	if in.svc != nil {
		in.s = in.svc.obj.(*corev1.Service).DeepCopy()
		filled(in.s)
	}
	if in.pub != nil {
		in.p = in.pub.obj.(*corev1.Service).DeepCopy()
		filled(in.p)
	}
	if in.hpa != nil {
		in.h = in.hpa.obj.(*autoscalingv2.HorizontalPodAutoscaler).DeepCopy()
		filled(in.h)
	}
	if in.sa != nil {
		in.acct = in.sa.obj.(*corev1.ServiceAccount).DeepCopy()
		filled(in.acct)
	}
	if in.pdb != nil {
		in.b = in.pdb.obj.(*policyv1.PodDisruptionBudget).DeepCopy()
		filled(in.b)
	}
	if in.ing != nil {
		in.in = in.ing.obj.(*networkingv1.Ingress).DeepCopy()
		filled(in.in)
	}
}

// filled is an object as the API server holds it: its defaults filled in, without what it
// records or allocates (which a manifest saved with kubectl get may still have).
func filled(o runtime.Object) {
	eks.StripServerFields(o)
	eks.FillDefaults(o)
}

// mainContainer is the app container: the one named after the Deployment, else the only one,
// else the first that declares a port, else the first.
func mainContainer(d *appsv1.Deployment) int {
	cs := d.Spec.Template.Spec.Containers
	for i, c := range cs {
		if c.Name == d.Name {
			return i
		}
	}
	for i, c := range cs {
		if len(c.Ports) > 0 {
			return i
		}
	}
	return 0
}

// claimed reports whether the pods mount the claim.
func claimed(d *appsv1.Deployment, claim string) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if c := v.PersistentVolumeClaim; c != nil && c.ClaimName == claim {
			return true
		}
	}
	return false
}

// claimOf is the app's claim a PersistentVolume is bound to (by the claim's volumeName or the
// volume's claimRef).
func (in *k8sApp) claimOf(pv *corev1.PersistentVolume) *k8sObject {
	for _, c := range in.claims {
		pvc := c.obj.(*corev1.PersistentVolumeClaim)
		if pvc.Spec.VolumeName == pv.Name || (pv.Spec.ClaimRef != nil && pv.Spec.ClaimRef.Name == pvc.Name) {
			return c
		}
	}
	return nil
}

// volumeOf is the PersistentVolume bound to a claim.
func (in *k8sApp) volumeOf(claim *k8sObject) *k8sObject {
	for _, o := range in.pvs {
		if in.claimOf(o.obj.(*corev1.PersistentVolume)) == claim {
			return o
		}
	}
	return nil
}

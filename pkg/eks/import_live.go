package eks

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/pager"
	"sigs.k8s.io/yaml"

	"github.com/shipit-dev/shipit/pkg/target"
)

// `shipit import --target eks`: read a Deployment that shipit did not deploy, and the objects
// that belong with it, as the manifests that would make them again.

// ReadLive reads the Deployment ref names and what goes with it: the Services selecting its
// pods, the HorizontalPodAutoscaler scaling it, its ServiceAccount (unless another Deployment
// runs under it too, or it is the namespace's default), the PodDisruptionBudgets selecting its
// pods and the Ingresses routing to its Services. Each comes back as a YAML document without
// what the API server filled in (see StripServerFields and StripDefaults).
func (Target) ReadLive(ctx context.Context, ref target.LiveRef, opts target.ConnectOptions) ([]target.Document, error) {
	switch {
	case ref.Cluster != "" || ref.Service != "":
		return nil, &target.UsageError{Msg: "--cluster and --service name an ECS service: for Kubernetes pass --deployment (and --namespace)"}
	case ref.Deployment == "":
		return nil, &target.UsageError{Msg: "name the Deployment to import: --deployment NAME (and --namespace)"}
	}
	cc, where := kubeconfig("", opts)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w (set --kubeconfig or KUBECONFIG)", err)
	}
	ns := ref.Namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
	}
	s, err := NewSession(cfg, where, opts.RequestTimeout)
	if err != nil {
		return nil, err
	}
	if err := s.checkServer(ctx, cfg.Host); err != nil {
		return nil, err
	}
	target.Step(ctx, "reading deployment "+ns+"/"+ref.Deployment+" ("+where+")")
	return readLive(ctx, s.cs, ns, ref.Deployment, where)
}

// readLive reads and cleans the Deployment and its companions, in the order a manifest lists
// them.
func readLive(ctx context.Context, cs kubernetes.Interface, ns, name, where string) ([]target.Document, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &target.UsageError{Msg: fmt.Sprintf("no Deployment %s in namespace %s (%s): check --deployment and --namespace", name, ns, where)}
	}
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, name, err)
	}
	pods := labels.Set(d.Spec.Template.Labels)
	selects := func(sel map[string]string) bool {
		return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(pods)
	}
	objs := []runtime.Object{d}

	var svcNames []string
	err = each(ctx, func(o metav1.ListOptions) (runtime.Object, error) { return cs.CoreV1().Services(ns).List(ctx, o) },
		func(o runtime.Object) {
			if s := o.(*corev1.Service); selects(s.Spec.Selector) {
				objs = append(objs, s)
				svcNames = append(svcNames, s.Name)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("list services in %s: %w", ns, err)
	}
	err = each(ctx, func(o metav1.ListOptions) (runtime.Object, error) {
		return cs.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, o)
	}, func(o runtime.Object) {
		h := o.(*autoscalingv2.HorizontalPodAutoscaler)
		if r := h.Spec.ScaleTargetRef; r.Kind == "Deployment" && r.Name == name {
			objs = append(objs, h)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list horizontalpodautoscalers in %s: %w", ns, err)
	}
	sa, err := ownServiceAccount(ctx, cs, d)
	if err != nil {
		return nil, err
	}
	if sa != nil {
		objs = append(objs, sa)
	}
	err = each(ctx, func(o metav1.ListOptions) (runtime.Object, error) {
		return cs.PolicyV1().PodDisruptionBudgets(ns).List(ctx, o)
	},
		func(o runtime.Object) {
			p := o.(*policyv1.PodDisruptionBudget)
			if sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(pods) {
				objs = append(objs, p)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("list poddisruptionbudgets in %s: %w", ns, err)
	}
	err = each(ctx, func(o metav1.ListOptions) (runtime.Object, error) {
		return cs.NetworkingV1().Ingresses(ns).List(ctx, o)
	},
		func(o runtime.Object) {
			if in := o.(*networkingv1.Ingress); routesTo(in, svcNames) {
				objs = append(objs, in)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("list ingresses in %s: %w", ns, err)
	}

	var docs []target.Document
	for _, o := range objs {
		o = o.DeepCopyObject()
		StripServerFields(o)
		StripDefaults(o)
		b, err := liveYAML(o)
		if err != nil {
			return nil, err
		}
		kind, oname := kindName(o)
		docs = append(docs, target.Document{Name: fmt.Sprintf("%s/%s in namespace %s (%s)", kind, oname, ns, where), Data: b})
	}
	return docs, nil
}

// each lists every page of a list (client-go's pager) and calls fn on each item.
func each(ctx context.Context, list func(metav1.ListOptions) (runtime.Object, error), fn func(runtime.Object)) error {
	p := pager.New(pager.SimplePageFunc(list))
	return p.EachListItem(ctx, metav1.ListOptions{}, func(o runtime.Object) error {
		fn(o)
		return nil
	})
}

// ownServiceAccount is the Deployment's ServiceAccount when it is the app's own: not the
// namespace's default, and run by no other Deployment (an import that took a shared account
// over would have shipit delete it with the app). nil when it is not, or does not exist.
func ownServiceAccount(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) (*corev1.ServiceAccount, error) {
	name := d.Spec.Template.Spec.ServiceAccountName
	if name == "" || name == "default" {
		return nil, nil
	}
	shared := false
	err := each(ctx, func(o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().Deployments(d.Namespace).List(ctx, o)
	},
		func(o runtime.Object) {
			other := o.(*appsv1.Deployment)
			shared = shared || (other.Name != d.Name && other.Spec.Template.Spec.ServiceAccountName == name)
		})
	if err != nil {
		return nil, fmt.Errorf("list deployments in %s: %w", d.Namespace, err)
	}
	if shared {
		return nil, nil
	}
	sa, err := cs.CoreV1().ServiceAccounts(d.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get serviceaccount %s/%s: %w", d.Namespace, name, err)
	}
	return sa, nil
}

// routesTo reports whether an Ingress sends traffic to one of the Services.
func routesTo(in *networkingv1.Ingress, services []string) bool {
	to := func(b *networkingv1.IngressBackend) bool {
		return b != nil && b.Service != nil && slices.Contains(services, b.Service.Name)
	}
	if to(in.Spec.DefaultBackend) {
		return true
	}
	for _, r := range in.Spec.Rules {
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

// Annotations the API server and kubectl write for their own bookkeeping.
var serverAnnotations = []string{RevisionAnnotation, corev1.LastAppliedConfigAnnotation}

// StripServerFields removes, in place, what the API server records or allocates rather than
// what a manifest says: status; the metadata it keeps (uid, resourceVersion, generation,
// creationTimestamp, managedFields, selfLink); the Deployment's revision and kubectl's
// last-applied annotations; and a Service's allocations: its cluster IPs (not a headless
// Service's None), the IP family it picked (single stack), and the node ports and health-check
// node port of a LoadBalancer (a NodePort Service's node ports are its contract with whatever
// sends traffic to the nodes, so they are kept). An apply that leaves these out keeps them.
func StripServerFields(o runtime.Object) {
	m, ok := o.(metav1.Object)
	if !ok {
		return
	}
	m.SetUID("")
	m.SetResourceVersion("")
	m.SetGeneration(0)
	m.SetCreationTimestamp(metav1.Time{})
	m.SetManagedFields(nil)
	m.SetSelfLink("")
	if a := m.GetAnnotations(); a != nil {
		for _, k := range serverAnnotations {
			delete(a, k)
		}
		if len(a) == 0 {
			m.SetAnnotations(nil)
		}
	}
	switch x := o.(type) {
	case *appsv1.Deployment:
		x.Status = appsv1.DeploymentStatus{}
		x.Spec.Template.CreationTimestamp = metav1.Time{}
	case *corev1.Service:
		x.Status = corev1.ServiceStatus{}
		s := &x.Spec
		if s.ClusterIP != corev1.ClusterIPNone {
			s.ClusterIP, s.ClusterIPs = "", nil
		}
		if s.IPFamilyPolicy != nil && *s.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
			s.IPFamilyPolicy, s.IPFamilies = nil, nil
		}
		if s.Type == corev1.ServiceTypeLoadBalancer {
			s.HealthCheckNodePort = 0
			for i := range s.Ports {
				s.Ports[i].NodePort = 0
			}
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		x.Status = autoscalingv2.HorizontalPodAutoscalerStatus{}
	case *policyv1.PodDisruptionBudget:
		x.Status = policyv1.PodDisruptionBudgetStatus{}
	case *networkingv1.Ingress:
		x.Status = networkingv1.IngressStatus{}
	}
}

// liveYAML prints a typed object read from the API as a manifest: with its apiVersion and
// kind (which typed reads leave empty) and without status or empty timestamps.
func liveYAML(o runtime.Object) ([]byte, error) {
	gvks, _, err := scheme.Scheme.ObjectKinds(o)
	if err != nil {
		return nil, err
	}
	o.GetObjectKind().SetGroupVersionKind(gvks[0])
	m, err := clean(o)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(m)
}

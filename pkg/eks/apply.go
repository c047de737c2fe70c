package eks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// resources maps the kinds shipit renders to their API resources.
var kindResources = map[string]schema.GroupVersionResource{
	"Namespace":               {Version: "v1", Resource: "namespaces"},
	"ServiceAccount":          {Version: "v1", Resource: "serviceaccounts"},
	"ExternalSecret":          {Group: "external-secrets.io", Version: "v1", Resource: "externalsecrets"},
	"PersistentVolume":        {Version: "v1", Resource: "persistentvolumes"},
	"PersistentVolumeClaim":   {Version: "v1", Resource: "persistentvolumeclaims"},
	"Deployment":              {Group: "apps", Version: "v1", Resource: "deployments"},
	"Service":                 {Version: "v1", Resource: "services"},
	"Ingress":                 {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	"HorizontalPodAutoscaler": {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	"PodDisruptionBudget":     {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
}

// object is one rendered object ready for the dynamic client.
type object struct {
	u   *unstructured.Unstructured
	gvr schema.GroupVersionResource
	// takeReplicas: the app leaves autoscaling, so a conflict over spec.replicas alone is
	// expected and the apply takes the field over (see scaling.go).
	takeReplicas bool
}

func (o object) String() string { return o.u.GetKind() + "/" + o.u.GetName() }

func (o object) client(dyn dynamic.Interface) dynamic.ResourceInterface {
	if ns := o.u.GetNamespace(); ns != "" {
		return dyn.Resource(o.gvr).Namespace(ns)
	}
	return dyn.Resource(o.gvr)
}

// renderedObjects renders the app (eks.patches applied) for the dynamic client.
func renderedObjects(app *spec.App) ([]object, error) {
	rendered, err := Render(app)
	if err != nil {
		return nil, err
	}
	return objects(rendered)
}

// objects converts the render (already in apply order) for the dynamic client.
func objects(objs []runtime.Object) ([]object, error) {
	out := make([]object, 0, len(objs))
	for _, o := range objs {
		m, err := clean(o)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		gvr, ok := kindResources[u.GetKind()]
		if !ok {
			return nil, fmt.Errorf("internal: no resource for kind %s", u.GetKind())
		}
		out = append(out, object{u: u, gvr: gvr})
	}
	return out, nil
}

// preflight checks what must hold before anything is written, so a deploy never stops half
// way: the CRDs the render needs exist. It also drops a Namespace that exists and is not
// shipit's: shipit uses it but does not adopt it (and so never deletes it).
func (s *Session) preflight(ctx context.Context, objs []object) ([]object, []string, error) {
	var notes []string
	out := objs[:0:0]
	for _, o := range objs {
		switch o.u.GetKind() {
		case "ExternalSecret":
			if _, err := s.disc.ServerResourcesForGroupVersion(o.gvr.GroupVersion().String()); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, nil, fmt.Errorf("the cluster has no ExternalSecret resource (%s): secrets from AWS need the External Secrets Operator installed; nothing was applied (install it, or use k8s:<secret>/<key> references)", o.gvr.GroupVersion())
				}
				return nil, nil, fmt.Errorf("checking for the ExternalSecret CRD: %w", err)
			}
		case "Namespace":
			// Only a namespace shipit created for this very app is shipit's to apply (and,
			// later, to delete): one made by anyone else, or by shipit for another app, is
			// used as it is.
			ns, err := s.cs.CoreV1().Namespaces().Get(ctx, o.u.GetName(), metav1.GetOptions{})
			if err == nil && (ns.Labels[ManagedByLabel] != spec.ManagedBy || ns.Labels[NameLabel] != o.u.GetLabels()[NameLabel]) {
				notes = append(notes, fmt.Sprintf("namespace %s exists and is not this app's: using it as is", ns.Name))
				continue
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return nil, nil, fmt.Errorf("get namespace %s: %w", o.u.GetName(), err)
			}
		}
		out = append(out, o)
	}
	return out, notes, nil
}

// unchanged reports whether every object is live with the same spec hash. The Namespace is
// left out: it holds nothing of the spec.
func (s *Session) unchanged(ctx context.Context, objs []object, hash string) bool {
	for _, o := range objs {
		if o.u.GetKind() == "Namespace" {
			continue
		}
		live, err := o.client(s.dyn).Get(ctx, o.u.GetName(), metav1.GetOptions{})
		if err != nil || live.GetAnnotations()[spec.HashAnnotation] != hash {
			return false
		}
	}
	return true
}

// applyAll applies the objects for real after a server-side dry run of every one of them has
// passed, so a conflict or an invalid field stops the deploy before anything is written. The
// real apply is not cut short by Ctrl-C (it takes a moment): nothing is left half-applied.
// beforeWrite runs once the app's namespace exists and before anything else is written: it
// takes the deploy lock, which lives in that namespace.
func (s *Session) applyAll(ctx context.Context, objs []object, force bool, beforeWrite func(context.Context) error) ([]string, error) {
	// Objects of a namespace that does not exist yet cannot be dry-run; nothing in it can
	// conflict either.
	var check []object
	newNamespace := false
	missing := map[string]bool{} // one read per namespace, not per object
	for _, o := range objs {
		if ns := o.u.GetNamespace(); ns != "" {
			gone, seen := missing[ns]
			if !seen {
				_, err := s.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
				gone = apierrors.IsNotFound(err)
				missing[ns] = gone
			}
			if gone {
				newNamespace = true
				continue
			}
		}
		check = append(check, o)
	}
	if _, _, err := s.apply(ctx, check, force, true); err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(target.WithoutInterrupt(ctx), 2*time.Minute)
	defer cancel()
	// The lock lives in the namespace: a new one is created first, an existing one is not
	// written before the lock is held.
	n := 0
	for newNamespace && n < len(objs) && objs[n].u.GetKind() == "Namespace" {
		n++
	}
	_, applied, err := s.apply(actx, objs[:n], force, false)
	if err != nil {
		return applied, err
	}
	if err := beforeWrite(actx); err != nil {
		return applied, err
	}
	_, rest, err := s.apply(actx, objs[n:], force, false)
	return append(applied, rest...), err
}

// apply server-side applies the objects in order with field manager "shipit".
func (s *Session) apply(ctx context.Context, objs []object, force, dryRun bool) ([]*unstructured.Unstructured, []string, error) {
	var applied []string
	var results []*unstructured.Unstructured
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: force}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for _, o := range objs {
		res, err := o.client(s.dyn).Apply(ctx, o.u.GetName(), o.u, opts)
		if err != nil && o.takeReplicas && !opts.Force && onlyReplicasConflict(err) {
			forced := opts
			forced.Force = true
			res, err = o.client(s.dyn).Apply(ctx, o.u.GetName(), o.u, forced)
		}
		if err != nil {
			return results, applied, applyError(o, err)
		}
		results = append(results, res)
		applied = append(applied, o.String())
	}
	return results, applied, nil
}

// applyError explains a failed apply; a conflict names each field and the manager that owns
// it, since shipit never takes fields over silently.
func applyError(o object, err error) error {
	var st apierrors.APIStatus
	if apierrors.IsConflict(err) && errors.As(err, &st) && st.Status().Details != nil {
		var lines []string
		for _, c := range st.Status().Details.Causes {
			lines = append(lines, "  "+c.Field+": "+c.Message)
		}
		return fmt.Errorf("apply %s: fields owned by another field manager; shipit did not overwrite them:\n%s\n(pass --force-conflicts to take them over, or remove them from the other tool)",
			o, strings.Join(lines, "\n"))
	}
	return fmt.Errorf("apply %s: %w", o, err)
}

// deploymentOf returns the Deployment among applied results.
func deploymentOf(objs []object) *object {
	for i := range objs {
		if objs[i].u.GetKind() == "Deployment" {
			return &objs[i]
		}
	}
	return nil
}

package eks

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// destroyOrder deletes dependents first: nothing is left pointing at what is already gone.
var destroyOrder = []string{"HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Service", "Deployment", "PersistentVolumeClaim", "PersistentVolume", "ExternalSecret", "ServiceAccount"}

// Destroy deletes only objects labelled as shipit's for this app, and the namespace only when
// shipit created it for this app.
func (s *Session) Destroy(ctx context.Context, app *spec.App, opts target.DestroyOptions, r target.Reporter) (*target.DestroyResult, error) {
	ns := app.EKS.Namespace
	if !opts.Plan {
		// Not while a deploy of the app is under way. Without the namespace there is
		// nothing to lock, nor to delete but a cluster-wide volume.
		release, err := s.lock(ctx, app, "destroy", false, s.noter(app, r))
		switch {
		case err == nil:
			defer release()
		case !apierrors.IsNotFound(err):
			return nil, err
		}
	}
	res := &target.DestroyResult{Deleted: []string{}}
	owned, err := s.owned(ctx, app)
	if err != nil {
		return nil, err
	}
	for _, o := range owned {
		res.Deleted = append(res.Deleted, o.String())
		if opts.Plan {
			continue
		}
		if err := s.delete(ctx, o); err != nil {
			return res, fmt.Errorf("%w (deleted so far: %v)", err, res.Deleted[:len(res.Deleted)-1])
		}
		r.Report(s.event(app, target.Progressing, "deleted "+o.String()))
	}
	if ns != spec.DefaultNamespace {
		n, err := s.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return res, fmt.Errorf("get namespace %s: %w", ns, err)
		case n.Labels[ManagedByLabel] == spec.ManagedBy && n.Labels[NameLabel] == app.Name:
			// Created by shipit for this app, but it may hold things since put there by
			// others: deleting it would take them along.
			if others, err := s.othersIn(ctx, ns, app.Name); err != nil {
				return res, err
			} else if len(others) > 0 {
				res.Kept = append(res.Kept, "Namespace/"+ns+" (still holds "+strings.Join(others, ", ")+")")
				break
			}
			res.Deleted = append(res.Deleted, "Namespace/"+ns)
			if !opts.Plan {
				if err := s.cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return res, fmt.Errorf("delete namespace %s: %w", ns, err)
				}
				r.Report(s.event(app, target.Progressing, "deleted Namespace/"+ns))
			}
		default:
			res.Kept = append(res.Kept, "Namespace/"+ns+" (not created by shipit for "+app.Name+")")
		}
	}
	return res, nil
}

// ownedObject is a live object labelled as shipit's for the app.
type ownedObject struct {
	kind, name, namespace string
	gvr                   schema.GroupVersionResource
}

func (o ownedObject) String() string { return o.kind + "/" + o.name }

// owned lists the app's live objects labelled as shipit's, in destroyOrder. PersistentVolumes
// are cluster-wide: they are found through the app's claims (each names its volume), so no
// cluster-wide list (nor the permission for one) is needed.
func (s *Session) owned(ctx context.Context, app *spec.App) ([]ownedObject, error) {
	ns := app.EKS.Namespace
	mine := func(l map[string]string) bool { return l[NameLabel] == app.Name && l[ManagedByLabel] == spec.ManagedBy }
	sel := labels.Set{NameLabel: app.Name, ManagedByLabel: spec.ManagedBy}.String()
	var out []ownedObject
	var volumes []string
	for _, kind := range destroyOrder {
		gvr := kindResources[kind]
		if kind == "ExternalSecret" && !s.hasResource(gvr) {
			continue
		}
		if kind == "PersistentVolume" {
			for _, name := range volumes {
				pv, err := s.dyn.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("get persistentvolume %s: %w", name, err)
				}
				if mine(pv.GetLabels()) && pv.GetDeletionTimestamp() == nil {
					out = append(out, ownedObject{kind: kind, name: name, gvr: gvr})
				}
			}
			continue
		}
		list, err := s.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil && kind == "PodDisruptionBudget" && apierrors.IsForbidden(err) && app.EKS.DisruptionBudget == nil {
			// An identity allowed no PodDisruptionBudgets (RBAC written before shipit rendered
			// them) still deploys and destroys an app that has none.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s in %s: %w", gvr.Resource, ns, err)
		}
		for _, item := range list.Items {
			if item.GetDeletionTimestamp() != nil {
				continue // already going (a claim waits for its last pod to stop)
			}
			if kind == "ServiceAccount" && item.GetName() == app.EKS.ServiceAccount && !app.EKS.OwnsServiceAccount() {
				// The spec now says this account is shared (createServiceAccount: false): shipit
				// made it once, but other apps may run under it, so neither prune nor destroy
				// deletes it.
				continue
			}
			if kind == "PersistentVolumeClaim" {
				if v, _, _ := unstructured.NestedString(item.Object, "spec", "volumeName"); v != "" {
					volumes = append(volumes, v)
				}
			}
			out = append(out, ownedObject{kind: kind, name: item.GetName(), namespace: item.GetNamespace(), gvr: gvr})
		}
	}
	return out, nil
}

// delete deletes one owned object; one already gone is fine.
func (s *Session) delete(ctx context.Context, o ownedObject) error {
	client := s.dyn.Resource(o.gvr)
	var err error
	if o.namespace == "" {
		err = client.Delete(ctx, o.name, metav1.DeleteOptions{})
	} else {
		err = client.Namespace(o.namespace).Delete(ctx, o.name, metav1.DeleteOptions{})
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", o, err)
	}
	return nil
}

// othersIn lists what a namespace holds that is not this app's (the namespace's automatic
// contents aside): workloads, services, config maps and secrets.
func (s *Session) othersIn(ctx context.Context, ns, app string) ([]string, error) {
	mine := func(labels map[string]string) bool {
		return labels[NameLabel] == app && labels[ManagedByLabel] == spec.ManagedBy
	}
	var out []string
	lists := []struct {
		kind string
		gvr  schema.GroupVersionResource
	}{
		{"deployment", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
		{"statefulset", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}},
		{"daemonset", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}},
		{"service", schema.GroupVersionResource{Version: "v1", Resource: "services"}},
		{"configmap", schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}},
		{"secret", schema.GroupVersionResource{Version: "v1", Resource: "secrets"}},
	}
	for _, l := range lists {
		items, err := s.dyn.Resource(l.gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list %s in %s: %w", l.gvr.Resource, ns, err)
		}
		for _, it := range items.Items {
			if mine(it.GetLabels()) || it.GetDeletionTimestamp() != nil || (l.kind == "configmap" && it.GetName() == "kube-root-ca.crt") {
				continue
			}
			if t, _, _ := unstructured.NestedString(it.Object, "type"); l.kind == "secret" && t == "kubernetes.io/service-account-token" {
				continue
			}
			out = append(out, l.kind+"/"+it.GetName())
		}
	}
	return out, nil
}

func (s *Session) hasResource(gvr schema.GroupVersionResource) bool {
	_, err := s.disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	return err == nil
}

// stale lists the app's live objects that the spec no longer renders.
func (s *Session) stale(ctx context.Context, app *spec.App, rendered []object) ([]ownedObject, error) {
	keep := map[string]bool{}
	for _, o := range rendered {
		keep[o.String()] = true
	}
	owned, err := s.owned(ctx, app)
	if err != nil {
		return nil, err
	}
	var out []ownedObject
	for _, o := range owned {
		if !keep[o.String()] {
			out = append(out, o)
		}
	}
	return out, nil
}

// prune deletes the app's stale objects of the given kinds (a Service after `expose: none`,
// an ExternalSecret after its secrets went), as `helm upgrade` does. Only objects labelled
// as shipit's for the app are candidates. It returns what it deleted.
func (s *Session) prune(ctx context.Context, app *spec.App, rendered []object, kinds func(string) bool) ([]string, error) {
	stale, err := s.stale(ctx, app, rendered)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, o := range stale {
		if !kinds(o.kind) {
			continue
		}
		if err := s.delete(ctx, o); err != nil {
			return deleted, err
		}
		deleted = append(deleted, o.String())
	}
	return deleted, nil
}

package eks

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// destroyOrder deletes dependents first: nothing is left pointing at what is already gone.
var destroyOrder = []string{"HorizontalPodAutoscaler", "Service", "Deployment", "PersistentVolumeClaim", "PersistentVolume", "ExternalSecret", "ServiceAccount"}

// Destroy deletes only objects labelled as shipit's for this app, and the namespace only when
// shipit created it for this app.
func (s *Session) Destroy(ctx context.Context, app *spec.App, opts target.DestroyOptions, r target.Reporter) (*target.DestroyResult, error) {
	ns := app.EKS.Namespace
	sel := labels.Set{NameLabel: app.Name, ManagedByLabel: spec.ManagedBy}.String()
	res := &target.DestroyResult{Deleted: []string{}}
	for _, kind := range destroyOrder {
		gvr := kindResources[kind]
		if kind == "ExternalSecret" && !s.hasResource(gvr) {
			continue
		}
		client := s.dyn.Resource(gvr)
		var list, err = client.Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if kind == "PersistentVolume" {
			list, err = client.List(ctx, metav1.ListOptions{LabelSelector: sel})
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
		}
		for _, item := range list.Items {
			name := kind + "/" + item.GetName()
			res.Deleted = append(res.Deleted, name)
			if opts.Plan {
				continue
			}
			rc := client.Namespace(item.GetNamespace())
			if kind == "PersistentVolume" {
				err = client.Delete(ctx, item.GetName(), metav1.DeleteOptions{})
			} else {
				err = rc.Delete(ctx, item.GetName(), metav1.DeleteOptions{})
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return res, fmt.Errorf("delete %s: %w (deleted so far: %v)", name, err, res.Deleted[:len(res.Deleted)-1])
			}
			r.Report(s.event(app, target.Progressing, "deleted "+name))
		}
	}
	if ns != spec.DefaultNamespace {
		n, err := s.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return res, fmt.Errorf("get namespace %s: %w", ns, err)
		case n.Labels[ManagedByLabel] == spec.ManagedBy && n.Labels[NameLabel] == app.Name:
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

func (s *Session) hasResource(gvr schema.GroupVersionResource) bool {
	_, err := s.disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	return err == nil
}

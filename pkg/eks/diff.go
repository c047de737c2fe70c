package eks

import (
	"context"
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Diff compares, object by object, the live state with what a server-side apply of the render
// would produce (a dry run: the API server applies defaults and merges other managers' fields
// exactly as a real apply would), so server defaults are never reported as differences.
func (s *Session) Diff(ctx context.Context, app *spec.App) (*target.DiffResult, error) {
	objs, err := renderedObjects(app)
	if err != nil {
		return nil, err
	}
	objs, _, err = s.preflight(ctx, objs)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, o := range objs {
		live, err := o.client(s.dyn).Get(ctx, o.u.GetName(), metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("get %s: %w", o, err)
		}
		if apierrors.IsNotFound(err) {
			live = nil
		}
		var want *unstructured.Unstructured
		if live == nil {
			want = o.u // a dry-run create would only add server defaults
		} else {
			res, err := o.client(s.dyn).Apply(ctx, o.u.GetName(), o.u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				return nil, applyError(o, err)
			}
			want = res
		}
		d, err := unified(o.String(), live, want)
		if err != nil {
			return nil, err
		}
		b.WriteString(d)
	}
	// What the spec no longer renders, a deploy deletes.
	stale, err := s.stale(ctx, app, objs)
	if err != nil {
		return nil, err
	}
	for _, o := range stale {
		rc := s.dyn.Resource(o.gvr).Namespace(o.namespace)
		live, err := rc.Get(ctx, o.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", o, err)
		}
		d, err := unified(o.String(), live, nil)
		if err != nil {
			return nil, err
		}
		b.WriteString(d)
	}
	return &target.DiffResult{Changed: b.Len() > 0, Diff: b.String()}, nil
}

// unified is the unified diff of two objects after normalisation ("" when equal).
func unified(name string, live, want *unstructured.Unstructured) (string, error) {
	a, err := normalised(live)
	if err != nil {
		return "", err
	}
	b, err := normalised(want)
	if err != nil {
		return "", err
	}
	if a == b {
		return "", nil
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b),
		FromFile: "live/" + name, ToFile: "shipit/" + name, Context: 3,
	})
}

// normalised prints an object without what the server owns: managedFields, status,
// resourceVersion and the like, the controller's revision annotation and shipit's own hashes.
func normalised(u *unstructured.Unstructured) (string, error) {
	if u == nil {
		return "", nil
	}
	c := u.DeepCopy()
	delete(c.Object, "status")
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	ann := c.GetAnnotations()
	delete(ann, RevisionAnnotation)
	delete(ann, spec.HashAnnotation) // derived from the spec; the fields themselves are compared
	delete(ann, RestoredHashAnnotation)
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	if len(ann) == 0 {
		unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
	} else {
		c.SetAnnotations(ann)
	}
	unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "creationTimestamp")
	b, err := yaml.Marshal(c.Object)
	return string(b), err
}

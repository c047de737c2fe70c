package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// The patches: what the spec's fields do not give back, computed object by object as the
// strategic merge patch (apimachinery's, as kubectl computes it) from the render to the
// original, both in the same normal form: the API server's defaults left out, quantities in
// their canonical form, shipit's own bookkeeping (its labels, the spec hash) set aside.

// renderEKS writes the spec, loads it back as `shipit render` would and renders it: what the
// import writes is what is checked.
func renderEKS(res *Result) (*spec.App, []runtime.Object, error) {
	y, err := res.YAML()
	if err != nil {
		return nil, nil, err
	}
	app, err := spec.Parse("shipit.yaml", y, spec.Options{Target: spec.TargetEKS, Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, nil, err
	}
	if errs, _ := app.Validate(spec.TargetEKS); len(errs) > 0 {
		return nil, nil, errs
	}
	objs, err := eks.Render(app)
	return app, objs, err
}

func asSpecErrors(err error, errs *spec.Errors) bool { return err != nil && errors.As(err, errs) }

// pair is an original object and the rendered object it must be.
type pair struct {
	orig       *k8sObject
	kind, name string
}

// pairs are the app's objects with the names the render gives them.
func (in *k8sApp) pairs(app *spec.App) []pair {
	out := []pair{{in.dep, "Deployment", app.Name}}
	if in.svc != nil {
		out = append(out, pair{in.svc, "Service", eks.ServiceName(app)})
	}
	if in.pub != nil {
		name := in.pub.name
		if ps := app.EKS.PublicService; ps != nil {
			name = ps.Name
		}
		out = append(out, pair{in.pub, "Service", name})
	}
	if in.hpa != nil {
		out = append(out, pair{in.hpa, "HorizontalPodAutoscaler", app.Name})
	}
	if in.sa != nil {
		out = append(out, pair{in.sa, "ServiceAccount", app.EKS.ServiceAccount})
	}
	if in.pdb != nil {
		out = append(out, pair{in.pdb, "PodDisruptionBudget", app.Name})
	}
	if in.ing != nil {
		out = append(out, pair{in.ing, "Ingress", app.Name})
	}
	if in.secret != nil {
		out = append(out, pair{in.secret, "ExternalSecret", app.Name})
	}
	seen := map[*k8sObject]bool{}
	for _, v := range app.Volumes {
		if e, ok := in.efs[v.Name]; ok && v.EFS != nil {
			pvc, pv := eks.EFSVolumeNames(app, v)
			out = append(out, pair{e[0], "PersistentVolumeClaim", pvc}, pair{e[1], "PersistentVolume", pv})
			seen[e[0]], seen[e[1]] = true, true
		}
	}
	// Claims and volumes the spec does not say as EFS volumes: the patches cannot make them.
	for _, m := range []map[string]*k8sObject{in.claims, in.pvs} {
		for _, o := range m {
			if !seen[o] {
				out = append(out, pair{o, o.kind, ""})
			}
		}
	}
	return out
}

func findObject(objs []runtime.Object, kind, name string) runtime.Object {
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind != kind {
			continue
		}
		if m, ok := o.(interface{ GetName() string }); ok && m.GetName() == name {
			return o
		}
	}
	return nil
}

// patch computes eks.patches from the render of the spec without them, and sets them on the
// spec. It returns what no patch can carry: objects the spec does not render at all, and
// shipit's own labels where the original has other values.
func (in *k8sApp) patch(res *Result, app *spec.App, rendered []runtime.Object) ([]Loss, error) {
	count := map[string]int{}
	for _, o := range rendered {
		count[o.GetObjectKind().GroupVersionKind().Kind]++
	}
	var lost []Loss
	var patches []spec.Patch
	for _, p := range in.pairs(app) {
		r := findObject(rendered, p.kind, p.name)
		if r == nil {
			lost = append(lost, Loss{Field: p.orig.ref(), Reason: "the spec renders no such " + p.kind + " (" + p.orig.src + "): keep applying it as it is"})
			continue
		}
		rn, err := normal(r)
		if err != nil {
			return nil, err
		}
		on, err := normal(p.orig.obj)
		if err != nil {
			return nil, err
		}
		lost = append(lost, setAside(rn, on, app, p.orig.ref())...)
		patch, err := twoWay(rn, on, r)
		if err != nil {
			return nil, fmt.Errorf("internal: the patch for %s: %w", p.orig.ref(), err)
		}
		if len(patch) == 0 {
			continue
		}
		minimise(patch, func(m map[string]any) bool { return reproduces(r, m, on, app) })
		if len(patch) == 0 {
			continue
		}
		sp := spec.Patch{Kind: p.kind, Patch: patch}
		if count[p.kind] > 1 {
			sp.Name = p.name
		}
		patches = append(patches, sp)
	}
	res.App.EKS.Patches = patches
	return lost, nil
}

// normal is an object as plain JSON values in the import's normal form: the API server's
// defaults and what it allocates or records left out, quantities canonical (the typed round
// trip), no status.
func normal(o runtime.Object) (map[string]any, error) {
	c := o.DeepCopyObject()
	eks.FillDefaults(c)
	eks.StripDefaults(c)
	eks.StripServerFields(c)
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, k := range []string{"status", "apiVersion", "kind"} {
		delete(m, k) // the pairing has matched kinds; autoscaling/v1 and v2 are one object
	}
	dropNulls(m)
	return m, nil
}

// dropNulls removes null values and empty creationTimestamps: what a typed object prints for
// fields it does not have.
func dropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if c == nil {
				delete(t, k)
				continue
			}
			dropNulls(c)
		}
	case []any:
		for _, c := range t {
			dropNulls(c)
		}
	}
}

// setAside removes from both sides what the comparison leaves to shipit: a Deployment's
// replica count under autoscale (the HPA's), and on the objects' own
// metadata (not the pod template's), the labels shipit adds (its own and the app's labels),
// the spec hash, and the namespace when the original leaves it to the context. shipit's own
// labels where the original has other values, and metadata shipit never sets (owners,
// finalizers) are lost.
func setAside(rn, on map[string]any, app *spec.App, ref string) []Loss {
	var lost []Loss
	if ds, ok := on["spec"].(map[string]any); ok && ds["template"] != nil && app.Autoscale != nil {
		// With autoscale the HorizontalPodAutoscaler owns the count: shipit leaves it out of
		// the Deployment, so that a deploy never resets it.
		if n, ok := ds["replicas"]; ok {
			lost = append(lost, Loss{Field: ref + ".spec.replicas", Reason: fmt.Sprintf("%v: the HorizontalPodAutoscaler sets the count; shipit leaves it out so that a deploy never resets it", n)})
			delete(ds, "replicas")
		}
		if rs, ok := rn["spec"].(map[string]any); ok {
			delete(rs, "replicas")
		}
	}
	rm, _ := rn["metadata"].(map[string]any)
	om, _ := on["metadata"].(map[string]any)
	if rm == nil || om == nil {
		return lost
	}
	if _, ok := om["namespace"]; !ok {
		delete(rm, "namespace")
	}
	// Both sides have both maps, so that the patch removes single keys (the NLB's annotations
	// of a LoadBalancer Service that had none) and never the whole map with shipit's own.
	for _, m := range []map[string]any{rm, om} {
		for _, k := range []string{"labels", "annotations"} {
			if _, ok := m[k].(map[string]any); !ok {
				m[k] = map[string]any{}
			}
		}
	}
	rl, _ := rm["labels"].(map[string]any)
	ol, _ := om["labels"].(map[string]any)
	for _, own := range []string{eks.NameLabel, eks.ManagedByLabel} {
		if v, ok := ol[own]; ok && v != rl[own] {
			lost = append(lost, Loss{Field: ref + ".metadata.labels." + own, Reason: fmt.Sprintf("%v: shipit labels what it deploys %s=%v, and finds it by that label (destroy, pruning)", v, own, rl[own])})
			delete(ol, own)
		}
	}
	for k := range rl {
		_, mine := app.Labels[k]
		if _, there := ol[k]; !there && (mine || k == eks.NameLabel || k == eks.ManagedByLabel) {
			delete(rl, k)
		}
	}
	for _, m := range []map[string]any{rm, om} {
		if a, ok := m["annotations"].(map[string]any); ok {
			delete(a, spec.HashAnnotation)
		}
	}
	for _, f := range []string{"ownerReferences", "finalizers", "generateName"} {
		if v, ok := om[f]; ok {
			b, _ := json.Marshal(v)
			lost = append(lost, Loss{Field: ref + ".metadata." + f, Reason: string(b) + ": shipit sets no " + f + " on what it deploys"})
			delete(om, f)
		}
	}
	return lost
}

// twoWay is the patch from the render to the original: a strategic merge patch for a typed
// object (lists of containers, env, ports… merge by their keys), a JSON merge patch for a
// custom resource.
func twoWay(rn, on map[string]any, typed runtime.Object) (map[string]any, error) {
	from, _ := json.Marshal(rn)
	to, _ := json.Marshal(on)
	var b []byte
	var err error
	if _, custom := typed.(*unstructured.Unstructured); custom {
		b, err = jsonpatch.CreateMergePatch(from, to)
	} else {
		b, err = strategicpatch.CreateTwoWayMergePatch(from, to, reflect.New(reflect.TypeOf(typed).Elem()).Interface())
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// reproduces reports whether the patch, applied to the rendered object as the render applies
// eks.patches, gives the original (in the normal form, shipit's bookkeeping set aside).
func reproduces(r runtime.Object, patch map[string]any, on map[string]any, app *spec.App) bool {
	out, err := applyPatch(r, patch)
	if err != nil {
		return false
	}
	got, err := normal(out)
	if err != nil {
		return false
	}
	want := deepCopyMap(on)
	setAside(got, want, app, "")
	return reflect.DeepEqual(got, want)
}

// applyPatch applies a patch the way eks.Render applies eks.patches.
func applyPatch(r runtime.Object, patch map[string]any) (runtime.Object, error) {
	orig, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	p, _ := json.Marshal(patch)
	var out []byte
	if _, custom := r.(*unstructured.Unstructured); custom {
		out, err = jsonpatch.MergePatch(orig, p)
	} else {
		out, err = strategicpatch.StrategicMergePatch(orig, p, reflect.New(reflect.TypeOf(r).Elem()).Interface())
	}
	if err != nil {
		return nil, err
	}
	if _, custom := r.(*unstructured.Unstructured); custom {
		u := &unstructured.Unstructured{}
		return u, u.UnmarshalJSON(out)
	}
	into := reflect.New(reflect.TypeOf(r).Elem()).Interface().(runtime.Object)
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	return into, dec.Decode(into)
}

func deepCopyMap(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// minimise drops what the patch does not need, one key at a time from the top, keeping a key
// only when the patch without it no longer gives the original: apimachinery writes directives
// ($setElementOrder for every list it touches, $retainKeys) and whole values (a selector,
// whose patch strategy is replace) that the result does not always need.
func minimise(patch map[string]any, ok func(map[string]any) bool) {
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			delete(m, k)
			if ok(patch) {
				continue
			}
			m[k] = v
			switch x := v.(type) {
			case map[string]any:
				walk(x)
			case []any:
				for _, it := range x {
					if im, isMap := it.(map[string]any); isMap {
						walk(im)
					}
				}
			}
		}
	}
	walk(patch)
	pruneEmpty(patch)
}

// pruneEmpty drops maps a minimised patch left empty (but for list items, which name an element).
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		if c, ok := v.(map[string]any); ok {
			pruneEmpty(c)
			if len(c) == 0 {
				delete(m, k)
			}
		}
	}
}

// verify renders the final spec and lists every field of the originals it does not reproduce
// (there should be none: the patches are checked one by one), so that nothing is lost
// without a word.
func (in *k8sApp) verify(app *spec.App, rendered []runtime.Object) []Loss {
	var lost []Loss
	for _, p := range in.pairs(app) {
		r := findObject(rendered, p.kind, p.name)
		if r == nil {
			continue // listed by patch already
		}
		got, err1 := normal(r)
		want, err2 := normal(p.orig.obj)
		if err1 != nil || err2 != nil {
			lost = append(lost, Loss{Field: p.orig.ref(), Reason: "could not be compared with the render"})
			continue
		}
		setAside(got, want, app, "")
		for _, d := range diffPaths(want, got, "") {
			lost = append(lost, Loss{Field: p.orig.ref() + "." + d, Reason: "not reproduced by the render"})
		}
	}
	return lost
}

// diffPaths lists where two JSON values differ.
func diffPaths(want, got any, at string) []string {
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{at}
		}
		var out []string
		keys := slices.Collect(maps.Keys(w))
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, diffPaths(w[k], g[k], join(k))...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{at}
		}
		var out []string
		for i := range w {
			out = append(out, diffPaths(w[i], g[i], fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{at}
	}
	return nil
}

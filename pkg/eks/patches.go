package eks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// applyPatches applies eks.patches to the rendered objects, in order. A typed object takes a
// strategic merge patch (as kubectl patch does: lists of containers merge by name) or JSON
// patch operations, and the result is decoded back into its type with unknown fields
// refused; a custom resource (ExternalSecret) takes a JSON merge patch. Any error names the
// patch, before anything is applied.
func applyPatches(app *spec.App, objs []runtime.Object) ([]runtime.Object, error) {
	for i, p := range app.EKS.Patches {
		field := fmt.Sprintf("eks.patches[%d]", i)
		fail := func(f, fix, format string, args ...any) error {
			pos := app.Source.Position(f)
			return spec.Errors{{File: app.Source.File, Line: pos.Line, Column: pos.Column, Field: f, Target: spec.TargetEKS, Message: fmt.Sprintf(format, args...), Fix: fix}}
		}
		idx, names := -1, []string{}
		for j, o := range objs {
			kind, name := kindName(o)
			if kind != p.Kind {
				continue
			}
			names = append(names, name)
			if p.Name == name || (p.Name == "" && idx < 0) {
				idx = j
			}
		}
		switch {
		case len(names) == 0:
			return nil, fail(field+".kind", "", "the app renders no %s", p.Kind)
		case p.Name == "" && len(names) > 1:
			return nil, fail(field, "add name: one of "+strings.Join(names, ", "), "the app renders %d objects of kind %s", len(names), p.Kind)
		case idx < 0:
			return nil, fail(field+".name", "one of "+strings.Join(names, ", "), "the app renders no %s named %q", p.Kind, p.Name)
		}
		patched, err := patchObject(objs[idx], p)
		if err != nil {
			return nil, fail(field, "check the fields against `kubectl explain "+strings.ToLower(p.Kind)+"`", "%s %s: %v", p.Kind, names[0], err)
		}
		objs[idx] = patched
	}
	return objs, nil
}

func kindName(o runtime.Object) (string, string) {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if u, ok := o.(*unstructured.Unstructured); ok {
		return kind, u.GetName()
	}
	if m, ok := o.(interface{ GetName() string }); ok {
		return kind, m.GetName()
	}
	return kind, ""
}

func patchObject(o runtime.Object, p spec.Patch) (runtime.Object, error) {
	orig, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var out []byte
	_, custom := o.(*unstructured.Unstructured)
	switch {
	case len(p.JSONPatch) > 0:
		ops, err := json.Marshal(p.JSONPatch)
		if err != nil {
			return nil, err
		}
		patch, err := jsonpatch.DecodePatch(ops)
		if err != nil {
			return nil, err
		}
		if out, err = patch.Apply(orig); err != nil {
			return nil, err
		}
	case custom:
		b, err := json.Marshal(p.Patch)
		if err != nil {
			return nil, err
		}
		if out, err = jsonpatch.MergePatch(orig, b); err != nil {
			return nil, err
		}
	default:
		b, err := json.Marshal(p.Patch)
		if err != nil {
			return nil, err
		}
		if out, err = strategicpatch.StrategicMergePatch(orig, b, reflect.New(reflect.TypeOf(o).Elem()).Interface()); err != nil {
			return nil, err
		}
	}
	if custom {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(out); err != nil {
			return nil, err
		}
		return u, nil
	}
	into := reflect.New(reflect.TypeOf(o).Elem()).Interface().(runtime.Object)
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return nil, err
	}
	if into.GetObjectKind().GroupVersionKind() != o.GetObjectKind().GroupVersionKind() {
		return nil, fmt.Errorf("a patch cannot change apiVersion or kind")
	}
	return into, nil
}

package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// applyOverrides sets ecs.overrides in the rendered inputs, in order. Each one is applied to
// the CLI-shaped JSON of the input, which is then decoded back into the SDK's input struct
// with unknown fields refused: a misspelt field or a wrong type is an error naming the
// override, before anything is sent.
func applyOverrides(app *spec.App, r *Rendered) error {
	if len(app.ECS.Overrides) == 0 {
		return nil
	}
	docs := map[string]any{"taskDefinition": plain(r.TaskDefinition), "service": plain(r.Service)}
	for i, o := range app.ECS.Overrides {
		field := fmt.Sprintf("ecs.overrides[%d]", i)
		fail := func(f, fix, format string, args ...any) error {
			pos := app.Source.Position(f)
			return spec.Errors{{File: app.Source.File, Line: pos.Line, Column: pos.Column, Field: f, Target: spec.TargetECS, Message: fmt.Sprintf(format, args...), Fix: fix}}
		}
		root, rest, _ := strings.Cut(o.Path, ".")
		steps, err := spec.ParseOverridePath(rest)
		if err != nil || docs[root] == nil {
			return fail(field+".path", "", "%q is not an override path", o.Path)
		}
		if root == "service" && !serviceOverridable[steps[0].Field] {
			return fail(field+".path", "override one of "+strings.Join(overridableNames(), ", "),
				"service.%s is not among the settings a deploy keeps on the live service (it would hold on the first deploy only), so shipit does not override it", steps[0].Field)
		}
		doc, err := setPath(docs[root], steps, jsonValue(o.Value))
		if err != nil {
			return fail(field+".path", "", "%s: %v", o.Path, err)
		}
		docs[root] = doc
		var into any = &ecs.RegisterTaskDefinitionInput{}
		if root == "service" {
			into = &ecs.CreateServiceInput{}
		}
		if err := strictDecode(doc, into); err != nil {
			return fail(field, "check the field against `aws ecs "+map[string]string{"taskDefinition": "register-task-definition", "service": "create-service"}[root]+" --generate-cli-skeleton`",
				"the %s does not take this: %v", map[string]string{"taskDefinition": "task definition", "service": "service input"}[root], err)
		}
		switch v := into.(type) {
		case *ecs.RegisterTaskDefinitionInput:
			r.TaskDefinition = v
		case *ecs.CreateServiceInput:
			r.Service = v
		}
	}
	return nil
}

// serviceOverridable are the service input fields a deploy also sends to UpdateService
// (settings.go), so an override of them holds on every deploy, not only the first.
var serviceOverridable = map[string]bool{
	"networkConfiguration": true, "deploymentConfiguration": true, "healthCheckGracePeriodSeconds": true,
	"loadBalancers": true, "serviceRegistries": true, "enableExecuteCommand": true, "platformVersion": true,
	"enableECSManagedTags": true, "propagateTags": true, "capacityProviderStrategy": true,
	"serviceConnectConfiguration": true,
}

// ServiceOverridable reports whether ecs.overrides may set a field of the service input (one a
// deploy keeps on the live service); `shipit import` writes the others as lost.
func ServiceOverridable(field string) bool { return serviceOverridable[field] }

func overridableNames() []string {
	return slices.Sorted(maps.Keys(serviceOverridable))
}

// plain is v as plain JSON values (maps, lists, strings, float64s), as encoding/json reads it.
func plain(v any) any {
	b, _ := json.Marshal(awsjson.Value(v))
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// jsonValue turns a YAML-decoded value (maps with string keys, ints) into plain JSON values.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// strictDecode reads CLI-shaped JSON into an SDK input: field names match the SDK's
// (encoding/json matches them regardless of case), and a field the SDK lacks is an error.
func strictDecode(doc, into any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// setPath sets (or with a nil value removes) the value at steps in doc and returns doc.
func setPath(doc any, steps []spec.PathStep, value any) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	st := steps[0]
	m, ok := doc.(map[string]any)
	if doc == nil {
		m, ok = map[string]any{}, true
	}
	if !ok {
		return nil, fmt.Errorf("%s: not an object", st.Field)
	}
	last := len(steps) == 1
	if st.Index == -1 && st.Key == "" {
		if last && value == nil {
			delete(m, st.Field)
			return m, nil
		}
		child, err := setPath(m[st.Field], steps[1:], value)
		if err != nil {
			return nil, err
		}
		m[st.Field] = child
		return m, nil
	}
	list, _ := m[st.Field].([]any)
	if m[st.Field] != nil && list == nil {
		return nil, fmt.Errorf("%s is not a list", st.Field)
	}
	i := st.Index
	switch {
	case st.Key != "":
		i = -1
		for j, item := range list {
			if im, ok := item.(map[string]any); ok && fmt.Sprint(im[st.Key]) == st.Value {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("%s has no item with %s=%s", st.Field, st.Key, st.Value)
		}
	case i == -2:
		list = append(list, nil)
		i = len(list) - 1
	case i >= len(list):
		return nil, fmt.Errorf("%s[%d]: the list has %d item(s)", st.Field, i, len(list))
	}
	if last && value == nil {
		list = append(list[:i], list[i+1:]...)
	} else {
		child, err := setPath(list[i], steps[1:], value)
		if err != nil {
			return nil, err
		}
		list[i] = child
	}
	m[st.Field] = list
	return m, nil
}

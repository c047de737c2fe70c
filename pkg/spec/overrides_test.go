package spec

import (
	"strings"
	"testing"
)

// TestOverrideShapes: the shape of ecs.overrides and eks.patches is checked at load, with the
// place and the fix; what they set is checked when the app is rendered (pkg/ecs, pkg/eks).
func TestOverrideShapes(t *testing.T) {
	base := "version: 1\nname: web\nimage: web:1\nport: 80\n"
	for _, tc := range []struct {
		name, src, target, want string
	}{
		{"an ECS override outside the inputs", base + "ecs:\n  executionRole: arn:aws:iam::123456789012:role/e\n  subnets: [subnet-0abc]\n  overrides: [{path: cluster.name, value: x}]\n", TargetECS,
			`shipit.yaml:8:22: ecs.overrides[0].path: [ecs] "cluster.name" does not name a field of the task definition or the service (start it with taskDefinition. or service., e.g. taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled)`},
		{"a bad list item", base + "ecs:\n  executionRole: arn:aws:iam::123456789012:role/e\n  subnets: [subnet-0abc]\n  overrides: [{path: 'taskDefinition.volumes[x', value: x}]\n", TargetECS,
			`shipit.yaml:8:22: ecs.overrides[0].path: [ecs] "volumes[x": an item is written [N], [-] or [key=value] (write fields as a.b, list items as [0], [-] (append) or [name=web])`},
		{"a patch of a kind shipit does not render", base + "eks:\n  patches: [{kind: StatefulSet, patch: {spec: {}}}]\n", TargetEKS,
			`shipit.yaml:6:20: eks.patches[0].kind: [eks] shipit renders no "StatefulSet" (one of Namespace, ServiceAccount, ExternalSecret, PersistentVolume, PersistentVolumeClaim, Deployment, Service, Ingress, HorizontalPodAutoscaler, PodDisruptionBudget)`},
		{"both kinds of patch", base + "eks:\n  patches: [{kind: Service, patch: {spec: {}}, jsonPatch: [{op: add, path: /x, value: 1}]}]\n", TargetEKS,
			"shipit.yaml:6:13: eks.patches[0]: [eks] a patch needs exactly one of patch and jsonPatch (give patch: (a strategic merge patch) or jsonPatch: (operations), one of them)"},
		{"a JSON patch that is not one", base + "eks:\n  patches: [{kind: Service, jsonPatch: [{op: merge, path: spec}]}]\n", TargetEKS,
			"shipit.yaml:6:46: eks.patches[0].jsonPatch[0].op: [eks] \"merge\" is not a JSON patch operation (add, remove, replace, move, copy or test)\nshipit.yaml:6:59: eks.patches[0].jsonPatch[0].path: [eks] \"spec\" is not a JSON pointer (a JSON pointer, e.g. /spec/template/spec/containers/0/lifecycle)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Parse("shipit.yaml", []byte(tc.src), Options{Getenv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			errs, _ := app.Validate(tc.target)
			if got := errs.Error(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	// A spec with both, well formed, validates.
	ok := base + "ecs:\n  executionRole: arn:aws:iam::123456789012:role/e\n  subnets: [subnet-0abc]\n  overrides: [{path: 'taskDefinition.containerDefinitions[name=web].stopTimeout', value: 5}]\neks:\n  patches: [{kind: Deployment, patch: {spec: {paused: false}}}]\n"
	app, err := Parse("shipit.yaml", []byte(ok), Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{TargetECS, TargetEKS} {
		if errs, _ := app.Validate(tg); len(errs) > 0 && !strings.Contains(errs.Error(), "health") {
			t.Errorf("%s: %v", tg, errs)
		}
	}
}

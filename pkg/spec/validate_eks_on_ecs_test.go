package spec

import (
	"strings"
	"testing"
)

// TestECSWarnsAboutEKSBlock: the eks: settings ECS goes without are warnings for ECS, whether
// the spec is loaded for ECS alone (validate --target ecs, which does not read the eks: block,
// nor need its variables) or for both targets; EKS does not warn about them.
func TestECSWarnsAboutEKSBlock(t *testing.T) {
	src := base + `eks:
  namespace: shop
  env: {POD_IP: {field: status.podIP}}
  envFrom: [{configMap: "${CONFIG_MAP}"}]
  podSecurity: {runAsUser: 1000}
  extendedResources: {vpc.amazonaws.com/pod-eni: 1}
  patches:
    - kind: Deployment
      patch: {spec: {template: {spec: {shareProcessNamespace: true}}}}
`
	want := []string{
		"shipit.yaml:13:3: eks.env: [ecs] variables Kubernetes supplies (the downward API, ConfigMap and Secret keys) are not set on ECS: the container starts without them (give ECS the values in env: or secrets: (under environments for ECS alone if they differ))",
		"shipit.yaml:14:3: eks.envFrom: [ecs] the variables of these ConfigMaps and Secrets are not set on ECS: the container starts without them (list the variables in env: or secrets: for ECS)",
		"shipit.yaml:15:3: eks.podSecurity: [ecs] the pod's user, group and fsGroup are Kubernetes settings: on ECS the containers run as their images or security: say (set security: {runAsUser, runAsGroup} on the app for ECS)",
		"shipit.yaml:16:3: eks.extendedResources: [ecs] Fargate has no device plugins: these resources are not asked for on ECS",
		"shipit.yaml:17:3: eks.patches: [ecs] patches change the Kubernetes objects only: nothing they set reaches the ECS task definition or service (say it for ECS with ecs.overrides)",
	}
	for _, only := range []string{TargetECS, ""} {
		env := map[string]string{"CONFIG_MAP": "web"}
		if only == TargetECS {
			env = nil // the eks: block is not expanded for ECS
		}
		app, err := Parse("shipit.yaml", []byte(src), Options{Target: only, Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err != nil {
			t.Fatalf("target %q: %v", only, err)
		}
		errs, warns := app.Validate(TargetECS)
		if len(errs) > 0 {
			t.Fatalf("target %q: %v", only, errs)
		}
		var got []string
		for _, w := range warns {
			if strings.Contains(w.Field, "eks.") {
				got = append(got, w.Error())
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("target %q:\n%s\nwant:\n%s", only, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	app, err := Parse("shipit.yaml", []byte(src), Options{Target: TargetEKS, Getenv: func(string) (string, bool) { return "web", true }})
	if err != nil {
		t.Fatal(err)
	}
	if _, warns := app.Validate(TargetEKS); len(warns) > 0 {
		t.Errorf("eks: %v", warns)
	}
}

package spec

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestOverlayMergesMapsAndReplacesScalarsAndLists(t *testing.T) {
	src := base + `replicas: 3
env: {APP_ENV: production, LOG_LEVEL: info}
labels: {team: web}
args: [--a, --b]
environments:
  staging:
    replicas: 1
    env: {APP_ENV: staging}
    args: [--c]
    ecs: {cluster: staging}
`
	app, err := load(t, src, nil, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if *app.Replicas != 1 {
		t.Errorf("replicas = %d, want 1 (scalar replaced)", *app.Replicas)
	}
	if want := map[string]string{"APP_ENV": "staging", "LOG_LEVEL": "info"}; !reflect.DeepEqual(app.Env, want) {
		t.Errorf("env = %v, want %v (maps merge by key)", app.Env, want)
	}
	if !reflect.DeepEqual(app.Args, []string{"--c"}) {
		t.Errorf("args = %v, want [--c] (lists replace)", app.Args)
	}
	if app.ECS.Cluster != "staging" || app.ECS.Region != "ap-northeast-2" || len(app.ECS.Subnets) != 1 {
		t.Errorf("ecs = %+v, want cluster replaced and the rest kept", app.ECS)
	}
	if app.Labels["team"] != "web" {
		t.Errorf("labels lost: %v", app.Labels)
	}
	if got := app.Source.Environments; !reflect.DeepEqual(got, []string{"staging"}) {
		t.Errorf("environments = %v", got)
	}
	// An error in an overridden value points into the environments block.
	bad := strings.Replace(src, "replicas: 1", "replicas: -1", 1)
	_, err = load(t, bad, nil, "staging")
	if err == nil || err.Error() != "shipit.yaml:17:15: replicas: -1 is negative" {
		t.Errorf("got %v, want the error on line 17 (the environment's)", err)
	}
}

func TestExpansion(t *testing.T) {
	src := strings.Replace(base, "web:1", "web:${TAG:-latest}", 1) + "replicas: ${N:-2}\nenv: {PRICE: $$5, MIXED: \"${A}-${B:-b}\"}\n"
	app, err := load(t, src, map[string]string{"A": "a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(app.Image, "web:latest") || *app.Replicas != 2 || app.Env["PRICE"] != "$5" || app.Env["MIXED"] != "a-b" {
		t.Errorf("image %q replicas %d env %v", app.Image, *app.Replicas, app.Env)
	}
	app, err = load(t, src, map[string]string{"A": "a", "TAG": "3f9c2e1", "N": "4"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(app.Image, "web:3f9c2e1") || *app.Replicas != 4 {
		t.Errorf("image %q replicas %d", app.Image, *app.Replicas)
	}
	// A variable used only by an environment that is not loaded need not be set.
	src2 := base + "environments:\n  prod: {ecs: {cluster: \"${PROD_CLUSTER}\"}}\n"
	if _, err := load(t, src2, nil, ""); err != nil {
		t.Errorf("base load failed on another environment's variable: %v", err)
	}
	if _, err := load(t, src2, nil, "prod"); err == nil || !strings.Contains(err.Error(), "PROD_CLUSTER is unset") {
		t.Errorf("prod load: %v, want PROD_CLUSTER is unset", err)
	}
}

func TestDefaults(t *testing.T) {
	app, err := load(t, "version: 1\nname: w\nimage: x\nport: 8080\n", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Port{{Name: "http", Port: 8080, Protocol: "tcp"}}
	if !reflect.DeepEqual(app.Ports, want) || app.Port != 0 {
		t.Errorf("ports = %+v", app.Ports)
	}
	checks := map[string][2]any{
		"expose":         {app.Expose, "internal"},
		"replicas":       {*app.Replicas, 1},
		"namespace":      {app.EKS.Namespace, "default"},
		"timeout":        {app.RolloutTimeout().String(), "10m0s"},
		"autoRollback":   {app.AutoRollback(), true},
		"maxSurge":       {app.MaxSurgePercent(), 100},
		"maxUnavailable": {app.MaxUnavailablePercent(), 0},
		"retention":      {app.LogRetentionDays(), 30},
		"cpu":            {app.CPUMillis(), int64(250)},
		"memory":         {app.MemoryMiB(), int64(512)},
		"serviceAccount": {app.EKS.ServiceAccount, ""},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", k, v[0], v[1])
		}
	}
	app, err = load(t, "version: 1\nname: w\nimage: x\nautoscale: {min: 2, max: 4, cpu: 50}\nrole: arn:aws:iam::123456789012:role/w\n", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if app.Replicas != nil || app.Expose != "none" || app.EKS.ServiceAccount != "w" {
		t.Errorf("replicas %v expose %q sa %q", app.Replicas, app.Expose, app.EKS.ServiceAccount)
	}
}

func TestImageOverride(t *testing.T) {
	src := base + "sidecars: [{name: log, image: old, cpu: 0.125, memory: 128Mi}]\n"
	app, err := Parse("shipit.yaml", []byte(src), Options{Images: map[string]string{"web": "new:1", "log": "new-log:2"}})
	if err != nil {
		t.Fatal(err)
	}
	if app.Image != "new:1" || app.Sidecars[0].Image != "new-log:2" {
		t.Errorf("images %q %q", app.Image, app.Sidecars[0].Image)
	}
	_, err = Parse("shipit.yaml", []byte(src), Options{Images: map[string]string{"nope": "x"}})
	if err == nil || err.Error() != `shipit.yaml: image: --image nope=…: no container named "nope" (use the app's name or a sidecar's: web, log)` {
		t.Errorf("got %v", err)
	}
}

func TestHashIsStableAndSensitive(t *testing.T) {
	a, _ := load(t, base, nil, "")
	// Same content, other formatting and key order.
	b, _ := load(t, "name: web\nversion: 1\ncpu: \"500m\"\nmemory: 1Gi\nimage: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:1\nports: [{port: 80}]\necs: {subnets: [subnet-0abc], executionRole: 'arn:aws:iam::123456789012:role/exec', region: ap-northeast-2}\n", nil, "")
	if a == nil || b == nil {
		t.Fatal("load failed")
	}
	// cpu "500m" and 0.5 are the same size but written differently; the hash follows the
	// resolved spec, so normalise that one field before comparing.
	b.CPU = a.CPU
	if a.Hash() != b.Hash() {
		t.Errorf("hash differs for the same spec: %s vs %s", a.Hash(), b.Hash())
	}
	c, _ := load(t, strings.Replace(base, "web:1", "web:2", 1), nil, "")
	if c.Hash() == a.Hash() {
		t.Error("hash did not change with the image")
	}
}

func TestHashForIgnoresTheOtherTarget(t *testing.T) {
	a, _ := load(t, base, nil, "")
	b, _ := load(t, base+"eks: {namespace: other}\n", nil, "")
	if a.HashFor(TargetECS) != b.HashFor(TargetECS) {
		t.Error("an eks: change moved the ECS hash")
	}
	if a.HashFor(TargetEKS) == b.HashFor(TargetEKS) {
		t.Error("an eks: change left the EKS hash alone")
	}
}

// TestTargetBlockExpandedOnlyForItsTarget: a variable used only under ecs: is not needed for
// an EKS load (nor eks:'s for ECS), and the hash a target deploys is unchanged by it.
func TestTargetBlockExpandedOnlyForItsTarget(t *testing.T) {
	src := strings.Replace(base, "  subnets: [subnet-0abc]", "  subnets: [\"${ECS_SUBNET}\"]", 1) +
		"eks: {namespace: \"${EKS_NS}\"}\n" +
		"sidecars: [{name: envoy, image: envoy:1, cpu: 0.25, memory: 128Mi, ecs: {ulimits: [{name: \"${ECS_ULIMIT}\", soft: 15000, hard: 15000}]}}]\n"
	env := map[string]string{"ECS_SUBNET": "subnet-0abc", "ECS_ULIMIT": "nofile", "EKS_NS": "web"}
	get := func(keep ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if !slices.Contains(keep, k) {
				return "", false
			}
			return env[k], true
		}
	}
	eks, err := Parse("shipit.yaml", []byte(src), Options{Target: TargetEKS, Getenv: get("EKS_NS")})
	if err != nil {
		t.Fatalf("EKS load needed ECS's variable: %v", err)
	}
	if eks.EKS.Namespace != "web" || len(eks.Targets()) != 2 {
		t.Errorf("EKS load: namespace %q, targets %v", eks.EKS.Namespace, eks.Targets())
	}
	ecs, err := Parse("shipit.yaml", []byte(src), Options{Target: TargetECS, Getenv: get("ECS_SUBNET", "ECS_ULIMIT")})
	if err != nil {
		t.Fatalf("ECS load needed EKS's variable: %v", err)
	}
	if ecs.ECS.Subnets[0] != "subnet-0abc" || ecs.Sidecars[0].ECS.Ulimits[0].Name != "nofile" {
		t.Errorf("ECS load: subnets %v, sidecar %+v", ecs.ECS.Subnets, ecs.Sidecars[0].ECS)
	}
	if _, err := Parse("shipit.yaml", []byte(src), Options{Getenv: get("EKS_NS", "ECS_ULIMIT")}); err == nil || !strings.Contains(err.Error(), "ECS_SUBNET is unset") {
		t.Errorf("a load for every target still needs both: %v", err)
	}
	all, err := Parse("shipit.yaml", []byte(src), Options{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if all.HashFor(TargetEKS) != eks.HashFor(TargetEKS) || all.HashFor(TargetECS) != ecs.HashFor(TargetECS) {
		t.Errorf("loading for one target changed its hash")
	}
}

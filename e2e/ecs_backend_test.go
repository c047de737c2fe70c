//go:build e2e

package e2e

// End-to-end tests of the ECS backend: the real shipit binary deploys to moto behind the
// rollout simulator (e2e/ecssim) through AWS_ENDPOINT_URL, and the results are read back with
// the aws CLI as well as with `shipit status`. shipit polls every 2 s as in production; the
// simulator's step is made short instead.

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const ecsFast = `{"step":"200ms"}`

// A first deploy creates the log group, the task definition and the service, prints the
// service's events and the deployment's progress, and succeeds; deploying the same spec again
// writes nothing.
func TestECSBackendFirstDeployAndNoChange(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{Image: "nginx:1.27"})

	a.run("deploy", "-f", spec).wantExit(t, 0,
		"created log group /ecs/web", "registered task definition web:1",
		"created service web in cluster "+a.cluster+" in "+ecsRegion+" with web:1, 2 desired",
		"event: (service web) has started 2 tasks", "event: (service web) has reached a steady state.",
		"✓ web on ecs: Succeeded: deployment ecs-svc/")

	svc := a.service()
	if !svc.steadyOn("web:1") || svc.DesiredCount != 2 {
		t.Fatalf("want one completed deployment of web:1 with 2 tasks:\n%s", svc)
	}
	firstDeployment := svc.Deployments[0].ID
	td := a.taskDef(svc.TaskDefinition)
	if c := td.TaskDefinition.ContainerDefinitions; len(c) != 1 || c[0].Image != "nginx:1.27" || c[0].Name != "web" {
		t.Errorf("task definition containers %+v", c)
	}
	hash := td.tag("shipit.dev/spec-hash")
	if hash == "" || td.tag("managed-by") != "shipit" {
		t.Errorf("task definition tags %+v", td.Tags)
	}
	var groups struct {
		LogGroups []struct {
			LogGroupName    string
			RetentionInDays int
		}
	}
	awsCLI(t, ecsRegion, &groups, "logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/web")
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].RetentionInDays != 30 {
		t.Errorf("log groups %+v", groups)
	}

	// status and diff agree with what is live.
	a.run("status", "-f", spec).wantExit(t, 0, "revision:  web:1", "image:     nginx:1.27", "2 desired",
		"spec hash: "+hash, "PRIMARY    rev web:1", "COMPLETED", "(service web) has reached a steady state.")
	st := jsonValues(t, a.run("status", "-f", spec, "-o", "json").stdout)
	if len(st) != 1 || st[0]["exists"] != true || st[0]["revision"] != "web:1" || st[0]["specHash"] != hash {
		t.Errorf("status -o json: %v", st)
	}
	a.run("diff", "-f", spec).wantExit(t, 0, "web on ecs: no differences")

	// The same spec again: nothing registered, nothing updated.
	r := a.run("deploy", "-f", spec)
	r.wantExit(t, 0, "nothing changed: spec "+hash+" is live as web:1", "nothing registered or updated")
	if strings.Contains(r.stderr, "registered task definition") || strings.Contains(r.stderr, "updated service") {
		t.Errorf("a no-change deploy wrote something:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}
	if revs := a.revisions("ACTIVE"); len(revs) != 1 {
		t.Errorf("revisions after a no-change deploy: %v", revs)
	}
	if svc := a.service(); len(svc.Deployments) != 1 || svc.Deployments[0].ID != firstDeployment {
		t.Errorf("a no-change deploy started a deployment:\n%s", svc)
	}
}

// An update runs two deployments side by side until the old one drains, then one; diff shows
// the change before, -o json streams the events and ends with the verdict.
func TestECSBackendUpdate(t *testing.T) {
	a := newECSApp(t, `{"step":"500ms"}`)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"})).wantExit(t, 0)
	v2 := a.spec(ecsSpec{Image: "nginx:1.28"})

	a.run("diff", "-f", v2).wantExit(t, 6, "--- live/task-definition.json", "+++ spec/task-definition.json",
		`-      "image": "nginx:1.27",`, `+      "image": "nginx:1.28",`)

	r := a.run("deploy", "-f", v2, "-o", "json")
	r.wantExit(t, 0)
	values := jsonValues(t, r.stdout)
	if len(values) < 3 {
		t.Fatalf("want events and a verdict on stdout:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}
	sawBoth := false
	for _, e := range values[:len(values)-1] {
		if e["target"] != "ecs" || e["app"] != "web" || e["phase"] == nil {
			t.Errorf("event %v", e)
		}
		msg, _ := e["message"].(string)
		if strings.Contains(msg, "PRIMARY web:2 IN_PROGRESS") && strings.Contains(msg, "· ACTIVE web:1") {
			sawBoth = true
		}
	}
	if !sawBoth {
		t.Errorf("no progress event with both deployments (PRIMARY web:2, ACTIVE web:1):\n%s", r.stdout)
	}
	verdict := values[len(values)-1]
	if verdict["phase"] != "Succeeded" || verdict["revision"] != "web:2" {
		t.Errorf("verdict %v", verdict)
	}

	svc := a.service()
	if !svc.steadyOn("web:2") || !svc.hasEvent("(service web) has stopped 2 running tasks: *") {
		t.Errorf("want one completed deployment of web:2, the old tasks stopped:\n%s", svc)
	}
	if td := a.taskDef(svc.TaskDefinition); td.TaskDefinition.ContainerDefinitions[0].Image != "nginx:1.28" {
		t.Errorf("live image %s", td.TaskDefinition.ContainerDefinitions[0].Image)
	}
	a.run("diff", "-f", v2).wantExit(t, 0)
}

// An ECR tag is resolved to its digest and pinned; when the tag moves, the next deploy is a
// change (a new revision on the new digest) even though the spec is the same.
func TestECSBackendECRDigestPinning(t *testing.T) {
	a := newECSApp(t, ecsFast)
	image := a.ecrImage("web", "v1", '1')
	spec := a.spec(ecsSpec{Image: image})
	repo := strings.TrimSuffix(image, ":v1")

	a.run("deploy", "-f", spec).wantExit(t, 0, "pinned image "+image+" to digest "+ecsDigest('1'))
	svc := a.service()
	if got := a.taskDef(svc.TaskDefinition).TaskDefinition.ContainerDefinitions[0].Image; got != repo+"@"+ecsDigest('1') {
		t.Errorf("live image %s, want it pinned to %s", got, ecsDigest('1'))
	}
	a.run("status", "-f", spec).wantExit(t, 0, "image:     "+repo+"@"+ecsDigest('1'))
	a.run("deploy", "-f", spec).wantExit(t, 0, "nothing changed")

	a.ecrImage("web", "v1", '2') // CI pushed a new image under the same tag
	a.run("deploy", "-f", spec).wantExit(t, 0, "pinned image "+image+" to digest "+ecsDigest('2'), "registered task definition web:2")
	svc = a.service()
	if got := a.taskDef(svc.TaskDefinition).TaskDefinition.ContainerDefinitions[0].Image; got != repo+"@"+ecsDigest('2') || !svc.steadyOn("web:2") {
		t.Errorf("live image %s:\n%s", got, svc)
	}

	// A tag that is not in the registry stops the deploy before anything is written.
	a.run("deploy", "-f", a.spec(ecsSpec{Image: repo + ":v9"})).wantExit(t, 1, "web:v9 not found")
	if revs := a.revisions("ACTIVE"); len(revs) != 2 {
		t.Errorf("revisions %v after a failed image lookup", revs)
	}
}

// autoscale registers the scalable target and one target-tracking policy per metric; later
// deploys keep the desired count the scaler chose; dropping autoscale deregisters the target.
func TestECSBackendAutoscaling(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{Image: "nginx:1.27", Autoscale: "{min: 2, max: 5, cpu: 60, memory: 75}"})
	a.run("deploy", "-f", spec).wantExit(t, 0, "autoscaling 2–5 tasks (web-cpu, web-memory)")

	resource := "service/" + a.cluster + "/web"
	var targets struct {
		ScalableTargets []struct {
			ResourceId, ScalableDimension string
			MinCapacity, MaxCapacity      int
		}
	}
	awsCLI(t, ecsRegion, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
	if len(targets.ScalableTargets) != 1 || targets.ScalableTargets[0].ResourceId != resource ||
		targets.ScalableTargets[0].MinCapacity != 2 || targets.ScalableTargets[0].MaxCapacity != 5 ||
		targets.ScalableTargets[0].ScalableDimension != "ecs:service:DesiredCount" {
		t.Fatalf("scalable targets %+v", targets)
	}
	var policies struct {
		ScalingPolicies []struct {
			PolicyName, PolicyType                   string
			TargetTrackingScalingPolicyConfiguration struct {
				TargetValue                   float64
				PredefinedMetricSpecification struct{ PredefinedMetricType string }
			}
		}
	}
	awsCLI(t, ecsRegion, &policies, "application-autoscaling", "describe-scaling-policies", "--service-namespace", "ecs", "--resource-id", resource)
	got := map[string]string{}
	for _, p := range policies.ScalingPolicies {
		c := p.TargetTrackingScalingPolicyConfiguration
		got[p.PolicyName] = fmt.Sprintf("%s %s %g", p.PolicyType, c.PredefinedMetricSpecification.PredefinedMetricType, c.TargetValue)
	}
	if len(got) != 2 || got["web-cpu"] != "TargetTrackingScaling ECSServiceAverageCPUUtilization 60" ||
		got["web-memory"] != "TargetTrackingScaling ECSServiceAverageMemoryUtilization 75" {
		t.Errorf("scaling policies %v", got)
	}
	if svc := a.service(); svc.DesiredCount != 2 {
		t.Errorf("desired count %d, want autoscale.min 2", svc.DesiredCount)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)

	// The scaler raises the count; a deploy of a new image keeps it.
	awsCLI(t, ecsRegion, nil, "ecs", "update-service", "--cluster", a.cluster, "--service", "web", "--desired-count", "4")
	a.waitService("running 4 tasks", 30*time.Second, nil, func(s ecsService) bool {
		return s.RunningCount == 4 && len(s.Deployments) == 1 && s.Deployments[0].RolloutState == "COMPLETED"
	})
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28", Autoscale: "{min: 2, max: 5, cpu: 60, memory: 75}"})).wantExit(t, 0,
		"desired count 4 kept (autoscaling owns it)")
	if svc := a.service(); svc.DesiredCount != 4 || !svc.steadyOn("web:2") {
		t.Errorf("after a deploy with autoscale, want 4 tasks of web:2:\n%s", svc)
	}

	// Without autoscale the target goes and replicas rule again.
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28", Replicas: 3})).wantExit(t, 0, "deregistered the scalable target "+resource)
	awsCLI(t, ecsRegion, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
	if len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets left: %+v", targets)
	}
	if svc := a.service(); svc.DesiredCount != 3 {
		t.Errorf("desired count %d, want 3", svc.DesiredCount)
	}
}

// Tasks that keep failing the same way fail the rollout fast, naming the stop reason; with
// autoRollback shipit puts the previous revision back and watches it (exit 4), without it the
// rollout just fails (exit 3). The circuit breaker is set out of reach so shipit decides.
func TestECSBackendFailingTasksFailFast(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms","failureThreshold":1000}`)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"})).wantExit(t, 0)

	// The failing spec also changes the desired count and the labels: the automatic rollback
	// puts those back too, not only the task definition.
	r := a.run("deploy", "-f", a.spec(ecsSpec{Image: "registry.example.test/web:fail-pull", Replicas: 3, Extra: "labels: {team: web}\n"}))
	r.wantExit(t, 4, "stopped with the same reason", "CannotPullContainerError", "rolling back to web:1 (rollout.autoRollback)",
		"restored what the failed deploy had changed besides the task definition: desired count, service tags",
		"RolledBack", "rolled back to web:1")
	if svc := a.service(); !svc.steadyOn("web:1") || svc.DesiredCount != 2 || svc.tag("team") != "" ||
		svc.tag("shipit.dev/spec-hash") != a.taskDef("web:1").tag("shipit.dev/spec-hash") {
		t.Errorf("after the automatic rollback, want web:1 completed with 2 tasks and web:1's tags:\n%s", svc)
	}

	no := false
	r = a.run("deploy", "-f", a.spec(ecsSpec{Image: "registry.example.test/web:fail-exit", AutoRollback: &no}))
	r.wantExit(t, 3, "✗ web on ecs: Failed:", "Essential container in task exited (container web exited with code 1)")
	if strings.Contains(r.stderr, "rolling back") {
		t.Errorf("autoRollback: false, yet shipit rolled back:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}
	svc := a.service()
	if !strings.HasSuffix(svc.TaskDefinition, ":task-definition/web:3") || len(svc.Deployments) != 2 {
		t.Errorf("want the service left on the failing web:3 beside the old deployment:\n%s", svc)
	}
}

// The circuit breaker trips and ECS rolls the service back: RolledBack, exit 4, never success,
// with the tasks' stop reason quoted.
func TestECSBackendCircuitBreakerRollback(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms","failureThreshold":2}`)
	secret := "secrets:\n  DB_PASSWORD: arn:aws:secretsmanager:" + ecsRegion + ":123456789012:secret:db-pass-AbCdEf\n"
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27", Extra: secret})).wantExit(t, 0)

	r := a.run("deploy", "-f", a.spec(ecsSpec{Image: "registry.example.test/web:fail-secrets", Extra: secret}))
	r.wantExit(t, 4, "✗ web on ecs: RolledBack:", "ECS deployment circuit breaker", "ResourceInitializationError",
		"ECS rolled the service back to web:1", "event: (service web) rolling back to deployment")
	if strings.Contains(r.stderr, "rollout.autoRollback") {
		t.Errorf("the circuit breaker rolled back, yet shipit rolled back too:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}
	svc := a.waitService("back on web:1", 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn("web:1") })
	if !svc.hasEvent("(service web) (deployment ecs-svc/*) deployment failed: tasks failed to start.") {
		t.Errorf("no failure event:\n%s", svc)
	}
	a.run("status", "-f", a.spec(ecsSpec{Image: "nginx:1.27", Extra: secret})).wantExit(t, 0, "revision:  web:1")
}

// A throttling storm is absorbed: first every other call of every kind (the SDK's retryer
// rides it out), then DescribeServices throttled past the SDK's attempts while watching
// (shipit's own backoff rides it out and says so).
func TestECSBackendThrottlingStorm(t *testing.T) {
	a := newECSApp(t, ecsFast)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"})).wantExit(t, 0)

	simConfig(t, `{"throttleRatio":0.5}`)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28"})).wantExit(t, 0, "Succeeded")
	simConfig(t, `{"throttleRatio":0}`)
	if svc := a.service(); !svc.steadyOn("web:2") {
		t.Fatalf("after the storm, want web:2 completed:\n%s", svc)
	}

	t.Setenv("AWS_MAX_ATTEMPTS", "1") // for shipit: no SDK retries, so its own backoff shows
	r := a.runWhile(func(_ *exec.Cmd, stderr *syncBuffer) {
		waitStderr(t, stderr, "watching the deployment of web:3", time.Minute)
		simConfig(t, `{"throttleNext":2,"throttleOps":["DescribeServices"]}`)
	}, "deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.29"}))
	if r.took > 3*time.Minute {
		t.Errorf("the deploy under throttling took %s", r.took)
	}
	r.wantExit(t, 0, "AWS is throttling DescribeServices (ThrottlingException: Rate exceeded); polling every 4s",
		"throttling over after", "Succeeded")
	simConfig(t, `{"throttleOps":[]}`)
	if svc := a.service(); !svc.steadyOn("web:3") {
		t.Errorf("want web:3 completed:\n%s", svc)
	}
}

// A rollout that does not finish in time is TimedOut (exit 5); a second deploy while it is
// still in progress is refused; Ctrl-C stops watching (exit 130) and says what was applied.
func TestECSBackendTimeoutConflictAndInterrupt(t *testing.T) {
	a := newECSApp(t, `{"step":"1h"}`) // tasks never start
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"}), "--timeout", "3s").wantExit(t, 5,
		"✗ web on ecs: TimedOut: timed out after 3s: waiting: PRIMARY web:1 IN_PROGRESS 0/2 running, 2 pending")
	svc := a.service()
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != "IN_PROGRESS" {
		t.Errorf("want the deployment still in progress:\n%s", svc)
	}

	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28"})).wantExit(t, 1,
		"another deployment of web is in progress ("+svc.Deployments[0].ID+" on web:1", "--force-conflicts")
	if revs := a.revisions("ACTIVE"); len(revs) != 1 {
		t.Errorf("a refused deploy registered %v", revs)
	}

	var interrupted time.Time
	r := a.runWhile(func(cmd *exec.Cmd, stderr *syncBuffer) {
		waitStderr(t, stderr, "watching the deployment of web:2", time.Minute)
		interrupted = time.Now()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}, "deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28"}), "--force-conflicts")
	if took := time.Since(interrupted); took > 30*time.Second {
		t.Errorf("shipit ended %s after Ctrl-C", took)
	}
	r.wantExit(t, 130, "Canceled", "interrupted: stopped watching",
		"task definition web:2", "service web (updated)", "shipit status --target ecs")
	if svc := a.service(); !strings.HasSuffix(svc.TaskDefinition, "web:2") {
		t.Errorf("the interrupted deploy is not applied whole:\n%s", svc)
	}
}

// rollback returns to the previous revision (or --to one) and watches it; a later deploy of
// the newer spec reuses its revision instead of registering another.
func TestECSBackendManualRollback(t *testing.T) {
	a := newECSApp(t, ecsFast)
	v1, v2 := a.spec(ecsSpec{Image: "nginx:1.27"}), a.spec(ecsSpec{Image: "nginx:1.28"})
	a.run("deploy", "-f", v1).wantExit(t, 0)
	a.run("deploy", "-f", v2).wantExit(t, 0)

	a.run("rollback", "-f", v2).wantExit(t, 0, "rolling back service web: web:2 → web:1", "rolled back from web:2 to web:1: 2/2 running")
	if svc := a.service(); !svc.steadyOn("web:1") {
		t.Errorf("after rollback, want web:1:\n%s", svc)
	}
	a.run("status", "-f", v2).wantExit(t, 0, "revision:  web:1", "image:     nginx:1.27")
	a.run("diff", "-f", v2).wantExit(t, 6, `+      "image": "nginx:1.28",`)
	a.run("rollback", "-f", v2).wantExit(t, 1, "no active revision of web older than the live web:1")

	a.run("rollback", "-f", v2, "--to", "2").wantExit(t, 0, "rolled back from web:1 to web:2")
	if svc := a.service(); !svc.steadyOn("web:2") {
		t.Errorf("after rollback --to 2, want web:2:\n%s", svc)
	}
	a.run("rollback", "-f", v2, "--to", "web:1").wantExit(t, 0, "rolled back from web:2 to web:1")
	a.run("rollback", "-f", v2, "--to", "7").wantExit(t, 1, "rollback --to 7")

	a.run("deploy", "-f", v2).wantExit(t, 0, "task definition web:2 already holds spec")
	if revs := a.revisions("ACTIVE"); strings.Join(revs, " ") != "web:1 web:2" {
		t.Errorf("revisions %v, want web:1 web:2", revs)
	}
	if svc := a.service(); !svc.steadyOn("web:2") {
		t.Errorf("want web:2:\n%s", svc)
	}
}

// destroy lists what it would delete without --yes (and deletes nothing), then removes the
// scalable target, the service and shipit's revisions, keeping the log group unless
// --purge-logs.
func TestECSBackendDestroy(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{Image: "nginx:1.27", Autoscale: "{min: 2, max: 4, cpu: 70}"})
	a.run("deploy", "-f", spec).wantExit(t, 0)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.28", Autoscale: "{min: 2, max: 4, cpu: 70}"})).wantExit(t, 0)
	// A revision of the family that shipit did not register stays.
	a.registerTaskDef("nginx:1.27")

	// stdin is not a terminal: destroy asks for --yes, listing what it would delete.
	a.run("destroy", "-f", spec).wantExit(t, 2, "pass --yes to delete", "scalable target service/"+a.cluster+"/web",
		"service web in cluster "+a.cluster, "task definition web:1 (deregistered)", "task definition web:2 (deregistered)")
	if svc := a.service(); svc.Status != "ACTIVE" {
		t.Fatalf("destroy without --yes deleted the service:\n%s", svc)
	}

	a.run("destroy", "-f", spec, "--yes").wantExit(t, 0, "deleted scalable target", "deleted service web",
		"deleted task definition web:1", "deleted task definition web:2", "kept    task definition web:3 (not created by shipit)",
		"kept    log group /ecs/web (--purge-logs deletes it)")
	if svc := a.service(); svc.Status == "ACTIVE" {
		t.Errorf("the service is still active:\n%s", svc)
	}
	if revs := a.revisions("ACTIVE"); strings.Join(revs, " ") != "web:3" {
		t.Errorf("active revisions %v, want only web:3", revs)
	}
	var targets struct{ ScalableTargets []any }
	awsCLI(t, ecsRegion, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
	if len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets left: %v", targets.ScalableTargets)
	}
	a.run("status", "-f", spec).wantExit(t, 0, "web is not deployed on ecs")

	r := a.run("destroy", "-f", spec, "--yes", "--purge-logs")
	r.wantExit(t, 0, "deleted log group /ecs/web")
	var groups struct{ LogGroups []any }
	awsCLI(t, ecsRegion, &groups, "logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/web")
	if len(groups.LogGroups) != 0 {
		t.Errorf("log group left: %v", groups)
	}

	// Deploying again starts afresh: a new revision (the deregistered ones are not reused).
	a.run("deploy", "-f", spec).wantExit(t, 0, "created log group /ecs/web", "registered task definition web:4", "created service web")
	if svc := a.service(); !svc.steadyOn("web:4") {
		t.Errorf("after destroy and deploy, want web:4:\n%s", svc)
	}
}

// The acceptance: the web-app example deploys as it is (its ECR tag pinned), printing
// progress and service events; a failing image exits 3 or 4 naming the stop reason.
func TestECSBackendExampleWebApp(t *testing.T) {
	a := newECSApp(t, ecsFast)
	var subnets struct{ Subnets []struct{ SubnetId string } }
	awsCLI(t, ecsRegion, &subnets, "ec2", "describe-subnets")
	var sgs struct{ SecurityGroups []struct{ GroupId string } }
	awsCLI(t, ecsRegion, &sgs, "ec2", "describe-security-groups")
	image := a.ecrImage("web", "3f9c2e1", '3')
	// The example takes its cluster, tag and network from the environment, as in CI.
	for k, v := range map[string]string{"ECS_CLUSTER": a.cluster, "IMAGE_TAG": "3f9c2e1", "SUBNET_A": subnets.Subnets[0].SubnetId,
		"SUBNET_B": subnets.Subnets[1].SubnetId, "SECURITY_GROUP": sgs.SecurityGroups[0].GroupId} {
		t.Setenv(k, v)
	}
	const example = "../examples/web-app/shipit.yaml"

	a.run("deploy", "-f", example).wantExit(t, 0, "pinned image "+image+" to digest "+ecsDigest('3'),
		"event: (service web-app) has started 3 tasks", "[3/3 updated, 3/3 ready]", "✓ web-app on ecs: Succeeded")
	if svc := a.describe(a.cluster, "web-app"); !svc.steadyOn("web-app:1") || svc.RunningCount != 3 {
		t.Fatalf("want web-app:1 steady with 3 tasks:\n%s", svc)
	}

	bad := a.ecrImage("web-fail-pull", "v2", '4')
	r := a.run("deploy", "-f", example, "--image", "web-app="+bad)
	if r.code != 3 && r.code != 4 {
		t.Fatalf("a failing image: want exit 3 or 4, got %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
	}
	r.wantExit(t, r.code, "CannotPullContainerError")
}

// expose: internal with ecs.discovery registers the service in Cloud Map: shipit creates the
// Cloud Map service in the namespace, points the ECS service at it, and destroy removes it.
func TestECSBackendCloudMapDiscovery(t *testing.T) {
	a := newECSApp(t, ecsFast)
	var vpcs struct{ Vpcs []struct{ VpcId string } }
	awsCLI(t, ecsRegion, &vpcs, "ec2", "describe-vpcs")
	awsCLI(t, ecsRegion, nil, "servicediscovery", "create-private-dns-namespace", "--name", "apps.internal", "--vpc", vpcs.Vpcs[0].VpcId)
	var nss struct{ Namespaces []struct{ Id, Name string } }
	awsCLI(t, ecsRegion, &nss, "servicediscovery", "list-namespaces")
	if len(nss.Namespaces) != 1 {
		t.Fatalf("namespaces %+v", nss)
	}
	ns := nss.Namespaces[0].Id
	spec := a.spec(ecsSpec{Image: "nginx:1.27", Extra: "expose: internal\n", ECSExtra: "  discovery: {namespace: " + ns + "}\n"})

	a.run("deploy", "-f", spec).wantExit(t, 0, "created Cloud Map service web in namespace "+ns)
	var sds struct {
		Services []struct {
			Id, Name, Arn string
			DnsConfig     struct{ DnsRecords []struct{ Type string } }
		}
	}
	awsCLI(t, ecsRegion, &sds, "servicediscovery", "list-services")
	if len(sds.Services) != 1 || sds.Services[0].Name != "web" || len(sds.Services[0].DnsConfig.DnsRecords) != 1 ||
		sds.Services[0].DnsConfig.DnsRecords[0].Type != "A" {
		t.Fatalf("Cloud Map services %+v, want web with an A record", sds)
	}
	svc := a.service()
	if len(svc.ServiceRegistries) != 1 || svc.ServiceRegistries[0].RegistryArn != sds.Services[0].Arn || !svc.steadyOn("web:1") {
		t.Errorf("want the ECS service registered in %s:\n%s", sds.Services[0].Arn, svc)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)
	a.run("status", "-f", spec).wantExit(t, 0, "discovery: Cloud Map "+sds.Services[0].Arn)
	r := a.run("deploy", "-f", spec)
	r.wantExit(t, 0, "nothing changed")
	if strings.Contains(r.stderr, "created Cloud Map") {
		t.Errorf("a second Cloud Map service:\n--- stdout\n%s--- stderr\n%s", r.stdout, r.stderr)
	}

	a.run("destroy", "-f", spec, "--yes").wantExit(t, 0, "deleted Cloud Map service web ("+sds.Services[0].Id+") in namespace "+ns)
	awsCLI(t, ecsRegion, &sds, "servicediscovery", "list-services")
	if len(sds.Services) != 0 {
		t.Errorf("Cloud Map services left: %+v", sds)
	}
}

// A deploy that failed after UpdateService (tagging and autoscaling throttled away) leaves the
// service on the new revision: the next deploy of the same spec must finish the job (tags,
// scalable target) instead of saying "nothing changed" forever, still without a new revision
// or deployment; after that it writes nothing.
func TestECSBackendFinishesAHalfAppliedDeploy(t *testing.T) {
	a := newECSApp(t, ecsFast)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27"})).wantExit(t, 0)
	v2 := a.spec(ecsSpec{Image: "nginx:1.28", Autoscale: "{min: 2, max: 4, cpu: 60}", Extra: "labels: {team: web}\n"})

	simConfig(t, `{"throttleRatio":1,"throttleOps":["TagResource","RegisterScalableTarget"]}`)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	a.run("deploy", "-f", v2).wantExit(t, 1, "ecs TagResource service web", "ThrottlingException",
		"applied before the failure: task definition web:2, service web (updated)")
	simConfig(t, `{"throttleRatio":0,"throttleOps":[]}`)
	var targets struct {
		ScalableTargets []struct{ MinCapacity, MaxCapacity int }
	}
	awsCLI(t, ecsRegion, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
	if svc := a.service(); !isRevision(svc.TaskDefinition, "web:2") || svc.tag("team") != "" || len(targets.ScalableTargets) != 0 {
		t.Fatalf("want the half-applied state: web:2 live, untagged, no scalable target (%v):\n%s", targets, svc)
	}

	r := a.run("deploy", "-f", v2)
	r.wantExit(t, 0, "is live as web:2", "no new revision; re-applied what did not match it: service web tags, scalable target service/"+a.cluster+"/web",
		"autoscaling 2–4 tasks (web-cpu)", "Succeeded")
	for _, no := range []string{"nothing changed", "registered task definition", "updated service web:"} {
		if strings.Contains(r.stdout+r.stderr, no) {
			t.Errorf("the repairing deploy says %q:\n--- stdout\n%s--- stderr\n%s", no, r.stdout, r.stderr)
		}
	}
	svc := a.service()
	if svc.tag("team") != "web" || svc.tag("shipit.dev/spec-hash") != a.taskDef("web:2").tag("shipit.dev/spec-hash") || !svc.steadyOn("web:2") {
		t.Errorf("want web:2 steady with the spec's tags:\n%s", svc)
	}
	awsCLI(t, ecsRegion, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
	if len(targets.ScalableTargets) != 1 || targets.ScalableTargets[0].MinCapacity != 2 || targets.ScalableTargets[0].MaxCapacity != 4 {
		t.Errorf("scalable targets %+v", targets)
	}
	if revs := a.revisions("ACTIVE"); strings.Join(revs, " ") != "web:1 web:2" {
		t.Errorf("revisions %v, want web:1 web:2", revs)
	}
	a.run("deploy", "-f", v2).wantExit(t, 0, "nothing changed: spec", "nothing registered or updated")
	a.run("diff", "-f", v2).wantExit(t, 0)
}

// An app's environments on two clusters share one task definition family (and log group):
// each registers its revisions tagged with its cluster; rollback returns to what the service
// itself ran before (never the other environment's revision, nor a failed one); destroy
// deregisters only its own cluster's revisions and keeps the log group while the other
// environment still uses it.
func TestECSBackendEnvironmentsShareAFamily(t *testing.T) {
	a := newECSApp(t, ecsFast)
	prod := a.cluster + "-production"
	a.createCluster(prod)
	staging := func(image string) string { return a.spec(ecsSpec{Image: image}) }
	production := func(image string) string { return a.spec(ecsSpec{Image: image, Cluster: prod}) }

	a.run("deploy", "-f", staging("nginx:1.27")).wantExit(t, 0, "registered task definition web:1")
	a.run("deploy", "-f", production("nginx:1.27")).wantExit(t, 0, "registered task definition web:2")
	a.run("deploy", "-f", staging("nginx:1.28")).wantExit(t, 0, "registered task definition web:3")
	a.run("deploy", "-f", production("nginx:1.28")).wantExit(t, 0, "registered task definition web:4")
	for rev, cluster := range map[string]string{"web:1": a.cluster, "web:2": prod, "web:3": a.cluster, "web:4": prod} {
		if got := a.taskDef(rev).tag("shipit.dev/cluster"); got != cluster {
			t.Errorf("%s is tagged shipit.dev/cluster=%q, want %q", rev, got, cluster)
		}
	}

	// Staging: a failing deploy (web:5) is rolled back, then a good one (web:6) goes out.
	a.run("deploy", "-f", staging("registry.example.test/web:fail-pull")).wantExit(t, 4, "registered task definition web:5")
	a.waitService("back on web:3", 30*time.Second, nil, func(s ecsService) bool { return s.steadyOn("web:3") })
	a.run("deploy", "-f", staging("nginx:1.29")).wantExit(t, 0, "registered task definition web:6")

	// rollback returns to what staging ran before web:6: web:3, not the failed web:5.
	a.run("rollback", "-f", staging("nginx:1.29")).wantExit(t, 0, "rolling back service web: web:6 → web:3",
		"rolled back from web:6 to web:3")
	// Again: the older revision of staging's own cluster, web:1, not production's web:2.
	a.run("rollback", "-f", staging("nginx:1.29")).wantExit(t, 0, "rolling back service web: web:3 → web:1",
		"registered for cluster "+a.cluster)
	if svc := a.service(); !svc.steadyOn("web:1") {
		t.Errorf("staging, want web:1:\n%s", svc)
	}
	if svc := a.describe(prod, "web"); !svc.steadyOn("web:4") {
		t.Errorf("production was touched, want web:4:\n%s", svc)
	}

	// destroy staging: its revisions go, production's and its log group stay.
	a.run("destroy", "-f", staging("nginx:1.29"), "--yes", "--purge-logs").wantExit(t, 0,
		"deleted task definition web:1", "deleted task definition web:3", "deleted task definition web:5", "deleted task definition web:6",
		"kept    task definition web:2 (registered for cluster "+prod+")", "kept    task definition web:4 (registered for cluster "+prod+")",
		"kept    log group /ecs/web (not purged: service web in cluster "+prod+" of the same app still use it)")
	if revs := a.revisions("ACTIVE"); strings.Join(revs, " ") != "web:2 web:4" {
		t.Errorf("active revisions %v, want production's web:2 web:4", revs)
	}
	if groups := a.logGroups("/ecs/web"); len(groups) != 1 {
		t.Errorf("log groups %v, want /ecs/web kept", groups)
	}
	// Production still rolls back to its own previous revision, which is still there.
	a.run("rollback", "-f", production("nginx:1.28")).wantExit(t, 0, "rolled back from web:4 to web:2")

	// The last environment goes: now the log group goes too.
	a.run("destroy", "-f", production("nginx:1.28"), "--yes", "--purge-logs").wantExit(t, 0,
		"deleted task definition web:2", "deleted task definition web:4", "deleted log group /ecs/web")
	if groups := a.logGroups("/ecs/web"); len(groups) != 0 {
		t.Errorf("log groups left: %v", groups)
	}
	if revs := a.revisions("ACTIVE"); len(revs) != 0 {
		t.Errorf("active revisions left: %v", revs)
	}
}

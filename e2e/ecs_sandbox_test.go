//go:build e2e

package e2e

// Tests of the sandbox's ECS half itself (the rollout simulator in front of moto), driven with
// the real aws CLI the way a person would check a deployment: create-service, update-service,
// describe-services, list-tasks and describe-tasks, reading their JSON output. shipit's own ECS
// tests build on these behaviours; e2e/ecssim/README.md describes them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// ecsSimStep is the simulator's step during these tests: long enough for CLI polling (each aws
// call takes most of a second) to see the intermediate states, short enough to stay quick.
const ecsSimStep = "500ms"

// cliService is the part of `aws ecs describe-services` output the tests read.
type cliService struct {
	ServiceName    string
	Status         string
	TaskDefinition string
	DesiredCount   int
	RunningCount   int
	PendingCount   int
	Deployments    []struct {
		ID                 string `json:"id"`
		Status             string
		TaskDefinition     string
		RolloutState       string
		RolloutStateReason string
		DesiredCount       int
		RunningCount       int
		PendingCount       int
		FailedTasks        int
	}
	Events []struct{ Message string }

	DeploymentConfiguration struct {
		DeploymentCircuitBreaker struct{ Enable, Rollback bool }
	}
}

func (s cliService) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s td=%s running=%d/%d\n", s.ServiceName, s.TaskDefinition, s.RunningCount, s.DesiredCount)
	for _, d := range s.Deployments {
		fmt.Fprintf(&b, "  %s %s %s td=%s running=%d pending=%d failed=%d\n", d.Status, d.ID, d.RolloutState,
			d.TaskDefinition, d.RunningCount, d.PendingCount, d.FailedTasks)
	}
	for _, e := range s.Events {
		fmt.Fprintf(&b, "  event %s\n", e.Message)
	}
	return b.String()
}

func (s cliService) completedOn(td string) bool {
	return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == "COMPLETED" &&
		s.Deployments[0].TaskDefinition == td && s.TaskDefinition == td && s.RunningCount == s.DesiredCount
}

func (s cliService) hasEvent(msg string) bool {
	for _, e := range s.Events {
		if e.Message == msg {
			return true
		}
	}
	return false
}

type cliTask struct {
	TaskArn           string
	TaskDefinitionArn string
	LastStatus        string
	StopCode          string
	StoppedReason     string
	Containers        []struct {
		Reason   string
		ExitCode *int
	}
}

// ecsSim runs `aws --endpoint-url <simulator> ARGS --output json` and decodes stdout into out;
// it returns the CLI's error with its stderr.
func ecsSim(t *testing.T, out any, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", harness.AWSEndpoint(t), "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			return fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
	return nil
}

func mustECSSim(t *testing.T, out any, args ...string) {
	t.Helper()
	if err := ecsSim(t, out, args...); err != nil {
		t.Fatal(err)
	}
}

// ecsSimConfig changes the simulator's settings through its control endpoint.
func ecsSimConfig(t *testing.T, settings string) {
	t.Helper()
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/config", "application/json", strings.NewReader(settings))
	if err != nil {
		t.Fatalf("simulator config: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator config %s: %s (is the endpoint the ECS rollout simulator?)", settings, resp.Status)
	}
}

// ecsSimReset is harness.ResetAWS for t.Cleanup, where t.Context() is already canceled.
func ecsSimReset(t *testing.T) {
	t.Helper()
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/reset", "application/json", nil)
	if err != nil {
		t.Errorf("simulator reset: %v", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("simulator reset: %s", resp.Status)
	}
}

// ecsSimSetup gives a test a clean AWS with a fast simulator, a cluster "c1" and two task
// definitions of family "web": a healthy one and one with the given image. The final reset
// restores the simulator's start-up settings for the tests that follow.
func ecsSimSetup(t *testing.T, secondImage string) (td1, td2, subnet string) {
	t.Helper()
	harness.ResetAWS(t)
	t.Cleanup(func() { ecsSimReset(t) })
	ecsSimConfig(t, `{"step":"`+ecsSimStep+`"}`)

	mustECSSim(t, nil, "ecs", "create-cluster", "--cluster-name", "c1")
	var td struct {
		TaskDefinition struct{ TaskDefinitionArn string }
	}
	for i, image := range []string{"nginx:1.27", secondImage} {
		mustECSSim(t, &td, "ecs", "register-task-definition", "--family", "web", "--network-mode", "awsvpc",
			"--requires-compatibilities", "FARGATE", "--cpu", "256", "--memory", "512",
			"--container-definitions", `[{"name":"web","image":"`+image+`","essential":true}]`)
		if i == 0 {
			td1 = td.TaskDefinition.TaskDefinitionArn
		} else {
			td2 = td.TaskDefinition.TaskDefinitionArn
		}
	}
	// A real subnet of moto's default VPC; this EC2 call also crosses the simulator untouched.
	var subnets struct{ Subnets []struct{ SubnetId string } }
	mustECSSim(t, &subnets, "ec2", "describe-subnets")
	if len(subnets.Subnets) == 0 {
		t.Fatal("ec2 describe-subnets: no default subnets")
	}
	return td1, td2, subnets.Subnets[0].SubnetId
}

func createECSSimService(t *testing.T, td, subnet, breaker string) cliService {
	t.Helper()
	var out struct{ Service cliService }
	mustECSSim(t, &out, "ecs", "create-service", "--cluster", "c1", "--service-name", "web",
		"--task-definition", td, "--desired-count", "2", "--launch-type", "FARGATE",
		"--network-configuration", "awsvpcConfiguration={subnets=["+subnet+"],assignPublicIp=ENABLED}",
		"--deployment-configuration", "deploymentCircuitBreaker={"+breaker+"},maximumPercent=200,minimumHealthyPercent=100")
	return out.Service
}

func describeECSSim(t *testing.T) cliService {
	t.Helper()
	var out struct{ Services []cliService }
	mustECSSim(t, &out, "ecs", "describe-services", "--cluster", "c1", "--services", "web")
	if len(out.Services) != 1 {
		t.Fatalf("describe-services: %d services", len(out.Services))
	}
	return out.Services[0]
}

// waitECSSim polls describe-services until cond holds, failing after the deadline. seen is
// called with every answer, so a test can record transient states.
func waitECSSim(t *testing.T, within time.Duration, what string, seen func(cliService), cond func(cliService) bool) cliService {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		svc := describeECSSim(t)
		if seen != nil {
			seen(svc)
		}
		if cond(svc) {
			return svc
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s:\n%s", within, what, svc)
		}
	}
}

func stoppedECSSimTasks(t *testing.T) []cliTask {
	t.Helper()
	var list struct{ TaskArns []string }
	mustECSSim(t, &list, "ecs", "list-tasks", "--cluster", "c1", "--service-name", "web", "--desired-status", "STOPPED")
	if len(list.TaskArns) == 0 {
		return nil
	}
	var out struct{ Tasks []cliTask }
	mustECSSim(t, &out, append([]string{"ecs", "describe-tasks", "--cluster", "c1", "--tasks"}, list.TaskArns...)...)
	return out.Tasks
}

// A new service rolls out, then an update replaces its tasks: the old deployment drains and
// disappears, and the events read as on ECS.
func TestECSSandboxRolloutAndUpdate(t *testing.T) {
	td1, td2, subnet := ecsSimSetup(t, "nginx:1.28")

	created := createECSSimService(t, td1, subnet, "enable=true,rollback=true")
	if len(created.Deployments) != 1 || created.Deployments[0].RolloutState != "IN_PROGRESS" || created.TaskDefinition != td1 {
		t.Errorf("create-service answer, want one IN_PROGRESS deployment on %s:\n%s", td1, created)
	}
	if cb := created.DeploymentConfiguration.DeploymentCircuitBreaker; !cb.Enable || !cb.Rollback {
		t.Errorf("create-service answer lost the circuit breaker: %+v", cb)
	}
	svc := waitECSSim(t, 30*time.Second, "COMPLETED on "+td1, nil, func(s cliService) bool { return s.completedOn(td1) })
	firstID := svc.Deployments[0].ID
	for _, msg := range []string{
		"(service web) has reached a steady state.",
		"(service web) (deployment " + firstID + ") deployment completed.",
	} {
		if !svc.hasEvent(msg) {
			t.Errorf("missing event %q:\n%s", msg, svc)
		}
	}
	if len(svc.Events) == 0 || svc.Events[0].Message != "(service web) has reached a steady state." {
		t.Errorf("newest event is not the steady state:\n%s", svc)
	}

	// family:rev, as people type it; the answer carries the full ARN.
	var up struct{ Service cliService }
	mustECSSim(t, &up, "ecs", "update-service", "--cluster", "c1", "--service", "web", "--task-definition", "web:2")
	if up.Service.TaskDefinition != td2 || len(up.Service.Deployments) != 2 ||
		up.Service.Deployments[0].Status != "PRIMARY" || up.Service.Deployments[1].Status != "ACTIVE" ||
		up.Service.Deployments[1].TaskDefinition != td1 {
		t.Errorf("update-service answer, want PRIMARY on %s and ACTIVE on %s:\n%s", td2, td1, up.Service)
	}
	svc = waitECSSim(t, 30*time.Second, "COMPLETED on "+td2, nil, func(s cliService) bool { return s.completedOn(td2) })
	if !svc.hasEvent("(service web) (deployment " + svc.Deployments[0].ID + ") deployment completed.") {
		t.Errorf("no completion event for the update:\n%s", svc)
	}
	stopped := stoppedECSSimTasks(t)
	if len(stopped) != 2 {
		t.Fatalf("%d stopped tasks after the update, want the 2 old ones", len(stopped))
	}
	for _, tk := range stopped {
		if tk.TaskDefinitionArn != td1 || !strings.HasPrefix(tk.StoppedReason, "Scaling activity initiated by (deployment ") {
			t.Errorf("old task %s: td %s, stoppedReason %q", tk.TaskArn, tk.TaskDefinitionArn, tk.StoppedReason)
		}
	}
}

// An image that cannot be pulled trips the circuit breaker, which rolls the service back.
func TestECSSandboxCircuitBreakerRollback(t *testing.T) {
	td1, td2, subnet := ecsSimSetup(t, "registry.example.test/web:fail-pull")
	createECSSimService(t, td1, subnet, "enable=true,rollback=true")
	svc := waitECSSim(t, 30*time.Second, "COMPLETED on "+td1, nil, func(s cliService) bool { return s.completedOn(td1) })
	goodID := svc.Deployments[0].ID

	var up struct{ Service cliService }
	mustECSSim(t, &up, "ecs", "update-service", "--cluster", "c1", "--service", "web", "--task-definition", td2)
	badID := up.Service.Deployments[0].ID
	sawFailed := false
	svc = waitECSSim(t, 60*time.Second, "rolled back to "+td1,
		func(s cliService) {
			for _, d := range s.Deployments {
				if d.ID == badID && d.RolloutState == "FAILED" {
					sawFailed = true
				}
			}
		},
		func(s cliService) bool { return s.completedOn(td1) && s.Deployments[0].ID != goodID })
	for _, msg := range []string{
		"(service web) (deployment " + badID + ") deployment failed: tasks failed to start.",
		"(service web) rolling back to deployment " + goodID + ".",
	} {
		if !svc.hasEvent(msg) {
			t.Errorf("missing event %q:\n%s", msg, svc)
		}
	}
	if !sawFailed {
		t.Logf("the FAILED deployment was not caught by polling (it leaves once the rollback completes)")
	}

	pulls := 0
	for _, tk := range stoppedECSSimTasks(t) {
		if tk.TaskDefinitionArn != td2 {
			continue
		}
		pulls++
		if !strings.HasPrefix(tk.StoppedReason, "CannotPullContainerError:") || tk.StopCode != "TaskFailedToStart" ||
			len(tk.Containers) == 0 || tk.Containers[0].Reason != tk.StoppedReason {
			t.Errorf("failed task %s: stopCode %s, stoppedReason %q", tk.TaskArn, tk.StopCode, tk.StoppedReason)
		}
	}
	if pulls < 3 {
		t.Errorf("%d stopped tasks of the failing deployment, want at least 3 (the breaker's threshold)", pulls)
	}
}

// rollback:false leaves the deployment FAILED and the service on the new task definition, with
// the old tasks still running.
func TestECSSandboxCircuitBreakerWithoutRollback(t *testing.T) {
	td1, td2, subnet := ecsSimSetup(t, "registry.example.test/web:fail-exit")
	createECSSimService(t, td1, subnet, "enable=true,rollback=false")
	waitECSSim(t, 30*time.Second, "COMPLETED on "+td1, nil, func(s cliService) bool { return s.completedOn(td1) })
	mustECSSim(t, nil, "ecs", "update-service", "--cluster", "c1", "--service", "web", "--task-definition", td2)

	svc := waitECSSim(t, 60*time.Second, "FAILED", nil, func(s cliService) bool {
		return len(s.Deployments) > 0 && s.Deployments[0].RolloutState == "FAILED"
	})
	if svc.TaskDefinition != td2 || len(svc.Deployments) != 2 || svc.Deployments[1].TaskDefinition != td1 ||
		svc.Deployments[1].RunningCount != 2 {
		t.Errorf("want the service on %s, FAILED, with the old deployment still running 2 tasks:\n%s", td2, svc)
	}
	exited := 0
	for _, tk := range stoppedECSSimTasks(t) {
		if tk.StoppedReason == "Essential container in task exited" && len(tk.Containers) > 0 &&
			tk.Containers[0].ExitCode != nil && *tk.Containers[0].ExitCode == 1 {
			exited++
		}
	}
	if exited < 3 {
		t.Errorf("%d tasks stopped with 'Essential container in task exited' and exit code 1, want at least 3", exited)
	}
}

// The simulator throttles on demand; the CLI reports ThrottlingException once its retries are
// used up (one attempt here).
func TestECSSandboxThrottling(t *testing.T) {
	ecsSimSetup(t, "nginx:1.28")
	ecsSimConfig(t, `{"throttleRatio":1,"throttleOps":["DescribeServices"]}`)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")

	err := ecsSim(t, nil, "ecs", "describe-services", "--cluster", "c1", "--services", "web")
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") || !strings.Contains(err.Error(), "Rate exceeded") {
		t.Errorf("describe-services under throttling: %v, want ThrottlingException: Rate exceeded", err)
	}
	if err := ecsSim(t, nil, "ecs", "list-clusters"); err != nil {
		t.Errorf("list-clusters is not throttled, yet: %v", err)
	}
	ecsSimConfig(t, `{"throttleRatio":0}`)
	if err := ecsSim(t, nil, "ecs", "describe-services", "--cluster", "c1", "--services", "web"); err != nil {
		t.Errorf("describe-services after throttling was switched off: %v", err)
	}
}

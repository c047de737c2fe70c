//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// BenchmarkECSDeployVsAWSCLI measures, in one run on the sandbox (moto behind the rollout
// simulator), an image-change deploy by `shipit deploy --target ecs` against the plain AWS CLI
// sequence a pipeline runs without shipit: `aws ecs register-task-definition --cli-input-json`
// of the task-definition.json `shipit render` writes, `aws ecs update-service`, and
// `aws ecs wait services-stable`. Each side has a service of its own (web, web-cli) in one
// cluster. Reported: shipit-s/op and awscli-s/op (seconds per deploy, rendering for the CLI
// not counted), awscli-wait-s/op (the waiter's share) and shipit/awscli (below 1: shipit is
// faster), decisions-after-completed/op (shipit's decisions printed between ECS's "deployment
// completed" event and the verdict: 0, it decides on the poll that shows the event) and
// verdict-after-ecs-event-s/op (from ECS creating that event to the verdict: polling latency).
//
// Both sides mostly wait, each at its own pace: shipit polls DescribeServices at once and
// then every 2 s (±20 %); the CLI waiter polls at once and then every 15 s. The simulator's
// step is set to 50 ms, so a rollout is over about 150 ms after update-service: shipit's
// first poll, right after its UpdateService, still sees it in progress and its second one
// (~2 s later) sees it done, while the waiter, a new Python process, usually starts late
// enough for its first poll to see it done. On ECS, where a rollout takes minutes, both
// would be dominated by the rollout itself plus up to one poll interval (2 s vs 15 s).
func BenchmarkECSDeployVsAWSCLI(b *testing.B) {
	bin := shipit(b)
	harness.ResetAWS(b)
	b.Cleanup(func() { harness.ResetAWS(b) }) // also restores the simulator's settings
	simConfig(b, `{"step":"50ms"}`)
	const cluster = "shipit-bench"
	dir := b.TempDir()

	run := func(name string, args ...string) ([]byte, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "CI=true", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=")
		t0 := time.Now()
		out, err := cmd.Output()
		took := time.Since(t0)
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w\n%s%s", err, out, ee.Stderr)
			}
			b.Fatalf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
		}
		return out, took
	}
	aws := func(out any, args ...string) time.Duration {
		stdout, took := run("aws", append([]string{"--endpoint-url", harness.AWSEndpoint(b), "--region", ecsRegion, "--output", "json"}, args...)...)
		if out != nil {
			if err := json.Unmarshal(stdout, out); err != nil {
				b.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stdout)
			}
		}
		return took
	}

	aws(nil, "ecs", "create-cluster", "--cluster-name", cluster)
	var subnets struct{ Subnets []struct{ SubnetId string } }
	aws(&subnets, "ec2", "describe-subnets")
	if len(subnets.Subnets) == 0 {
		b.Fatalf("moto has no default subnets in %s", ecsRegion)
	}
	spec := func(name, tag string) string {
		p := filepath.Join(dir, name+"-"+tag+".yaml")
		src := fmt.Sprintf("version: 1\nname: %s\nimage: nginx:%s\nport: 80\nreplicas: 2\n"+
			"ecs:\n  region: %s\n  cluster: %s\n  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole\n  subnets: [%s]\n",
			name, tag, ecsRegion, cluster, subnets.Subnets[0].SubnetId)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	// render writes web-cli's files for an image tag and returns their folder.
	render := func(tag string) string {
		out := filepath.Join(dir, "render-"+tag)
		run(bin, "render", "--target", "ecs", "-f", spec("web-cli", tag), "--output-dir", out)
		return out
	}
	register := func(files string) (string, time.Duration) {
		var td struct {
			TaskDefinition struct{ TaskDefinitionArn string }
		}
		took := aws(&td, "ecs", "register-task-definition", "--cli-input-json", "file://"+filepath.Join(files, "task-definition.json"))
		return td.TaskDefinition.TaskDefinitionArn, took
	}
	waitStable := func() time.Duration {
		return aws(nil, "ecs", "wait", "services-stable", "--cluster", cluster, "--services", "web-cli")
	}

	// Both services exist and are steady before the clock starts. web-cli's log group is made
	// as a pipeline would have to (ECS fails the tasks of a group that does not exist).
	run(bin, "deploy", "--target", "ecs", "-f", spec("web", "v0"))
	aws(nil, "logs", "create-log-group", "--log-group-name", "/ecs/web-cli")
	files := render("v0")
	register(files)
	aws(nil, "ecs", "create-service", "--cli-input-json", "file://"+filepath.Join(files, "service.json"))
	waitStable()

	var tShipit, tCLI, tWait, tLate time.Duration
	var lateDecisions int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("v%d", i+1)
		out, took := run(bin, "deploy", "--target", "ecs", "-f", spec("web", tag), "-o", "json")
		tShipit += took
		polls, late := verdictAfterCompleted(b, out)
		lateDecisions += polls
		tLate += late

		files := render(tag)
		arn, took := register(files)
		tCLI += took
		tCLI += aws(nil, "ecs", "update-service", "--cluster", cluster, "--service", "web-cli", "--task-definition", arn)
		took = waitStable()
		tCLI += took
		tWait += took
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(tShipit.Seconds()/n, "shipit-s/op")
	b.ReportMetric(tCLI.Seconds()/n, "awscli-s/op")
	b.ReportMetric(tWait.Seconds()/n, "awscli-wait-s/op")
	b.ReportMetric(tShipit.Seconds()/tCLI.Seconds(), "shipit/awscli")
	b.ReportMetric(float64(lateDecisions)/n, "decisions-after-completed/op")
	b.ReportMetric(tLate.Seconds()/n, "verdict-after-ecs-event-s/op")
}

// verdictAfterCompleted reads deploy's -o json events in the order shipit printed them: how
// many of its own decisions ("waiting: …") came after it printed ECS's "deployment completed"
// event and before its Succeeded verdict (0: decided on the poll that shows the event, which is
// what Evaluate does; 1 was the old behaviour, one poll interval late), and how long after ECS
// created that event the verdict came (events carry ECS's own time: this is polling latency,
// up to one 2 s interval).
func verdictAfterCompleted(b *testing.B, out []byte) (polls int, latency time.Duration) {
	b.Helper()
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var completed, verdict time.Time
	for dec.More() {
		var ev struct {
			Time    time.Time
			Phase   string
			Message string
		}
		if err := dec.Decode(&ev); err != nil {
			b.Fatalf("deploy -o json: %v\n%s", err, out)
		}
		switch {
		case completed.IsZero() && strings.Contains(ev.Message, "deployment completed") && strings.HasPrefix(ev.Message, "event: "):
			completed = ev.Time
		case !completed.IsZero() && verdict.IsZero() && strings.HasPrefix(ev.Message, "waiting: "):
			polls++
		case ev.Phase == "Succeeded" && !ev.Time.IsZero() && verdict.IsZero():
			verdict = ev.Time
		}
	}
	if completed.IsZero() || verdict.IsZero() {
		b.Fatalf("no completion event or no verdict event in:\n%s", out)
	}
	return polls, verdict.Sub(completed)
}

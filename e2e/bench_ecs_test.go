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
// faster).
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

	// Both services exist and are steady before the clock starts.
	run(bin, "deploy", "--target", "ecs", "-f", spec("web", "v0"))
	files := render("v0")
	register(files)
	aws(nil, "ecs", "create-service", "--cli-input-json", "file://"+filepath.Join(files, "service.json"))
	waitStable()

	var tShipit, tCLI, tWait time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("v%d", i+1)
		_, took := run(bin, "deploy", "--target", "ecs", "-f", spec("web", tag))
		tShipit += took

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
}

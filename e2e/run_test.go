//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// shipit run on both targets: the real binary against the sandbox, a command that exits 0 and
// one that exits 3 (the simulator and kwok end a task or pod whose command ends in "exit N"
// with N; e2e/ecssim/README.md, e2e/sandbox/kwok-job-stages.yaml), read back with the AWS CLI
// and kubectl.

// runResult is the part of run's -o json result the tests read.
type runResult struct {
	Target, App, Status, Message, Task, Pod, Revision, Image, Container string
	Command                                                             []string
	ContainerExitCode                                                   *int
	StopCode, StoppedReason, Logs                                       string
	Kept                                                                bool
	ExitCode                                                            int
	Error                                                               string
}

// lastRun decodes the last JSON value of run's -o json stdout: its result.
func lastRun(t *testing.T, stdout string) runResult {
	t.Helper()
	values := jsonValues(t, stdout)
	if len(values) == 0 {
		t.Fatalf("no JSON on stdout")
	}
	b, _ := json.Marshal(values[len(values)-1])
	var r runResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// ecsRunTask is the part of `aws ecs describe-tasks` output the tests read.
type ecsRunTask struct {
	Tasks []struct {
		TaskArn, LastStatus, DesiredStatus, StopCode, StoppedReason, StartedBy, TaskDefinitionArn, LaunchType string
		Containers                                                                                            []struct {
			Name     string
			ExitCode *int
		}
		Overrides struct {
			ContainerOverrides []struct {
				Name    string
				Command []string
			}
		}
		Attachments []struct {
			Details []struct{ Name, Value string }
		}
	}
}

func (a *ecsApp) describeTask(arn string) ecsRunTask {
	a.t.Helper()
	var out ecsRunTask
	awsCLI(a.t, ecsRegion, &out, "ecs", "describe-tasks", "--cluster", a.cluster, "--tasks", arn)
	if len(out.Tasks) != 1 {
		a.t.Fatalf("describe-tasks %s: %d tasks", arn, len(out.Tasks))
	}
	return out
}

// shipitRun runs shipit run --target ecs with args (a.run puts --target last, where it would
// be part of the command after --).
func (a *ecsApp) shipitRun(args ...string) result {
	a.t.Helper()
	return runShipit(a.t, append([]string{"run", "--target", "ecs"}, args...)...)
}

func TestECSRun(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{Image: a.ecrImage("web", "v1", '1')})

	// Exit 0 before any deploy: a revision is registered, the log group created, the echo
	// lines streamed to stdout.
	r := a.shipitRun("-f", spec, "--", "sh", "-c", "echo migrating; echo 12 migrations applied")
	r.wantExit(t, 0, "✓ web on ecs: Succeeded: web exited 0", "registered task definition web:1")
	if r.stdout != "migrating\n12 migrations applied\n" {
		t.Errorf("stdout %q, want the task's log lines", r.stdout)
	}

	// Exit 3: shipit exits 3; -o json says the container exited 3; the same revision runs.
	r = a.shipitRun("-f", spec, "-o", "json", "--", "sh", "-c", "echo no such table; exit 3")
	r.wantExit(t, 3)
	res := lastRun(t, r.stdout)
	if res.Status != "Failed" || res.ContainerExitCode == nil || *res.ContainerExitCode != 3 || res.ExitCode != 3 ||
		res.StopCode != "EssentialContainerExited" || res.Revision != "web:1" || res.Error == "" || !strings.Contains(r.stderr, "no such table") {
		t.Errorf("exit-3 result %+v", res)
	}
	task := a.describeTask(res.Task).Tasks[0]
	if task.LastStatus != "STOPPED" || task.StartedBy != "shipit-run" || task.LaunchType != "FARGATE" || *task.Containers[0].ExitCode != 3 ||
		len(task.Overrides.ContainerOverrides) != 1 || strings.Join(task.Overrides.ContainerOverrides[0].Command, " ") != "sh -c echo no such table; exit 3" ||
		!isRevision(task.TaskDefinitionArn, "web:1") || task.Attachments[0].Details[0].Value != a.subnet {
		t.Errorf("the task as ECS describes it: %+v", task)
	}
	if got := a.revisions("ACTIVE"); len(got) != 1 {
		t.Errorf("revisions %v after two runs of one spec, want 1", got)
	}

	// After a deploy, run takes the service's live revision and registers nothing.
	a.run("deploy", "-f", spec).wantExit(t, 0, "Succeeded")
	a.shipitRun("-f", spec, "--", "true").wantExit(t, 0, "running web:1, the revision service web runs")
	if got := a.revisions("ACTIVE"); len(got) != 1 {
		t.Errorf("revisions %v after a deploy and a run, want 1", got)
	}
}

// A task still running when --timeout runs out is stopped (StopTask): exit 5; one whose image
// cannot be pulled never runs: exit 3.
func TestECSRunStopsAndFails(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{Image: a.ecrImage("web", "v1", '1')})
	r := a.shipitRun("-f", spec, "--timeout", "6s", "-o", "json", "--", "sh", "-c", "sleep 600")
	r.wantExit(t, 5)
	res := lastRun(t, r.stdout)
	if res.Status != "TimedOut" || res.ExitCode != 5 || !strings.Contains(res.Message, "stopped task") {
		t.Errorf("timed-out result %+v", res)
	}
	task := a.describeTask(res.Task).Tasks[0]
	if task.DesiredStatus != "STOPPED" || task.StopCode != "UserInitiated" || task.StoppedReason != "shipit run: timed out after 6s" {
		t.Errorf("the stopped task: %+v", task)
	}

	// SIGTERM (a CI runner's cancel) stops the task too: exit 130.
	r = runInterrupted(t, syscall.SIGTERM, ": RUNNING", "--target", "ecs", "-f", spec, "--", "sh", "-c", "sleep 600")
	r.wantExit(t, 130, "Interrupted: interrupted (SIGTERM) while it was RUNNING; stopped task")
	var stopped struct{ TaskArns []string }
	awsCLI(t, ecsRegion, &stopped, "ecs", "list-tasks", "--cluster", a.cluster, "--started-by", "shipit-run", "--desired-status", "STOPPED")
	reasons := map[string]bool{}
	for _, arn := range stopped.TaskArns {
		reasons[a.describeTask(arn).Tasks[0].StoppedReason] = true
	}
	if !reasons["shipit run: interrupted (SIGTERM)"] {
		t.Errorf("no task stopped for the SIGTERM; stopped reasons %v", reasons)
	}

	bad := a.spec(ecsSpec{Image: a.ecrImage("web-fail-pull", "v1", '2')}) // the repository carries the marker: deploy pins the tag away
	r = a.shipitRun("-f", bad, "--", "true")
	r.wantExit(t, 3, "NotRun", "stopped before web ran: TaskFailedToStart: CannotPullContainerError")
}

func TestEKSRun(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "")

	// Exit 0: the Job and its pod are gone afterwards; the sandbox serves no logs, which is
	// said, not a failure.
	r := runShipit(t, "run", "--target", "eks", "-f", spec, "-o", "json", "--", "sh", "-c", "echo migrating")
	r.wantExit(t, 0)
	res := lastRun(t, r.stdout)
	if res.Status != "Succeeded" || res.ContainerExitCode == nil || *res.ContainerExitCode != 0 || res.ExitCode != 0 || res.StopCode != "Completed" ||
		!strings.HasPrefix(res.Task, ns+"/web-run-") || res.Logs == "" {
		t.Errorf("exit-0 result %+v", res)
	}
	if got := kubectlOut(t, "-n", ns, "get", "jobs,pods", "-l", "shipit.dev/run=web", "-o", "name"); got != "" {
		t.Errorf("left after the run: %s", got)
	}

	// Exit 3 with --keep: shipit exits 3, and the Job is there, Failed, its pod's container
	// terminated with 3.
	r = runShipit(t, "run", "--target", "eks", "-f", spec, "--keep", "-o", "json", "--", "sh", "-c", "echo no such table; exit 3")
	r.wantExit(t, 3)
	res = lastRun(t, r.stdout)
	if res.Status != "Failed" || res.ContainerExitCode == nil || *res.ContainerExitCode != 3 || res.ExitCode != 3 || res.StopCode != "Error" || !res.Kept {
		t.Errorf("exit-3 result %+v", res)
	}
	job := strings.TrimPrefix(res.Task, ns+"/")
	got := kubectlOut(t, "-n", ns, "get", "job", job, "-o",
		`jsonpath={.status.conditions[?(@.type=="Failed")].reason} {.spec.backoffLimit} {.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].args}`)
	if got != `BackoffLimitExceeded 0 Never ["sh","-c","echo no such table; exit 3"]` {
		t.Errorf("the kept job: %s", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "pod", res.Pod, "-o", "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}"); got != "Failed 3" {
		t.Errorf("its pod: %s", got)
	}
	// The Deployment's Service never selects a run's pod.
	if got := kubectlOut(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", "name"); got != "" {
		t.Errorf("pods with the app's selector: %s", got)
	}
	kubectlOut(t, "-n", ns, "delete", "job", job, "--cascade=foreground", "--timeout=60s")
}

// --timeout on Kubernetes deletes the Job of a pod that is still running (in the sandbox, a
// Job's pod runs as long as the "sleep N" in its command); an image that cannot be pulled
// never runs: exit 3.
func TestEKSRunTimeoutAndNotRun(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "")
	r := runShipit(t, "run", "--target", "eks", "-f", spec, "--timeout", "8s", "--", "sleep", "600")
	r.wantExit(t, 5, "TimedOut", "while pod web-run-", "was Running; deleted job "+ns+"/web-run-")
	if got := kubectlOut(t, "-n", ns, "get", "jobs,pods", "-l", "shipit.dev/run=web", "-o", "name"); got != "" {
		t.Errorf("left after the timeout: %s", got)
	}

	// Ctrl-C deletes the Job of a running pod too: exit 130.
	r = runInterrupted(t, syscall.SIGINT, ": Running", "--target", "eks", "-f", spec, "--keep", "--", "sleep", "600")
	r.wantExit(t, 130, "Interrupted", "deleted job "+ns+"/web-run-")
	if got := kubectlOut(t, "-n", ns, "get", "jobs,pods", "-l", "shipit.dev/run=web", "-o", "name"); got != "" {
		t.Errorf("left after Ctrl-C: %s", got)
	}

	bad := eksApp(t, ns, "registry.local/web:image-pull-backoff", "")
	r = runShipit(t, "run", "--target", "eks", "-f", bad, "--", "true")
	r.wantExit(t, 3, "NotRun", "never ran web: ImagePullBackOff")
	if got := kubectlOut(t, "-n", ns, "get", "jobs,pods", "-l", "shipit.dev/run=web", "-o", "name"); got != "" {
		t.Errorf("left after the run that never ran: %s", got)
	}
}

// runInterrupted runs shipit run with args and sends it sig once its stderr shows marker (the
// task or pod running), as Ctrl-C or a CI runner's cancel would.
func runInterrupted(t *testing.T, sig syscall.Signal, marker string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), append([]string{"run"}, args...)...)
	return runShipitCmd(t, cmd, func(c *exec.Cmd, stderr *syncBuffer) {
		waitStderr(t, stderr, marker, 60*time.Second)
		if err := c.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	})
}

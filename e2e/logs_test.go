//go:build e2e

package e2e

// shipit logs on both targets against the sandbox: on ECS the lines the simulator's tasks
// wrote to CloudWatch Logs (moto) as the awslogs driver does, on Kubernetes the pod log API
// (the apiserver proxying to kwok's kubelet endpoint). What shipit prints is read back with
// the aws CLI and kubectl: which tasks and pods there are, which revision each belongs to.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// logLine is one line shipit logs printed as text: "TIME [SOURCE/CONTAINER] MESSAGE".
type logLine struct {
	time, source, container, message string
}

var textLogLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[([^/\]]+)/([^\]]+)\] (.*)$`)

func parseLogText(t *testing.T, out string) []logLine {
	t.Helper()
	var lines []logLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := textLogLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a log line: %q", l)
		}
		lines = append(lines, logLine{m[1], m[2], m[3], m[4]})
	}
	return lines
}

// jsonLogLine is one line of -o json.
type jsonLogLine struct {
	Time      time.Time `json:"time"`
	Task      string    `json:"task"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Message   string    `json:"message"`
}

func parseLogJSON(t *testing.T, out string) []jsonLogLine {
	t.Helper()
	var lines []jsonLogLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var j jsonLogLine
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil || j.Time.IsZero() || j.Container == "" {
			t.Fatalf("not a JSON log line (%v): %q", err, l)
		}
		lines = append(lines, j)
	}
	return lines
}

// matching keeps "source/container message" of the lines whose message holds s, sorted.
func matching(lines []logLine, s string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l.message, s) {
			out = append(out, l.source+"/"+l.container+" "+l.message)
		}
	}
	slices.Sort(out)
	return out
}

// followRun is a shipit that runs until it is interrupted, its output readable meanwhile.
type followRun struct {
	cmd         *exec.Cmd
	out, errOut syncBuffer
	done        chan error
}

func startShipit(t *testing.T, args ...string) *followRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	f := &followRun{cmd: exec.CommandContext(ctx, shipit(t), args...), done: make(chan error, 1)}
	f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.errOut
	f.cmd.Env = append(os.Environ(), "KUBECONFIG="+harness.Kubeconfig(t), "CI=true")
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.done <- f.cmd.Wait() }()
	return f
}

// waitOut waits until stdout satisfies cond; on failure it logs what there is.
func (f *followRun) waitOut(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("waiting for %s; stdout so far:\n%s\nstderr:\n%s", what, f.out.String(), f.errOut.String())
		}
	}()
	waitFor(t, 90*time.Second, func() bool { return cond(f.out.String()) })
}

// interrupt sends SIGINT (Ctrl-C) and returns how shipit ended.
func (f *followRun) interrupt(t *testing.T) result {
	t.Helper()
	if err := f.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := <-f.done
	res := result{stdout: f.out.String(), stderr: f.errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("shipit %s → exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(f.cmd.Args[1:], " "), res.code, res.stdout, res.stderr)
	return res
}

// ecsTask is a task as the aws CLI describes it.
type ecsTask struct {
	ID                string
	TaskArn           string
	TaskDefinitionArn string
	StopCode          string
	StartedAt         any
}

// tasks are the service's tasks with the desired status that run revision (family:rev), read
// with the aws CLI, by id.
func (a *ecsApp) tasks(desired, revision string) []ecsTask {
	a.t.Helper()
	var list struct{ TaskArns []string }
	awsCLI(a.t, ecsRegion, &list, "ecs", "list-tasks", "--cluster", a.cluster, "--service-name", "web", "--desired-status", desired)
	if len(list.TaskArns) == 0 {
		return nil
	}
	var desc struct{ Tasks []ecsTask }
	awsCLI(a.t, ecsRegion, &desc, append([]string{"ecs", "describe-tasks", "--cluster", a.cluster, "--tasks"}, list.TaskArns...)...)
	var out []ecsTask
	for _, tk := range desc.Tasks {
		if isRevision(tk.TaskDefinitionArn, revision) {
			tk.ID = tk.TaskArn[strings.LastIndex(tk.TaskArn, "/")+1:]
			out = append(out, tk)
		}
	}
	slices.SortFunc(out, func(x, y ecsTask) int { return strings.Compare(x.ID, y.ID) })
	return out
}

// taskIDs are the ids of tasks.
func (a *ecsApp) taskIDs(desired, revision string) []string {
	var ids []string
	for _, tk := range a.tasks(desired, revision) {
		ids = append(ids, tk.ID)
	}
	return ids
}

func TestECSLogs(t *testing.T) {
	a := newECSApp(t, ecsFast)
	v1 := a.spec(ecsSpec{Image: "registry.example.test/web:v1"})
	a.run("deploy", "-f", v1).wantExit(t, 0)
	started := func(ids []string, rev, image string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, fmt.Sprintf("%s/web ecssim: container web started (task definition %s, image %s)", id, rev, image))
		}
		return out
	}

	// Every task's stream, each line with its task: the tasks ECS runs, the streams
	// CloudWatch Logs holds.
	r := a.run("logs", "-f", v1)
	r.wantExit(t, 0)
	ids := a.taskIDs("RUNNING", "web:1")
	if len(ids) != 2 {
		t.Fatalf("running tasks of web:1: %q", ids)
	}
	if got, want := matching(parseLogText(t, r.stdout), ""), started(ids, "web:1", "registry.example.test/web:v1"); !slices.Equal(got, want) {
		t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var streams struct {
		LogStreams []struct{ LogStreamName string }
	}
	awsCLI(t, ecsRegion, &streams, "logs", "describe-log-streams", "--log-group-name", "/ecs/web")
	var names []string
	for _, s := range streams.LogStreams {
		names = append(names, s.LogStreamName)
	}
	slices.Sort(names)
	if want := []string{"web/web/" + ids[0], "web/web/" + ids[1]}; !slices.Equal(names, want) {
		t.Errorf("log streams %q, want %q", names, want)
	}

	// JSON Lines, one object a line; --container and --since narrow it down.
	r = a.run("logs", "-f", v1, "-o", "json", "--container", "web", "--since", "10m")
	r.wantExit(t, 0)
	var got []string
	for _, l := range parseLogJSON(t, r.stdout) {
		if l.Pod != "" || time.Since(l.Time) > 10*time.Minute {
			t.Errorf("line %+v", l)
		}
		got = append(got, l.Task+"/"+l.Container+" "+l.Message)
	}
	slices.Sort(got)
	if want := started(ids, "web:1", "registry.example.test/web:v1"); !slices.Equal(got, want) {
		t.Errorf("logs -o json:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	a.run("logs", "-f", v1, "--container", "db").wantExit(t, 2, "--container db: service web has no container db (its containers: web)")

	// A revision that fails: the verdict says how to read its logs, and they are its tasks'
	// lines only, the exit included.
	bad := a.spec(ecsSpec{Image: "registry.example.test/web:fail-exit"})
	a.run("deploy", "-f", bad).wantExit(t, 4, "\n  logs of revision 2: shipit logs --target ecs --revision 2 -f "+bad+"\n")
	r = a.run("logs", "--revision", "2", "-f", bad)
	r.wantExit(t, 0)
	// Each task that started wrote its start line; those whose container exited (not the
	// ones the rollback stopped) their last line too.
	var want []string
	exited := 0
	for _, tk := range a.tasks("STOPPED", "web:2") {
		if tk.StartedAt != nil {
			want = append(want, started([]string{tk.ID}, "web:2", "registry.example.test/web:fail-exit")...)
		}
		if tk.StopCode == "EssentialContainerExited" {
			want = append(want, tk.ID+"/web ecssim: container web exiting with status 1 (scenario fail-exit)")
			exited++
		}
	}
	if exited < 2 {
		t.Fatalf("tasks of web:2 that exited: %d", exited)
	}
	slices.Sort(want)
	if got := matching(parseLogText(t, r.stdout), ""); !slices.Equal(got, want) {
		t.Errorf("logs --revision 2:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// --follow: the tasks of a deploy made meanwhile show up; Ctrl-C ends it (exit 130).
	v3 := a.spec(ecsSpec{Image: "registry.example.test/web:v3"})
	f := startShipit(t, "logs", "--target", "ecs", "-f", v3, "--follow")
	f.waitOut(t, "the lines there are", func(s string) bool { return strings.Contains(s, "(task definition web:1") })
	a.run("deploy", "-f", v3).wantExit(t, 0)
	f.waitOut(t, "both web:3 tasks' start lines", func(s string) bool { return strings.Count(s, "(task definition web:3") == 2 })
	res := f.interrupt(t)
	res.wantExit(t, 130, "interrupted")
	if got, want := matching(parseLogText(t, res.stdout), "web:3"), started(a.taskIDs("RUNNING", "web:3"), "web:3", "registry.example.test/web:v3"); !slices.Equal(got, want) {
		t.Errorf("followed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// podsOf lists the names of the app's pods, all or those of one ReplicaSet revision, with
// kubectl.
func podsOf(t *testing.T, ns, revision string) []string {
	t.Helper()
	sel := "app.kubernetes.io/name=web"
	if revision != "" {
		out := kubectlOut(t, "-n", ns, "get", "rs", "-l", sel, "-o",
			`jsonpath={range .items[*]}{.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.labels.pod-template-hash}{"\n"}{end}`)
		hash := ""
		for _, l := range strings.Split(out, "\n") {
			if rev, h, _ := strings.Cut(l, " "); rev == revision {
				hash = h
			}
		}
		if hash == "" {
			t.Fatalf("no ReplicaSet of revision %s:\n%s", revision, out)
		}
		sel += ",pod-template-hash=" + hash
	}
	names := strings.Fields(kubectlOut(t, "-n", ns, "get", "pods", "-l", sel, "-o", "jsonpath={.items[*].metadata.name}"))
	slices.Sort(names)
	return names
}

// each is "pod/web message" for each pod.
func each(pods []string, msg string) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p+"/web "+msg)
	}
	slices.Sort(out)
	return out
}

func TestEKSLogs(t *testing.T) {
	ns := harness.Namespace(t)
	v1 := eksApp(t, ns, "registry.local/web:v1", "")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", v1); r.code != 0 {
		t.Fatalf("deploy v1: exit %d", r.code)
	}
	// What the containers print (kwok serves one file for all: each line says which test).
	marker := "shipit-e2e " + ns
	harness.PrintToPods(t, marker+" v1 up")

	// Every pod's container, each line with its pod, as kubectl lists the pods.
	r := runShipit(t, "logs", "--target", "eks", "-f", v1, "--since", "10m")
	r.wantExit(t, 0)
	pods := podsOf(t, ns, "")
	if len(pods) != 3 {
		t.Fatalf("pods %q", pods)
	}
	if got, want := matching(parseLogText(t, r.stdout), marker), each(pods, marker+" v1 up"); !slices.Equal(got, want) {
		t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	runShipit(t, "logs", "--target", "eks", "-f", v1, "--revision", "9").wantExit(t, 1, "--revision 9: Deployment "+ns+"/web has no ReplicaSet of revision 9 (revisions kept: 1)")

	// A revision that fails: the JSON verdict names it and the command for its logs, which
	// reads its pods only.
	bad := eksApp(t, ns, "registry.local/web:crash-loop", "rollout: {autoRollback: false}\n")
	r = runShipit(t, "deploy", "--target", "eks", "-f", bad, "-o", "json")
	r.wantExit(t, 3)
	var verdict struct{ FailedRevision, Hint string }
	dec := json.NewDecoder(bytes.NewReader([]byte(r.stdout)))
	for dec.More() {
		if err := dec.Decode(&verdict); err != nil {
			t.Fatalf("deploy -o json: %v", err)
		}
	}
	if want := "shipit logs --target eks --revision 2 -f " + bad; verdict.FailedRevision != "2" || verdict.Hint != want {
		t.Fatalf("verdict failedRevision %q hint %q, want 2 and %q", verdict.FailedRevision, verdict.Hint, want)
	}
	harness.PrintToPods(t, marker+" crashing")
	r = runShipit(t, append(strings.Fields(verdict.Hint)[1:], "-o", "json")...)
	r.wantExit(t, 0)
	var got []string
	for _, l := range parseLogJSON(t, r.stdout) {
		if l.Task != "" || l.Pod == "" {
			t.Errorf("line %+v", l)
		}
		if strings.Contains(l.Message, marker+" crashing") {
			got = append(got, l.Pod+"/"+l.Container+" "+l.Message)
		}
	}
	slices.Sort(got)
	if want := each(podsOf(t, ns, "2"), marker+" crashing"); len(want) != 3 || !slices.Equal(got, want) {
		t.Errorf("logs --revision 2:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// --follow: the pods a later deploy makes are followed too; Ctrl-C ends it (exit 130).
	f := startShipit(t, "logs", "--target", "eks", "-f", v1, "--follow", "--since", "10m")
	f.waitOut(t, "the lines there are", func(s string) bool { return strings.Count(s, marker+" crashing") >= 6 })
	fix := eksApp(t, ns, "registry.local/web:v3", "")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", fix); r.code != 0 {
		t.Fatalf("deploy v3: exit %d", r.code)
	}
	newPods := podsOf(t, ns, "3")
	waitFor(t, 60*time.Second, func() bool { return strings.Count(f.errOut.String(), "following new pod") >= 3 })
	harness.PrintToPods(t, marker+" v3 up")
	f.waitOut(t, "the new pods' lines", func(s string) bool {
		for _, p := range newPods {
			if !strings.Contains(s, "["+p+"/web] "+marker+" v3 up") {
				return false
			}
		}
		return true
	})
	res := f.interrupt(t)
	res.wantExit(t, 130, "interrupted")
	for _, p := range newPods {
		if !strings.Contains(res.stderr, "following new pod "+p) {
			t.Errorf("stderr does not say it follows %s", p)
		}
	}
}

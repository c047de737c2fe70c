//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// Many apps in one `shipit deploy` (-f repeated, or a directory), on both targets: one app
// whose image the sandbox fails, the others succeed; the summary shows each verdict and the
// exit code is the failing app's. What is live is read back with kubectl and the aws CLI.

// manyEKSSpecs writes one spec per app (name → image) below a new directory, each in
// namespace ns, and returns the directory.
func manyEKSSpecs(t *testing.T, ns string, apps map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, image := range apps {
		src := fmt.Sprintf("version: 1\nname: %s\nimage: %s\nport: 80\ncpu: 0.25\nmemory: 512Mi\nreplicas: 2\n"+
			"rollout: {timeout: 2m, autoRollback: false}\neks: {namespace: %s}\n", name, image, ns)
		p := filepath.Join(dir, name, "shipit.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// summaryRows parses the text summary on stdout: app → its row's columns.
func summaryRows(t *testing.T, stdout string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) < 3 || !regexp.MustCompile(`^APP +TARGET +VERDICT +REVISION +DURATION +MESSAGE$`).MatchString(lines[0]) {
		t.Fatalf("no summary table on stdout:\n%s", stdout)
	}
	rows := map[string][]string{}
	for _, l := range lines[1 : len(lines)-1] {
		f := strings.Fields(l)
		rows[f[0]] = f
	}
	return rows
}

func TestManyAppsEKSOneFails(t *testing.T) {
	ns := harness.Namespace(t)
	dir := manyEKSSpecs(t, ns, map[string]string{
		"api":    "registry.local/api:v1",
		"web":    "registry.local/web:image-pull-backoff",
		"worker": "registry.local/worker:v1",
	})
	r := runShipit(t, "deploy", "--target", "eks", "-f", dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (web's rollout failed)", r.code)
	}
	rows := summaryRows(t, r.stdout)
	for app, verdict := range map[string]string{"api": "Succeeded", "web": "Failed", "worker": "Succeeded"} {
		if row := rows[app]; len(row) < 5 || row[1] != "eks" || row[2] != verdict {
			t.Errorf("%s's row %q, want target eks and verdict %s", app, row, verdict)
		}
	}
	if !strings.Contains(r.stdout, "ImagePullBackOff") || !strings.HasSuffix(r.stdout, "\n3 apps: 2 Succeeded, 1 Failed; exit 3\n") {
		t.Errorf("summary lacks web's reason or the tally")
	}
	// One progress stream, every line prefixed with its app.
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !regexp.MustCompile(`^(api|web|worker) +\| `).MatchString(l) {
			t.Errorf("progress line without its app: %q", l)
		}
	}
	for _, app := range []string{"api", "worker"} {
		got := kubectlOut(t, "-n", ns, "get", "deploy", app, "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas} {.spec.template.spec.containers[0].image}")
		if want := "2/2 registry.local/" + app + ":v1"; got != want {
			t.Errorf("kubectl: %s is %q, want %q", app, got, want)
		}
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"); got != "" && got != "0" {
		t.Errorf("kubectl: web has %s ready pods, want none", got)
	}
	noLock(t, ns)
}

// manyJSON splits a many-app deploy's -o json output into its events and the summary.
type manyEvent struct{ App, File, Phase, Message string }

type manySummary struct {
	Apps []struct {
		App, File, Target, Verdict, Revision, Message string
		ExitCode                                      int
	}
	ExitCode int
	Error    string
}

func manyJSON(t *testing.T, stdout string) ([]manyEvent, manySummary) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var raws []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		raws = append(raws, raw)
	}
	if len(raws) == 0 {
		t.Fatal("no JSON on stdout")
	}
	var events []manyEvent
	for _, raw := range raws[:len(raws)-1] {
		var e manyEvent
		if err := json.Unmarshal(raw, &e); err != nil || e.App == "" || e.File == "" {
			t.Errorf("event without app or file (%v): %s", err, raw)
		}
		events = append(events, e)
	}
	var s manySummary
	if err := json.Unmarshal(raws[len(raws)-1], &s); err != nil {
		t.Fatal(err)
	}
	return events, s
}

func TestManyAppsECSOneFails(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms","failureThreshold":1000}`)
	no := false
	files := map[string]string{}
	for name, image := range map[string]string{"api": "nginx:1.27", "web": "registry.example.test/web:fail-pull", "worker": "nginx:1.27"} {
		p := a.spec(ecsSpec{Image: image, AutoRollback: &no})
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), "name: web\n", "name: "+name+"\n", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	r := a.run("deploy", "-f", files["api"], "-f", files["web"], "-f", files["worker"], "-o", "json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (web's tasks cannot pull their image)", r.code)
	}
	events, s := manyJSON(t, r.stdout)
	seen := map[string]bool{}
	for _, e := range events {
		if files[e.App] != e.File {
			t.Errorf("event of %s tagged with file %s, want %s", e.App, e.File, files[e.App])
		}
		seen[e.App] = true
	}
	if len(seen) != 3 {
		t.Errorf("events of %v, want all three apps", seen)
	}
	if s.ExitCode != 3 || s.Error != "1 of 3 apps did not succeed: web (Failed)" || len(s.Apps) != 3 {
		t.Fatalf("summary %+v", s)
	}
	for i, want := range []struct{ app, verdict string }{{"api", "Succeeded"}, {"web", "Failed"}, {"worker", "Succeeded"}} {
		got := s.Apps[i]
		if got.App != want.app || got.Verdict != want.verdict || got.File != files[want.app] || got.Target != "ecs" {
			t.Errorf("summary row %d: %+v, want %s %s", i, got, want.app, want.verdict)
		}
	}
	if web := s.Apps[1]; web.ExitCode != 3 || !strings.Contains(web.Message, "CannotPullContainerError") || web.Revision != "web:1" {
		t.Errorf("web's row %+v, want exit 3, CannotPullContainerError, revision web:1", web)
	}
	for _, app := range []string{"api", "worker"} {
		if svc := a.describe(a.cluster, app); !svc.steadyOn(app + ":1") {
			t.Errorf("aws ecs describe-services %s: want %s:1 completed:\n%s", app, app, svc)
		}
	}
	if svc := a.describe(a.cluster, "web"); svc.steadyOn("web:1") || svc.RunningCount != 0 {
		t.Errorf("aws ecs describe-services web: want it not steady, no task running:\n%s", svc)
	}
}

// SIGTERM during a many-app deploy stops every app at once (each says what it applied), the
// app whose turn had not come never starts, the summary still prints, and the exit code is 130.
func TestManyAppsEKSInterrupted(t *testing.T) {
	ns := harness.Namespace(t)
	dir := manyEKSSpecs(t, ns, map[string]string{
		"a1": "registry.local/a1:never-ready",
		"a2": "registry.local/a2:never-ready",
		"a3": "registry.local/a3:v1",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", dir, "--max-parallel", "2")
	r := runShipitCmd(t, cmd, func(cmd *exec.Cmd, stderr *syncBuffer) {
		// Both apps under way are watching their new pods.
		waitFor(t, 90*time.Second, func() bool {
			s := stderr.String()
			return regexp.MustCompile(`(?m)^a1 \| .*new pods`).MatchString(s) && regexp.MustCompile(`(?m)^a2 \| .*new pods`).MatchString(s)
		})
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	})
	if r.code != 130 {
		t.Fatalf("exit %d, want 130", r.code)
	}
	rows := summaryRows(t, r.stdout)
	for _, app := range []string{"a1", "a2", "a3"} {
		if row := rows[app]; len(row) < 3 || row[2] != "Canceled" {
			t.Errorf("%s's row %q, want Canceled", app, row)
		}
	}
	for _, want := range []string{
		"interrupted (SIGTERM) while watching the rollout of deployment " + ns + "/a1",
		"interrupted (SIGTERM) while watching the rollout of deployment " + ns + "/a2",
		"interrupted (SIGTERM) while waiting for its turn (--max-parallel 2); nothing was written",
		"3 apps: 3 Canceled; exit 130",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, app := range []string{"a1", "a2"} {
		if !strings.Contains(r.stderr, app+" | applied: ") || !strings.Contains(r.stderr, app+" | check it with: shipit status --target eks -f "+filepath.Join(dir, app, "shipit.yaml")) {
			t.Errorf("%s does not say what it applied and how to check it", app)
		}
		if got := kubectlOut(t, "-n", ns, "get", "deploy", app, "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/"+app+":never-ready" {
			t.Errorf("kubectl: %s's image %q", app, got)
		}
	}
	if out, _ := harness.Kubectl(t, "-n", ns, "get", "deploy", "a3", "-o", "name"); strings.Contains(out, "a3") {
		t.Errorf("a3 never started, yet it is live: %s", out)
	}
	noLock(t, ns)
}

// --timeout bounds the whole batch: the apps still rolling out when it runs out end TimedOut
// (exit 5), the one that made it is Succeeded, and the summary prints.
func TestManyAppsEKSTimeout(t *testing.T) {
	ns := harness.Namespace(t)
	dir := manyEKSSpecs(t, ns, map[string]string{
		"b1": "registry.local/b1:never-ready",
		"b2": "registry.local/b2:v1",
	})
	r := runShipit(t, "deploy", "--target", "eks", "-f", dir, "--timeout", "6s")
	if r.code != 5 {
		t.Fatalf("exit %d, want 5", r.code)
	}
	rows := summaryRows(t, r.stdout)
	if row := rows["b1"]; len(row) < 3 || row[2] != "TimedOut" || !strings.Contains(r.stdout, "2 apps: 1 TimedOut, 1 Succeeded; exit 5") {
		t.Errorf("b1's row %q, want TimedOut, and the tally", row)
	}
	if row := rows["b2"]; len(row) < 3 || row[2] != "Succeeded" {
		t.Errorf("b2's row %q, want Succeeded", row)
	}
	// b1's watch runs out at --timeout and reports its own verdict, or, on a loaded machine,
	// the command's bound (2 s later) ends it first and b1 says what it left: as a single
	// deploy does, either way TimedOut naming the bound.
	if !strings.Contains(r.stdout, "timed out after 6s") {
		t.Errorf("b1's message does not name the bound")
	}
	noLock(t, ns)
}

package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// appSpec is a small spec for the Kubernetes target.
func appSpec(name, image string) string {
	return "version: 1\nname: " + name + "\nimage: " + image + "\nport: 80\ncpu: 0.25\nmemory: 512Mi\neks: {namespace: apps}\n"
}

// writeSpecs writes files (path below dir → content) and returns dir.
func writeSpecs(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, src := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeClock is a clock the fake deploys move on.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// scripted is what the fake session does for one app: the events it reports, how long it
// takes on the fake clock, and how it ends.
type scripted struct {
	took    time.Duration
	events  []target.Event
	verdict *target.Verdict
	err     error
}

func ev(app string, sec int, phase target.Phase, msg string, counts ...int) target.Event {
	e := target.NewEvent(t0.Add(time.Duration(sec)*time.Second), "eks", app, phase, msg)
	if len(counts) == 3 {
		e = e.WithCounts(counts[0], counts[1], counts[2])
	}
	return e
}

// script makes the fake session play each app's script.
func script(e *cmdtest.Env, clock *fakeClock, by map[string]scripted) {
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
		s := by[app.Name]
		for _, ev := range s.events {
			r.Report(ev)
		}
		clock.advance(s.took)
		return s.verdict, s.err
	}
}

// runMany runs `shipit deploy` with args through the real command, a fixed clock and ctx.
func runMany(ctx context.Context, e *cmdtest.Env, clock *fakeClock, args ...string) error {
	cmd := NewCmd(e.Factory, func(ctx context.Context, o *Options) error {
		if clock != nil {
			o.now = clock.now
		}
		if !o.Global.ManySpecs() {
			return Run(ctx, o)
		}
		return RunMany(ctx, o)
	})
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(ctx)
}

// threeApps is the batch most tests deploy: api succeeds, web fails its rollout (exit 3),
// worker succeeds after a while.
func threeApps(t *testing.T) (dir string, by map[string]scripted) {
	dir = writeSpecs(t, map[string]string{
		"api/shipit.yaml":    appSpec("api", "registry.local/api:2"),
		"web/shipit.yaml":    appSpec("web", "registry.local/web:image-pull-backoff"),
		"worker/shipit.yaml": appSpec("worker", "registry.local/worker:5"),
		"README.md":          "not a spec",
	})
	by = map[string]scripted{
		"api": {took: 1500 * time.Millisecond, events: []target.Event{
			ev("api", 0, target.Pending, "applying 3 objects to namespace apps"),
			ev("api", 1, target.Progressing, "rolling out", 2, 1, 0),
			ev("api", 2, target.Succeeded, "deployment api rolled out", 2, 2, 2),
		}, verdict: &target.Verdict{Target: "eks", App: "api", Phase: target.Succeeded, Message: "deployment api rolled out", Revision: "3", Desired: 2, Ready: 2, Applied: []string{"Deployment/api", "Service/api"}}},
		"web": {took: 12340 * time.Millisecond, events: []target.Event{
			ev("web", 0, target.Pending, "applying 3 objects to namespace apps"),
			ev("web", 12, target.Failed, "pod web-7d9 is waiting: ImagePullBackOff\nBack-off pulling image \"registry.local/web:image-pull-backoff\""),
		}, verdict: &target.Verdict{Target: "eks", App: "web", Phase: target.Failed, Message: "pod web-7d9 is waiting: ImagePullBackOff\nBack-off pulling image \"registry.local/web:image-pull-backoff\"", Revision: "7", Desired: 1}},
		"worker": {took: 65 * time.Second, events: []target.Event{
			ev("worker", 0, target.Pending, "nothing changed (spec 1a2b is live in apps); nothing applied"),
			ev("worker", 0, target.Succeeded, "already live", 1, 1, 1),
		}, verdict: &target.Verdict{Target: "eks", App: "worker", Phase: target.Succeeded, Message: "already live", Revision: "2", Desired: 1, Ready: 1, Unchanged: true}},
	}
	return dir, by
}

// The people's view: one line per event, prefixed with the app; then the summary table, in the
// order of the specs, and the exit code of the failed app.
func TestManyText(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	clock := &fakeClock{t: t0}
	dir, by := threeApps(t)
	script(e, clock, by)
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	err := runMany(ctx, e, clock, "--target", "eks", "-f", dir, "--max-parallel", "1")
	if code := target.ExitCode(err); code != target.ExitFailed {
		t.Errorf("exit %d (%v), want 3", code, err)
	}
	wantErr := `api    | 10:00:00 Pending     applying 3 objects to namespace apps
api    | 10:00:01 Progressing rolling out  [1/2 updated, 0/2 ready]
api    | 10:00:02 Succeeded   deployment api rolled out  [2/2 updated, 2/2 ready]
web    | 10:00:00 Pending     applying 3 objects to namespace apps
web    | 10:00:12 Failed      pod web-7d9 is waiting: ImagePullBackOff
web    | Back-off pulling image "registry.local/web:image-pull-backoff"
worker | 10:00:00 Pending     nothing changed (spec 1a2b is live in apps); nothing applied
worker | 10:00:00 Succeeded   already live  [1/1 updated, 1/1 ready]
`
	if got := e.ErrOut.String(); got != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, wantErr)
	}
	wantOut := `APP     TARGET  VERDICT    REVISION  DURATION  MESSAGE
api     eks     Succeeded  3         1.5s      deployment api rolled out
web     eks     Failed     7         12.3s     pod web-7d9 is waiting: ImagePullBackOff Back-off pulling image "registry.local/web:image-pull-backoff"
worker  eks     Succeeded  2         1m5s      already live
3 apps: 2 Succeeded, 1 Failed; exit 3
`
	if got := e.Out.String(); got != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
	}
	var deployed []string
	for _, c := range e.Target.Session.Calls {
		deployed = append(deployed, c.Method+" "+c.App)
	}
	if want := []string{"Deploy api", "Deploy web", "Deploy worker"}; !slices.Equal(deployed, want) {
		t.Errorf("calls %v, want %v", deployed, want)
	}
}

// The machines' view: JSON Lines events, each with its app and spec file, then one summary
// object with every app's verdict and the worst exit code (an error beats a rollback).
func TestManyJSON(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	clock := &fakeClock{t: t0}
	dir := writeSpecs(t, map[string]string{
		"a.yaml": appSpec("api", "registry.local/api:2"),
		"b.yaml": appSpec("web", "registry.local/web:crash-loop"),
		"c.yaml": appSpec("worker", "registry.local/worker:5"),
	})
	script(e, clock, map[string]scripted{
		"api": {took: time.Second, events: []target.Event{ev("api", 1, target.Succeeded, "rolled out", 1, 1, 1)},
			verdict: &target.Verdict{Target: "eks", App: "api", Phase: target.Succeeded, Message: "rolled out", Revision: "3", Desired: 1, Ready: 1}},
		"web": {took: 2 * time.Second, events: []target.Event{ev("web", 2, target.RolledBack, "CrashLoopBackOff; rolled back to revision 6")},
			verdict: &target.Verdict{Target: "eks", App: "web", Phase: target.RolledBack, Message: "CrashLoopBackOff; rolled back to revision 6", Revision: "7", RolledBackTo: "6"}},
		"worker": {took: 2994 * time.Millisecond, err: &apiErr{"reading what is live in context sandbox: deployments.apps \"worker\" is forbidden"}},
	})
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	a, b, c := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"), filepath.Join(dir, "c.yaml")
	e.Factory.Global.Output = "json" // -o is the root's
	err := runMany(ctx, e, clock, "--target", "eks", "-f", a, "-f", b, "--file", c, "--max-parallel", "1")
	if code := target.ExitCode(err); code != target.ExitError {
		t.Errorf("exit %d (%v), want 1", code, err)
	}
	want := `{"time":"2025-03-04T10:00:01Z","target":"eks","app":"api","phase":"Succeeded","message":"rolled out","desired":1,"updated":1,"ready":1,"file":"` + a + `"}
{"time":"2025-03-04T10:00:02Z","target":"eks","app":"web","phase":"RolledBack","message":"CrashLoopBackOff; rolled back to revision 6","desired":0,"updated":0,"ready":0,"file":"` + b + `"}
{
  "apps": [
    {
      "app": "api",
      "file": "` + a + `",
      "target": "eks",
      "verdict": "Succeeded",
      "exitCode": 0,
      "revision": "3",
      "desired": 1,
      "ready": 1,
      "durationSeconds": 1,
      "message": "rolled out"
    },
    {
      "app": "web",
      "file": "` + b + `",
      "target": "eks",
      "verdict": "RolledBack",
      "exitCode": 4,
      "revision": "7",
      "desired": 0,
      "ready": 0,
      "rolledBackTo": "6",
      "durationSeconds": 2,
      "message": "CrashLoopBackOff; rolled back to revision 6"
    },
    {
      "app": "worker",
      "file": "` + c + `",
      "target": "eks",
      "verdict": "Error",
      "exitCode": 1,
      "desired": 0,
      "ready": 0,
      "durationSeconds": 2.994,
      "message": "reading what is live in context sandbox: deployments.apps \"worker\" is forbidden"
    }
  ],
  "exitCode": 1,
  "error": "2 of 3 apps did not succeed: web (RolledBack), worker (Error)",
  "errors": []
}
`
	if got := e.Out.String(); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	if e.ErrOut.String() != "" {
		t.Errorf("stderr %q, want nothing with -o json", e.ErrOut)
	}
}

type apiErr struct{ msg string }

func (e *apiErr) Error() string { return e.msg }

// All succeeded: exit 0, and the summary object says so without failure fields.
func TestManyAllSucceeded(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	dir := writeSpecs(t, map[string]string{"x/shipit.yaml": appSpec("api", "r/api:1"), "y/shipit.yaml": appSpec("web", "r/web:1")})
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	e.Factory.Global.Output = "json"
	if err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", dir); err != nil {
		t.Fatal(err)
	}
	out := e.Out.String()
	if !strings.HasSuffix(out, "  ],\n  \"exitCode\": 0\n}\n") || strings.Contains(out, `"error"`) {
		t.Errorf("stdout:\n%s", out)
	}
}

// One invalid spec stops the batch before anything is deployed, and every invalid file is
// listed with its line and field, as validate lists them.
func TestManyInvalidSpecsDeployNothing(t *testing.T) {
	dir := writeSpecs(t, map[string]string{
		"a/shipit.yaml": appSpec("api", "r/api:1"),
		"b/shipit.yaml": "version: 1\nname: web\nimage: r/web:1\nport: 80\nreplicas: -1\neks: {namespace: apps}\n",
		"c/shipit.yaml": "version: 1\nname: worker\nimage: r/worker:1\nimagePullPolicy: Always\n",
	})
	for _, json := range []bool{false, true} {
		e := cmdtest.New(t, "eks", "")
		ctx, cancel := target.CommandContext(context.Background(), 0)
		if json {
			e.Factory.Global.Output = "json"
		}
		err := runMany(ctx, e, nil, "--target", "eks", "-f", dir)
		cancel()
		if code := target.ExitCode(err); code != target.ExitInvalid {
			t.Errorf("exit %d (%v), want 2", code, err)
		}
		if n := len(e.Target.Session.Calls); n != 0 || len(e.Target.Session.Connects) != 0 {
			t.Errorf("%d calls and %d connects: a batch with an invalid spec deployed something", n, len(e.Target.Session.Connects))
		}
		var errs spec.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("not spec errors: %v", err)
		}
		var got []string
		for _, fe := range errs {
			got = append(got, fe.Error())
		}
		b, c := filepath.Join(dir, "b", "shipit.yaml"), filepath.Join(dir, "c", "shipit.yaml")
		want := []string{
			b + ":5:11: replicas: -1 is negative",
			c + ":4:1: imagePullPolicy: unknown field (known fields: args, autoscale, command, containerName, cpu, dependsOn, ecs, eks, env, environments, expose, health, image, init, labels, limits, lint, logs, memory, name, port, ports, replicas, requests, role, rollout, secrets, security, sidecars, stopCommand, stopGrace, version, volumes)",
		}
		if !slices.Equal(got, want) {
			t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// Never more than --max-parallel at once, and that many do run at once.
func TestManyMaxParallel(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files[n+"/shipit.yaml"] = appSpec("app-"+n, "r/"+n+":1")
	}
	dir := writeSpecs(t, files)
	e := cmdtest.New(t, "eks", "")
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	started, inflight, peak := 0, 0, 0
	const limit = 2
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, _ target.Reporter) (*target.Verdict, error) {
		mu.Lock()
		started++
		inflight++
		peak = max(peak, inflight)
		cond.Broadcast()
		// Wait until the limit is reached, unless no more apps can come.
		for inflight < limit && started < len(files) {
			cond.Wait()
		}
		inflight--
		mu.Unlock()
		return &target.Verdict{App: app.Name, Phase: target.Succeeded, Message: "ok"}, nil
	}
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	if err := runMany(ctx, e, nil, "--target", "eks", "-f", dir, "--max-parallel", "2"); err != nil {
		t.Fatal(err)
	}
	if peak != limit || started != len(files) {
		t.Errorf("peak %d at once (want %d), %d deployed (want %d)", peak, limit, started, len(files))
	}
}

// Apps with one session key connect once; without a key, each connects.
func TestManySharesSessions(t *testing.T) {
	dir, _ := threeApps(t)
	for _, tc := range []struct {
		name     string
		key      func(*spec.App, target.ConnectOptions) string
		connects int
	}{
		{"one cluster", func(*spec.App, target.ConnectOptions) string { return "context=sandbox" }, 1},
		{"a cluster each", func(a *spec.App, _ target.ConnectOptions) string { return "context=" + a.Name }, 3},
		{"no sharing", nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "eks", "")
			e.Target.SessionKeyFunc = tc.key
			ctx, cancel := target.CommandContext(context.Background(), 0)
			defer cancel()
			if err := runMany(ctx, e, nil, "--target", "eks", "-f", dir); err != nil {
				t.Fatal(err)
			}
			if n := len(e.Target.Session.Connects); n != tc.connects {
				t.Errorf("%d connects, want %d", n, tc.connects)
			}
			if n := len(e.Target.Session.Calls); n != 3 {
				t.Errorf("%d deploys, want 3", n)
			}
		})
	}
}

// A connection that fails fails the apps that needed it (exit 1), each saying so.
func TestManyConnectError(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"a.yaml": appSpec("api", "r/api:1"), "b.yaml": appSpec("web", "r/web:1")})
	e := cmdtest.New(t, "eks", "")
	e.Target.ConnectErr = &apiErr{"kubeconfig: context \"prod\" does not exist"}
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", filepath.Join(dir, "a.yaml"), "-f", filepath.Join(dir, "b.yaml"), "--max-parallel", "1")
	if code := target.ExitCode(err); code != target.ExitError {
		t.Errorf("exit %d (%v), want 1", code, err)
	}
	wantErr := "api | error: kubeconfig: context \"prod\" does not exist\nweb | error: kubeconfig: context \"prod\" does not exist\n"
	wantOut := `APP  TARGET  VERDICT  REVISION  DURATION  MESSAGE
api  eks     Error    -         0s        kubeconfig: context "prod" does not exist
web  eks     Error    -         0s        kubeconfig: context "prod" does not exist
2 apps: 2 Error; exit 1
`
	if e.ErrOut.String() != wantErr || e.Out.String() != wantOut {
		t.Errorf("stderr:\n%s\nstdout:\n%s\nwant:\n%s\n%s", e.ErrOut, e.Out, wantErr, wantOut)
	}
}

// Ctrl-C stops the apps under way as a single deploy stops (their notes say what was
// applied); the apps whose turn had not come never start; the summary still prints; exit 130.
func TestManyInterrupted(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"a.yaml": appSpec("api", "r/api:1"), "b.yaml": appSpec("web", "r/web:1"), "c.yaml": appSpec("worker", "r/worker:1")})
	e := cmdtest.New(t, "eks", "")
	process, interrupt := context.WithCancelCause(context.Background())
	var mu sync.Mutex
	inflight := 0
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
		target.Step(ctx, "watching the rollout of deployment apps/"+app.Name)
		mu.Lock()
		inflight++
		if inflight == 2 { // both slots taken: the user presses Ctrl-C
			interrupt(cmdutil.Interrupt{Signal: os.Interrupt})
		}
		mu.Unlock()
		<-ctx.Done()
		// What a session returns when its watch is interrupted.
		return &target.Verdict{Target: "eks", App: app.Name, Phase: target.Canceled, Message: "interrupted: stopped watching; the rollout goes on in the cluster",
			Revision: "2", Applied: []string{"Deployment/" + app.Name}}, nil
	}
	ctx, cancel := target.CommandContext(process, 0)
	defer cancel()
	a, b, c := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"), filepath.Join(dir, "c.yaml")
	err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", a, "-f", b, "-f", c, "--max-parallel", "2")
	if code := target.ExitCode(err); code != target.ExitInterrupted {
		t.Errorf("exit %d (%v), want 130", code, err)
	}
	// Each app's lines are whole and in order; the two apps under way print at once.
	for _, app := range []string{"api", "web"} {
		var lines []string
		for _, l := range strings.SplitAfter(e.ErrOut.String(), "\n") {
			if strings.HasPrefix(l, app+" ") {
				lines = append(lines, l)
			}
		}
		want := padRight(app, 6) + " | interrupted: stopped watching; every object was applied whole, the rollout goes on.\n" +
			padRight(app, 6) + " | applied: Deployment/" + app + "\n" +
			padRight(app, 6) + " | check it with: shipit status --target eks -f " + map[string]string{"api": a, "web": b}[app] + "\n"
		if got := strings.Join(lines, ""); got != want {
			t.Errorf("%s's lines:\n%s\nwant:\n%s", app, got, want)
		}
	}
	wantOut := `APP     TARGET  VERDICT   REVISION  DURATION  MESSAGE
api     eks     Canceled  2         0s        interrupted (SIGINT) while watching the rollout of deployment apps/api: stopped watching; the rollout goes on in the cluster
web     eks     Canceled  2         0s        interrupted (SIGINT) while watching the rollout of deployment apps/web: stopped watching; the rollout goes on in the cluster
worker  eks     Canceled  -         -         interrupted (SIGINT) while waiting for its turn (--max-parallel 2); nothing was written
3 apps: 3 Canceled; exit 130
`
	if got := e.Out.String(); got != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
	}
	if n := len(e.Target.Session.Calls); n != 2 {
		t.Errorf("%d deploys, want 2: worker's turn never came", n)
	}
}

// --timeout bounds the whole batch: every app under way ends TimedOut naming its own step.
func TestManyTimeout(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"a.yaml": appSpec("api", "r/api:1"), "b.yaml": appSpec("web", "r/web:1")})
	e := cmdtest.New(t, "eks", "")
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, r target.Reporter) (*target.Verdict, error) {
		target.Step(ctx, "watching "+app.Name)
		<-ctx.Done()
		if app.Name == "api" {
			return &target.Verdict{Target: "eks", App: app.Name, Phase: target.Canceled, Message: "interrupted: stopped watching; the rollout goes on in the cluster", Applied: []string{"Deployment/api"}}, nil
		}
		return nil, context.Cause(ctx) // a call cut by the bound
	}
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	e.Factory.Global.Output = "json"
	err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", filepath.Join(dir, "a.yaml"), "-f", filepath.Join(dir, "b.yaml"), "--timeout", "20ms")
	if code := target.ExitCode(err); code != target.ExitTimedOut {
		t.Errorf("exit %d (%v), want 5", code, err)
	}
	for _, want := range []string{
		`"verdict": "TimedOut",
      "exitCode": 5,
      "desired": 0,
      "ready": 0,
      "applied": [
        "Deployment/api"
      ],
      "durationSeconds": 0,
      "message": "timed out after 20ms while watching api; stopped watching; the rollout goes on in the cluster"`,
		`"verdict": "TimedOut",
      "exitCode": 5,
      "desired": 0,
      "ready": 0,
      "durationSeconds": 0,
      "message": "timed out after 20ms while watching web"`,
		`"exitCode": 5,
  "error": "2 of 2 apps did not succeed: api (TimedOut), web (TimedOut)"`,
	} {
		if !strings.Contains(e.Out.String(), want) {
			t.Errorf("stdout:\n%s\nwant it to hold:\n%s", e.Out, want)
		}
	}
}

// Usage mistakes of a many-app deploy exit 2 before anything is read or deployed.
func TestManyUsage(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"a/shipit.yaml": appSpec("api", "r/api:1"), "b/shipit.yaml": appSpec("web", "r/web:1"), "empty/x": ""})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, "--dry-run takes one spec: run shipit diff -f FILE for each of them"},
		{[]string{"--max-parallel", "0"}, "--max-parallel 0: deploy at least 1 app at a time"},
		{[]string{"--image", "nope=r/nope:2"}, `--image nope=r/nope:2: no app has a container named "nope"`},
		{[]string{"-f", filepath.Join(dir, "empty")}, "-f " + filepath.Join(dir, "empty") + ": no shipit.yaml below this directory (directories starting with a dot are not searched)"},
	} {
		e := cmdtest.New(t, "eks", "")
		ctx, cancel := target.CommandContext(context.Background(), 0)
		err := runMany(ctx, e, nil, append([]string{"--target", "eks", "-f", dir}, tc.args...)...)
		cancel()
		if code := target.ExitCode(err); code != target.ExitInvalid || err.Error() != tc.want {
			t.Errorf("%v: exit %d, %v\nwant 2, %s", tc.args, code, err, tc.want)
		}
		if len(e.Target.Session.Calls) != 0 {
			t.Errorf("%v: deployed", tc.args)
		}
	}
}

// --image applies to the apps that have the container, and only to them.
func TestManyImageOverride(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"a/shipit.yaml": appSpec("api", "r/api:1"), "b/shipit.yaml": appSpec("web", "r/web:1")})
	e := cmdtest.New(t, "eks", "")
	images := map[string]string{}
	var mu sync.Mutex
	e.Target.Session.DeployFunc = func(ctx context.Context, app *spec.App, _ target.DeployOptions, _ target.Reporter) (*target.Verdict, error) {
		mu.Lock()
		images[app.Name] = app.Image
		mu.Unlock()
		return &target.Verdict{App: app.Name, Phase: target.Succeeded}, nil
	}
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	if err := runMany(ctx, e, nil, "--target", "eks", "-f", dir, "--image", "web=r/web:2"); err != nil {
		t.Fatal(err)
	}
	if images["api"] != "r/api:1" || images["web"] != "r/web:2" {
		t.Errorf("images %v", images)
	}
}

// Two specs of one app name (two namespaces) are told apart by their files.
func TestManySameNameLabelledByFile(t *testing.T) {
	dir := writeSpecs(t, map[string]string{
		"staging/shipit.yaml": strings.Replace(appSpec("web", "r/web:1"), "apps", "staging", 1),
		"prod/shipit.yaml":    strings.Replace(appSpec("web", "r/web:1"), "apps", "prod", 1),
	})
	e := cmdtest.New(t, "eks", "")
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	if err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", dir, "--max-parallel", "1"); err != nil {
		t.Fatal(err)
	}
	p, s := filepath.Join(dir, "prod", "shipit.yaml"), filepath.Join(dir, "staging", "shipit.yaml")
	want := padRight("APP", len(s)+2) + "TARGET  VERDICT    REVISION  DURATION  MESSAGE\n" +
		p + "     eks     Succeeded  -         0s        fake rollout succeeded\n" +
		s + "  eks     Succeeded  -         0s        fake rollout succeeded\n" +
		"2 apps: 2 Succeeded; exit 0\n"
	if e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
}

// One file is a single deploy, printed as ever; a directory is a batch, even of one app.
func TestOneFileIsASingleDeploy(t *testing.T) {
	dir := writeSpecs(t, map[string]string{"web/shipit.yaml": appSpec("web", "r/web:1")})
	e := cmdtest.New(t, "eks", "")
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	if err := runMany(ctx, e, nil, "--target", "eks", "-f", filepath.Join(dir, "web", "shipit.yaml")); err != nil {
		t.Fatal(err)
	}
	if got := e.Out.String(); got != "✓ web on : Succeeded: fake rollout succeeded\n" {
		t.Errorf("one file: %q", got)
	}
	e.Out.Reset()
	if err := runMany(ctx, e, &fakeClock{t: t0}, "--target", "eks", "-f", dir); err != nil {
		t.Fatal(err)
	}
	if got := e.Out.String(); !strings.HasPrefix(got, "APP  TARGET") || !strings.HasSuffix(got, "1 app: 1 Succeeded; exit 0\n") {
		t.Errorf("a directory: %q", got)
	}
}

//go:build e2e

package e2e

// Helpers of the ECS backend tests (ecs_backend_test.go): each test gets a clean AWS (moto
// behind the rollout simulator), its own cluster and a spec file of its own, drives the real
// shipit binary with AWS_ENDPOINT_URL from the harness, and reads the results back with the
// real aws CLI.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// ebRegion is where the tests deploy (the examples' region).
const ebRegion = "ap-northeast-2"

// ebApp is one test's app: its cluster, subnet and spec files.
type ebApp struct {
	t       *testing.T
	cluster string
	subnet  string
	dir     string
	repos   map[string]string // ECR repository → URI
}

// ebSpec is what varies between the tests' specs.
type ebSpec struct {
	Image        string
	Replicas     int    // default 2; ignored with Autoscale
	Autoscale    string // e.g. "{min: 2, max: 5, cpu: 60}"
	AutoRollback *bool
	Extra        string // more top-level YAML
	ECSExtra     string // more YAML under ecs:, indented by two spaces
}

var nonCluster = regexp.MustCompile(`[^a-z0-9-]+`)

// newEBApp resets AWS, sets the simulator's step and failure threshold, and creates the test's
// cluster. The simulator's start-up settings are restored when the test ends.
func newEBApp(t *testing.T, simSettings string) *ebApp {
	t.Helper()
	harness.ResetAWS(t)
	t.Cleanup(func() { ebSimReset(t) })
	ebSimConfig(t, simSettings)
	name := strings.Trim(nonCluster.ReplaceAllString(strings.ToLower(strings.TrimPrefix(t.Name(), "TestECSBackend")), "-"), "-")
	a := &ebApp{t: t, cluster: "shipit-e2e-" + name, dir: t.TempDir()}
	awsCLI(t, ebRegion, nil, "ecs", "create-cluster", "--cluster-name", a.cluster)
	var subnets struct{ Subnets []struct{ SubnetId string } }
	awsCLI(t, ebRegion, &subnets, "ec2", "describe-subnets")
	if len(subnets.Subnets) == 0 {
		t.Fatalf("moto has no default subnets in %s", ebRegion)
	}
	a.subnet = subnets.Subnets[0].SubnetId
	return a
}

// spec writes a spec file for the app "web" and returns its path.
func (a *ebApp) spec(s ebSpec) string {
	a.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: web\nimage: %q\nport: 80\n", s.Image)
	if s.Autoscale != "" {
		fmt.Fprintf(&b, "autoscale: %s\n", s.Autoscale)
	} else {
		replicas := s.Replicas
		if replicas == 0 {
			replicas = 2
		}
		fmt.Fprintf(&b, "replicas: %d\n", replicas)
	}
	b.WriteString("rollout: {timeout: 2m")
	if s.AutoRollback != nil {
		fmt.Fprintf(&b, ", autoRollback: %v", *s.AutoRollback)
	}
	b.WriteString("}\n")
	b.WriteString(s.Extra)
	fmt.Fprintf(&b, "ecs:\n  region: %s\n  cluster: %s\n  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole\n  subnets: [%s]\n",
		ebRegion, a.cluster, a.subnet)
	b.WriteString(s.ECSExtra)
	f, err := os.CreateTemp(a.dir, "shipit-*.yaml")
	if err != nil {
		a.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		a.t.Fatal(err)
	}
	return f.Name()
}

// ebResult is one run of the shipit binary.
type ebResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r ebResult) String() string {
	return fmt.Sprintf("shipit %s → exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// wantExit fails the test unless the run exited with code and its output (stdout and stderr)
// holds every substring.
func (r ebResult) wantExit(t *testing.T, code int, substrings ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d:\n%s", code, r)
	}
	out := r.stdout + r.stderr
	for _, s := range substrings {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, r)
		}
	}
}

func ebEnv(extra ...string) []string {
	// The harness exported AWS_ENDPOINT_URL and static credentials; CI=true asks for one line
	// per change.
	return append(append(os.Environ(), "CI=true"), extra...)
}

// run runs shipit with args (and --target ecs) to its end.
func (a *ebApp) run(args ...string) ebResult {
	a.t.Helper()
	return a.runEnv(nil, args...)
}

func (a *ebApp) runEnv(env []string, args ...string) ebResult {
	a.t.Helper()
	args = append(args, "--target", "ecs")
	ctx, cancel := context.WithTimeout(a.t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(a.t), args...)
	cmd.Env = ebEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := ebResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		a.t.Fatalf("shipit %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// ebRun is a shipit run in the background whose stderr is read line by line.
type ebRun struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string
	done   chan struct{}
	args   []string
}

func (a *ebApp) start(env []string, args ...string) *ebRun {
	a.t.Helper()
	args = append(args, "--target", "ecs")
	r := &ebRun{cmd: exec.Command(shipit(a.t), args...), lines: make(chan string, 1000), done: make(chan struct{}), args: args}
	r.cmd.Env = ebEnv(env...)
	r.cmd.Stdout = &r.stdout
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		a.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	return r
}

// waitLine waits for a stderr line holding s.
func (r *ebRun) waitLine(t *testing.T, s string, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l := <-r.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-r.done:
			t.Fatalf("shipit ended before printing %q; stderr:\n%s", s, r.errText())
		case <-timeout:
			t.Fatalf("no %q on stderr after %s; stderr:\n%s", s, within, r.errText())
		}
	}
}

func (r *ebRun) errText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// wait waits for the run to end.
func (r *ebRun) wait(t *testing.T, within time.Duration) ebResult {
	t.Helper()
	exited := make(chan error, 1)
	go func() { <-r.done; exited <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(within):
		_ = r.cmd.Process.Kill()
		t.Fatalf("shipit still running after %s; stderr:\n%s", within, r.errText())
	}
	res := ebResult{args: r.args, stdout: r.stdout.String(), stderr: r.errText()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// ebService is the part of `aws ecs describe-services` the tests read.
type ebService struct {
	ServiceName    string
	Status         string
	TaskDefinition string
	DesiredCount   int
	RunningCount   int
	Deployments    []struct {
		ID             string `json:"id"`
		Status         string
		TaskDefinition string
		RolloutState   string
		DesiredCount   int
		RunningCount   int
		PendingCount   int
	}
	Events            []struct{ Message string }
	Tags              []struct{ Key, Value string }
	ServiceRegistries []struct{ RegistryArn string }
}

func (s ebService) String() string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

// steadyOn: one deployment, COMPLETED, on the task definition family:rev, all tasks running.
func (s ebService) steadyOn(rev string) bool {
	return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == "COMPLETED" &&
		strings.HasSuffix(s.TaskDefinition, ":task-definition/"+rev) && s.RunningCount == s.DesiredCount
}

func (s ebService) hasEvent(sub string) bool {
	for _, e := range s.Events {
		if strings.Contains(e.Message, sub) {
			return true
		}
	}
	return false
}

// service reads the app's service back with `aws ecs describe-services`.
func (a *ebApp) service() ebService {
	a.t.Helper()
	var out struct{ Services []ebService }
	awsCLI(a.t, ebRegion, &out, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web", "--include", "TAGS")
	if len(out.Services) != 1 {
		a.t.Fatalf("describe-services: %d services", len(out.Services))
	}
	return out.Services[0]
}

// ebTaskDef is the part of `aws ecs describe-task-definition` the tests read.
type ebTaskDef struct {
	TaskDefinition struct {
		Family               string
		Revision             int
		Status               string
		ContainerDefinitions []struct {
			Name, Image string
			Secrets     []struct{ Name, ValueFrom string }
		}
	}
	Tags []struct{ Key, Value string }
}

func (d ebTaskDef) tag(key string) string {
	for _, t := range d.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func (a *ebApp) taskDef(ref string) ebTaskDef {
	a.t.Helper()
	var out ebTaskDef
	awsCLI(a.t, ebRegion, &out, "ecs", "describe-task-definition", "--task-definition", ref, "--include", "TAGS")
	return out
}

// revisions lists the family's task definition revisions with a status, as family:rev.
func (a *ebApp) revisions(status string) []string {
	a.t.Helper()
	var out struct{ TaskDefinitionArns []string }
	awsCLI(a.t, ebRegion, &out, "ecs", "list-task-definitions", "--family-prefix", "web", "--status", status, "--sort", "ASC")
	var revs []string
	for _, arn := range out.TaskDefinitionArns {
		revs = append(revs, arn[strings.LastIndex(arn, "/")+1:])
	}
	return revs
}

// waitService polls describe-services until cond holds.
func (a *ebApp) waitService(what string, within time.Duration, cond func(ebService) bool) ebService {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := a.service()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("after %s, still not %s:\n%s", within, what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ecrImage creates the repository if needed and points tag at a new image with the digest
// sha256:<digit × 64>; it returns the image reference with the tag.
func (a *ebApp) ecrImage(repo, tag string, digit byte) string {
	a.t.Helper()
	if a.repos == nil {
		a.repos = map[string]string{}
	}
	uri, ok := a.repos[repo]
	if !ok {
		var out struct {
			Repository struct{ RepositoryUri string }
		}
		awsCLI(a.t, ebRegion, &out, "ecr", "create-repository", "--repository-name", repo)
		uri = out.Repository.RepositoryUri
		a.repos[repo] = uri
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[]}`,
		int(digit), strings.Repeat("c", 63)+string(digit))
	awsCLI(a.t, ebRegion, nil, "ecr", "put-image", "--repository-name", repo, "--image-tag", tag,
		"--image-manifest", manifest, "--image-digest", ebDigest(digit))
	return uri + ":" + tag
}

func ebDigest(digit byte) string { return "sha256:" + strings.Repeat(string(digit), 64) }

// ebSimConfig changes the simulator's settings.
func ebSimConfig(t *testing.T, settings string) {
	t.Helper()
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/config", "application/json", strings.NewReader(settings))
	if err != nil {
		t.Fatalf("simulator config: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator config %s: %s %s", settings, resp.Status, body)
	}
}

// ebSimReset restores the simulator's start-up settings and wipes AWS (for t.Cleanup, where
// t.Context() is already done).
func ebSimReset(t *testing.T) {
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/reset", "application/json", nil)
	if err != nil {
		t.Errorf("simulator reset: %v", err)
		return
	}
	resp.Body.Close()
}

// jsonValues decodes a stream of JSON values (JSON Lines events, then an indented summary).
func jsonValues(t *testing.T, s string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var out []map[string]any
	for {
		var v map[string]any
		if err := dec.Decode(&v); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("stdout is not a stream of JSON values: %v\n%s", err, s)
		}
		out = append(out, v)
	}
}

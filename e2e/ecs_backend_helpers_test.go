//go:build e2e

package e2e

// Helpers of the ECS tests (ecs_backend_test.go, ecs_sandbox_test.go): each test gets a clean
// AWS (moto behind the rollout simulator), its own cluster and spec files of its own, drives
// the real shipit binary through runShipit (eks_backend_test.go; AWS_ENDPOINT_URL and the
// credentials come from the environment the harness exported), and reads the results back
// with the real aws CLI (awsCLI, render_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// ecsRegion is where the tests deploy (the examples' region).
const ecsRegion = "ap-northeast-2"

// ecsApp is one test's AWS: its cluster, a subnet of moto's default VPC, and a folder for its
// spec files.
type ecsApp struct {
	t       *testing.T
	cluster string
	subnet  string
	dir     string
	repos   map[string]string // ECR repository → URI
	// svc is the service that service() and waitService read: "web" when empty.
	svc string
}

// ecsSpec is what varies between the tests' specs.
type ecsSpec struct {
	Image        string
	Replicas     int    // default 2; ignored with Autoscale
	Autoscale    string // e.g. "{min: 2, max: 5, cpu: 60}"
	AutoRollback *bool
	Cluster      string // default the test's cluster
	Extra        string // more top-level YAML
	ECSExtra     string // more YAML under ecs:, indented by two spaces
}

var (
	testPrefix = regexp.MustCompile(`^TestECS(Backend|Sandbox)?`)
	nonCluster = regexp.MustCompile(`[^a-z0-9-]+`)
)

// newECSApp resets AWS, sets the simulator's settings and creates the test's cluster. AWS is
// reset again when the test ends, which also restores the simulator's start-up settings.
func newECSApp(t *testing.T, simSettings string) *ecsApp {
	t.Helper()
	harness.ResetAWS(t)
	t.Cleanup(func() { harness.ResetAWS(t) })
	simConfig(t, simSettings)
	name := strings.Trim(nonCluster.ReplaceAllString(strings.ToLower(testPrefix.ReplaceAllString(t.Name(), "")), "-"), "-")
	a := &ecsApp{t: t, cluster: "shipit-e2e-" + name, dir: t.TempDir()}
	a.createCluster(a.cluster)
	var subnets struct{ Subnets []struct{ SubnetId string } }
	awsCLI(t, ecsRegion, &subnets, "ec2", "describe-subnets")
	if len(subnets.Subnets) == 0 {
		t.Fatalf("moto has no default subnets in %s", ecsRegion)
	}
	a.subnet = subnets.Subnets[0].SubnetId
	return a
}

func (a *ecsApp) createCluster(name string) {
	a.t.Helper()
	awsCLI(a.t, ecsRegion, nil, "ecs", "create-cluster", "--cluster-name", name)
}

// spec writes a spec file for the app "web" and returns its path.
func (a *ecsApp) spec(s ecsSpec) string {
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
	cluster := s.Cluster
	if cluster == "" {
		cluster = a.cluster
	}
	fmt.Fprintf(&b, "ecs:\n  region: %s\n  cluster: %s\n  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole\n  subnets: [%s]\n",
		ecsRegion, cluster, a.subnet)
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

// run runs shipit with args and --target ecs to its end.
func (a *ecsApp) run(args ...string) result {
	a.t.Helper()
	return runShipit(a.t, append(args, "--target", "ecs")...)
}

// runWhile runs shipit with args and --target ecs; during is called once it has started, with
// its stderr as it grows (see waitStderr), and the run is then waited for.
func (a *ecsApp) runWhile(during func(cmd *exec.Cmd, stderr *syncBuffer), args ...string) result {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel() // kills shipit when during fails the test
	cmd := exec.CommandContext(ctx, shipit(a.t), append(args, "--target", "ecs")...)
	return runShipitCmd(a.t, cmd, during)
}

// waitStderr waits until a running shipit's stderr holds s; on failure it logs what there is.
func waitStderr(t *testing.T, stderr *syncBuffer, s string, within time.Duration) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("waiting for %q on stderr; stderr so far:\n%s", s, stderr.String())
		}
	}()
	waitFor(t, within, func() bool { return strings.Contains(stderr.String(), s) })
}

// wantExit fails the test unless the run exited with code and its output (stdout and stderr)
// holds every substring.
func (r result) wantExit(t *testing.T, code int, substrings ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %d\n--- stdout\n%s--- stderr\n%s", code, r.code, r.stdout, r.stderr)
	}
	out := r.stdout + r.stderr
	for _, s := range substrings {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q\n--- stdout\n%s--- stderr\n%s", s, r.stdout, r.stderr)
		}
	}
}

// ecsService is the part of `aws ecs describe-services` output the tests read.
type ecsService struct {
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
	Events                  []struct{ Message string }
	Tags                    []struct{ Key, Value string }
	ServiceRegistries       []struct{ RegistryArn string }
	NetworkConfiguration    struct{ AwsvpcConfiguration struct{ Subnets []string } }
	DeploymentConfiguration struct {
		DeploymentCircuitBreaker struct{ Enable, Rollback bool }
	}
}

func (s ecsService) String() string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

// isRevision reports whether a task definition ARN is ref: the same ARN, or family:rev.
func isRevision(arn, ref string) bool {
	return arn == ref || strings.HasSuffix(arn, ":task-definition/"+ref)
}

// steadyOn: one deployment, COMPLETED, on the task definition ref (an ARN or family:rev), which
// the service points at, with all tasks running.
func (s ecsService) steadyOn(ref string) bool {
	return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == "COMPLETED" &&
		isRevision(s.Deployments[0].TaskDefinition, ref) && isRevision(s.TaskDefinition, ref) && s.RunningCount == s.DesiredCount
}

// hasEvent reports whether an event's whole message matches pattern, where * stands for any
// text without a slash (path.Match): "(service web) has stopped 2 running tasks: *".
func (s ecsService) hasEvent(pattern string) bool {
	for _, e := range s.Events {
		if ok, _ := path.Match(pattern, e.Message); ok {
			return true
		}
	}
	return false
}

func (s ecsService) tag(key string) string {
	for _, t := range s.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// describe reads a service back with `aws ecs describe-services`.
func (a *ecsApp) describe(cluster, name string) ecsService {
	a.t.Helper()
	var out struct{ Services []ecsService }
	awsCLI(a.t, ecsRegion, &out, "ecs", "describe-services", "--cluster", cluster, "--services", name, "--include", "TAGS")
	if len(out.Services) != 1 {
		a.t.Fatalf("describe-services %s in %s: %d services", name, cluster, len(out.Services))
	}
	return out.Services[0]
}

// service is the test's service "web" in its cluster.
func (a *ecsApp) service() ecsService {
	a.t.Helper()
	if a.svc != "" {
		return a.describe(a.cluster, a.svc)
	}
	return a.describe(a.cluster, "web")
}

// waitService polls the service until cond holds; seen, when not nil, is called with every
// answer, so a test can record transient states.
func (a *ecsApp) waitService(what string, within time.Duration, seen func(ecsService), cond func(ecsService) bool) ecsService {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := a.service()
		if seen != nil {
			seen(s)
		}
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("after %s, still not %s:\n%s", within, what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ecsTaskDef is the part of `aws ecs describe-task-definition` the tests read.
type ecsTaskDef struct {
	TaskDefinition struct {
		TaskDefinitionArn    string
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

func (d ecsTaskDef) tag(key string) string {
	for _, t := range d.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func (a *ecsApp) taskDef(ref string) ecsTaskDef {
	a.t.Helper()
	var out ecsTaskDef
	awsCLI(a.t, ecsRegion, &out, "ecs", "describe-task-definition", "--task-definition", ref, "--include", "TAGS")
	return out
}

// registerTaskDef registers a revision of family web with one container running image, as a
// person would with the CLI (no shipit tags); it returns its ARN.
func (a *ecsApp) registerTaskDef(image string) string {
	a.t.Helper()
	var td ecsTaskDef
	awsCLI(a.t, ecsRegion, &td, "ecs", "register-task-definition", "--family", "web", "--network-mode", "awsvpc",
		"--requires-compatibilities", "FARGATE", "--cpu", "256", "--memory", "512",
		"--container-definitions", `[{"name":"web","image":"`+image+`","essential":true}]`)
	return td.TaskDefinition.TaskDefinitionArn
}

// revisions lists the family web's task definition revisions with a status, as family:rev.
func (a *ecsApp) revisions(status string) []string {
	a.t.Helper()
	var out struct{ TaskDefinitionArns []string }
	awsCLI(a.t, ecsRegion, &out, "ecs", "list-task-definitions", "--family-prefix", "web", "--status", status, "--sort", "ASC")
	var revs []string
	for _, arn := range out.TaskDefinitionArns {
		revs = append(revs, arn[strings.LastIndex(arn, "/")+1:])
	}
	return revs
}

// logGroups lists the log groups whose name starts with prefix.
func (a *ecsApp) logGroups(prefix string) []string {
	a.t.Helper()
	var out struct {
		LogGroups []struct{ LogGroupName string }
	}
	awsCLI(a.t, ecsRegion, &out, "logs", "describe-log-groups", "--log-group-name-prefix", prefix)
	var names []string
	for _, g := range out.LogGroups {
		names = append(names, g.LogGroupName)
	}
	return names
}

// ecrImage creates the repository if needed and points tag at a new image with the digest
// sha256:<digit × 64>; it returns the image reference with the tag.
func (a *ecsApp) ecrImage(repo, tag string, digit byte) string {
	a.t.Helper()
	if a.repos == nil {
		a.repos = map[string]string{}
	}
	uri, ok := a.repos[repo]
	if !ok {
		var out struct {
			Repository struct{ RepositoryUri string }
		}
		awsCLI(a.t, ecsRegion, &out, "ecr", "create-repository", "--repository-name", repo)
		uri = out.Repository.RepositoryUri
		a.repos[repo] = uri
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[]}`,
		int(digit), strings.Repeat("c", 63)+string(digit))
	awsCLI(a.t, ecsRegion, nil, "ecr", "put-image", "--repository-name", repo, "--image-tag", tag,
		"--image-manifest", manifest, "--image-digest", ecsDigest(digit))
	return uri + ":" + tag
}

func ecsDigest(digit byte) string { return "sha256:" + strings.Repeat(string(digit), 64) }

// awsCLIError runs the aws CLI as awsCLI does, for a call that must fail (awsCLI fails the
// test instead); it returns the CLI's stderr.
func awsCLIError(t *testing.T, region string, args ...string) string {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", harness.AWSEndpoint(t), "--region", region, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("aws %s succeeded, want it to fail:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// simConfig changes the simulator's settings through its control endpoint (newECSApp's reset
// restores them when the test ends).
func simConfig(t testing.TB, settings string) {
	t.Helper()
	resp, err := http.Post(harness.AWSEndpoint(t)+"/_ecssim/config", "application/json", strings.NewReader(settings))
	if err != nil {
		t.Fatalf("simulator config: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator config %s: %s %s (is the endpoint the ECS rollout simulator?)", settings, resp.Status, body)
	}
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

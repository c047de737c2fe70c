//go:build e2e

package e2e

// The CI examples (examples/ci) run here as a pipeline would run them: their shipit steps,
// taken from the workflow files themselves, as bash scripts against the sandbox, with the
// pipeline's expressions and variables filled in. A change to a workflow that breaks its
// shipit steps fails here.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/shipit-dev/shipit/e2e/harness"
)

type ghWorkflow struct {
	Env  map[string]string `json:"env"`
	Jobs map[string]struct {
		Env   map[string]string `json:"env"`
		Steps []struct {
			Name string            `json:"name"`
			Uses string            `json:"uses"`
			If   string            `json:"if"`
			Env  map[string]string `json:"env"`
			Run  string            `json:"run"`
		} `json:"steps"`
	} `json:"jobs"`
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]+?)\s*\}\}`)

// ghSubst fills GitHub expressions from vals; an expression it does not know fails the test,
// so a workflow cannot grow one the test silently leaves in.
func ghSubst(t *testing.T, s string, vals map[string]string) string {
	t.Helper()
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		key := ghExpr.FindStringSubmatch(m)[1]
		v, ok := vals[key]
		if !ok {
			t.Fatalf("the workflow uses ${{ %s }}, which the test does not fill", key)
		}
		return v
	})
}

// ciWorkspace is a checkout with the example spec where the workflows expect it.
func ciWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("../examples/ci/shipit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples/ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples/ci/shipit.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runGitHubJob runs a job's shipit steps (those that call shipit; installing it is replaced by
// the binary under test) with GitHub's default shell for run steps, and returns the job
// summary and the exit code of the first failing step.
func runGitHubJob(t *testing.T, job string, vals, env map[string]string) (summary string, code int) {
	t.Helper()
	b, err := os.ReadFile("../examples/ci/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf ghWorkflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	j, ok := wf.Jobs[job]
	if !ok {
		t.Fatalf("no job %s", job)
	}
	dir := ciWorkspace(t)
	summaryFile := filepath.Join(t.TempDir(), "summary.md")
	for _, m := range []map[string]string{wf.Env, j.Env, env} {
		for k, v := range m {
			vals["env."+k] = v
		}
	}
	ran := 0
	failed := false
	for _, s := range j.Steps {
		if s.Run == "" || !strings.Contains(s.Run, "shipit") || strings.HasPrefix(s.Run, "go install") {
			continue
		}
		if failed && s.If != "always()" {
			continue
		}
		script := ghSubst(t, s.Run, vals)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(shipit(t))+":"+os.Getenv("PATH"), "CI=true",
			"GITHUB_STEP_SUMMARY="+summaryFile, "KUBECONFIG="+harness.Kubeconfig(t))
		for _, m := range []map[string]string{wf.Env, j.Env, s.Env, env} {
			for k, v := range m {
				cmd.Env = append(cmd.Env, k+"="+ghSubst(t, v, vals))
			}
		}
		out, err := cmd.CombinedOutput()
		ran++
		t.Logf("step %q → %v\n%s", s.Name, err, out)
		if ee, ok := err.(*exec.ExitError); ok && code == 0 {
			code, failed = ee.ExitCode(), true
		} else if err != nil && !ok {
			t.Fatal(err)
		}
	}
	if ran == 0 {
		t.Fatalf("job %s has no shipit steps", job)
	}
	sb, _ := os.ReadFile(summaryFile)
	return string(sb), code
}

// summaryVerdict reads the verdict JSON the Verdict step put in the job summary.
func summaryVerdict(t *testing.T, summary string) map[string]any {
	t.Helper()
	start, end := strings.Index(summary, "```json\n"), strings.LastIndex(summary, "```")
	if start < 0 || end <= start {
		t.Fatalf("no verdict in the summary:\n%s", summary)
	}
	v := lastJSON(t, summary[start+len("```json\n"):end])
	if _, ok := v["time"]; ok {
		t.Errorf("the summary holds a progress event, not the verdict:\n%s", summary)
	}
	return v
}

// lastJSON is the last JSON value of a stream (progress events, then the verdict).
func lastJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var last map[string]any
	for dec.More() {
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		last = v
	}
	return last
}

// TestGitHubActionsExample: the deploy job of examples/ci/github-actions.yml deploys the image
// it was given to ECS and to EKS, with the verdict in the job summary; the pull-request job
// then reports what a new commit would change, as a check that passes (diff's exit 6).
func TestGitHubActionsExample(t *testing.T) {
	sha := "4f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098"
	t.Run("ecs", func(t *testing.T) {
		a := newECSApp(t, ecsFast)
		image := a.ecrImage("web", sha, '7')
		env := map[string]string{"AWS_REGION": ecsRegion, "ECS_CLUSTER": a.cluster, "SUBNET_ID": a.subnet}
		vals := map[string]string{"matrix.target": "ecs", "needs.build.outputs.image": image, "github.sha": sha}
		summary, code := runGitHubJob(t, "deploy", vals, env)
		if code != 0 {
			t.Fatalf("deploy job failed with exit %d", code)
		}
		v := summaryVerdict(t, summary)
		if v["phase"] != "Succeeded" || v["target"] != "ecs" || !strings.HasPrefix(summary, "### shipit deploy to ecs\n") {
			t.Fatalf("summary:\n%s", summary)
		}
		var svc struct {
			Services []struct{ TaskDefinition string }
		}
		awsCLI(t, ecsRegion, &svc, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
		var td struct {
			TaskDefinition struct{ ContainerDefinitions []struct{ Image string } }
		}
		awsCLI(t, ecsRegion, &td, "ecs", "describe-task-definition", "--task-definition", svc.Services[0].TaskDefinition)
		// ECR tags are pinned to their digest at deploy.
		if got, want := td.TaskDefinition.ContainerDefinitions[0].Image, strings.TrimSuffix(image, ":"+sha)+"@"+ecsDigest('7'); got != want {
			t.Errorf("live image %s, want %s", got, want)
		}

		// A pull request on top of that commit that changes nothing deployable: the diff job
		// says so and passes.
		env["ECR_REGISTRY"] = strings.SplitN(image, "/", 2)[0]
		summary, code = runGitHubJob(t, "diff", map[string]string{"matrix.target": "ecs", "github.event.pull_request.base.sha": sha}, env)
		if code != 0 || !strings.Contains(summary, "no change") {
			t.Errorf("diff job: exit %d, summary:\n%s", code, summary)
		}
	})
	t.Run("eks", func(t *testing.T) {
		ns := harness.Namespace(t)
		image := "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:" + sha
		vals := map[string]string{"matrix.target": "eks", "needs.build.outputs.image": image, "github.sha": sha}
		summary, code := runGitHubJob(t, "deploy", vals, map[string]string{"K8S_NAMESPACE": ns})
		if code != 0 {
			t.Fatalf("deploy job failed with exit %d", code)
		}
		if v := summaryVerdict(t, summary); v["phase"] != "Succeeded" || v["target"] != "eks" {
			t.Fatalf("summary:\n%s", summary)
		}
		if got := kubectlOut(t, "-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != image {
			t.Errorf("live image %q, want %q", got, image)
		}
		// A pull request whose base is a newer commit than the live one: the diff job shows
		// the image change (diff's exit 6) and passes.
		summary, code = runGitHubJob(t, "diff", map[string]string{"matrix.target": "eks", "github.event.pull_request.base.sha": "0123abc"}, map[string]string{"K8S_NAMESPACE": ns})
		if code != 0 || !strings.Contains(summary, "```diff") || !strings.Contains(summary, "web:0123abc") {
			t.Errorf("diff job: exit %d, summary:\n%s", code, summary)
		}
	})
}

// TestGitLabExample: the deploy job's script of examples/ci/gitlab-ci.yml, line by line as
// GitLab runs it, deploys to EKS; a rollout that cannot finish fails the job with shipit's
// exit code.
func TestGitLabExample(t *testing.T) {
	b, err := os.ReadFile("../examples/ci/gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var ci map[string]json.RawMessage
	if err := yaml.Unmarshal(b, &ci); err != nil {
		t.Fatal(err)
	}
	var job struct{ Script []string }
	if err := json.Unmarshal(ci["deploy"], &job); err != nil || len(job.Script) == 0 {
		t.Fatalf("deploy job: %v", err)
	}
	ns := harness.Namespace(t)
	dir := ciWorkspace(t)
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", strings.Join(job.Script, "\n"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(shipit(t))+":"+os.Getenv("PATH"), "CI=true", "KUBECONFIG="+harness.Kubeconfig(t),
		"TARGET=eks", "AWS_ACCOUNT_ID=123456789012", "AWS_REGION=ap-northeast-2", "ECR_REPOSITORY=web", "CI_COMMIT_SHA=abc123",
		"K8S_NAMESPACE="+ns, "ECS_CLUSTER=unused", "ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/x", "SUBNET_ID=subnet-0123456789abcdef0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	vb, err := os.ReadFile(filepath.Join(dir, "deploy.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if v := lastJSON(t, string(vb)); v["phase"] != "Succeeded" || v["target"] != "eks" {
		t.Fatalf("deploy.jsonl:\n%s", vb)
	}
	want := "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:abc123"
	if got := kubectlOut(t, "-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != want {
		t.Errorf("live image %q, want %q", got, want)
	}
}

// TestReadmeShowsTheWorkflow: the README's "Deploy from CI" block is the workflow's deploy
// job as it is, not a copy that drifted.
func TestReadmeShowsTheWorkflow(t *testing.T) {
	wf, err := os.ReadFile("../examples/ci/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(wf)
	start, end := strings.Index(s, "  deploy:\n"), strings.Index(s, "\n  diff:\n")
	if start < 0 || end < start || !strings.Contains(string(readme), "```yaml\n"+strings.TrimRight(s[start:end], "\n")+"\n```") {
		t.Error("README.md's Deploy from CI block differs from examples/ci/github-actions.yml's deploy job")
	}
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

var (
	shipitOnce sync.Once
	shipitBin  string
	shipitErr  error
)

// shipit builds the real binary once per test run.
func shipit(t testing.TB) string {
	t.Helper()
	shipitOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shipit-e2e-bin")
		if err != nil {
			shipitErr = err
			return
		}
		shipitBin = filepath.Join(dir, "shipit")
		out, err := exec.Command("go", "build", "-o", shipitBin, "../cmd/shipit").CombinedOutput()
		if err != nil {
			shipitErr = err
			t.Logf("%s", out)
		}
	})
	if shipitErr != nil {
		t.Fatalf("building shipit: %v", shipitErr)
	}
	return shipitBin
}

// awsCLI runs the real AWS CLI against the sandbox in the given region and decodes its JSON.
func awsCLI(t testing.TB, region string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", harness.AWSEndpoint(t), "--region", region, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=")
	b, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
}

// TestRenderedECSFilesAcceptedByAWSCLI: `shipit render --target ecs` writes files that the
// AWS CLI takes as they are (it rejects unknown keys) for register-task-definition,
// create-service, register-scalable-target and put-scaling-policy.
func TestRenderedECSFilesAcceptedByAWSCLI(t *testing.T) {
	harness.ResetAWS(t)
	const region = "ap-northeast-2"
	var subnets struct{ Subnets []struct{ SubnetId string } }
	awsCLI(t, region, &subnets, "ec2", "describe-subnets")
	var sgs struct{ SecurityGroups []struct{ GroupId string } }
	awsCLI(t, region, &sgs, "ec2", "describe-security-groups")
	if len(subnets.Subnets) < 2 || len(sgs.SecurityGroups) == 0 {
		t.Fatalf("moto has no default VPC in %s: %+v %+v", region, subnets, sgs)
	}
	for _, ex := range []struct{ file, cluster string }{
		{"../examples/web-app/shipit.yaml", "web"},
		{"../examples/worker/shipit.yaml", "workers"},
	} {
		out := t.TempDir()
		cmd := exec.Command(shipit(t), "render", "--target", "ecs", "-f", ex.file, "--output-dir", out)
		// The network comes from the environment, as in CI; the sandbox's is moto's default VPC.
		cmd.Env = append(os.Environ(), "SUBNET_A="+subnets.Subnets[0].SubnetId, "SUBNET_B="+subnets.Subnets[1].SubnetId,
			"SECURITY_GROUP="+sgs.SecurityGroups[0].GroupId, "ECS_CLUSTER=")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("render %s: %v\n%s", ex.file, err, b)
		}
		awsCLI(t, region, nil, "ecs", "create-cluster", "--cluster-name", ex.cluster)

		var td struct {
			TaskDefinition struct{ TaskDefinitionArn, NetworkMode, Cpu, Memory string }
		}
		awsCLI(t, region, &td, "ecs", "register-task-definition", "--cli-input-json", "file://"+filepath.Join(out, "task-definition.json"))
		if td.TaskDefinition.NetworkMode != "awsvpc" || td.TaskDefinition.TaskDefinitionArn == "" {
			t.Errorf("%s: registered %+v", ex.file, td.TaskDefinition)
		}
		var svc struct {
			Service struct {
				ServiceName, LaunchType string
				DesiredCount            int
			}
		}
		awsCLI(t, region, &svc, "ecs", "create-service", "--cli-input-json", "file://"+filepath.Join(out, "service.json"))

		// Read it back with the CLI, as a user would.
		var desc struct {
			Services []struct {
				ServiceName, TaskDefinition string
				DesiredCount                int
			}
		}
		awsCLI(t, region, &desc, "ecs", "describe-services", "--cluster", ex.cluster, "--services", svc.Service.ServiceName)
		if len(desc.Services) != 1 || !strings.Contains(desc.Services[0].TaskDefinition, ":task-definition/") {
			t.Errorf("%s: describe-services %+v", ex.file, desc)
		}

		scaling := filepath.Join(out, "scaling.json")
		if _, err := os.Stat(scaling); err != nil {
			continue
		}
		// scaling.json is register-scalable-target's input plus "policies", each a whole
		// put-scaling-policy input, in the lowerCamel style of the other files. The
		// application-autoscaling CLI spells its keys in PascalCase: upper-case the first
		// letter of every key and its content must be accepted as it is.
		var doc map[string]any
		b, _ := os.ReadFile(scaling)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		policies := doc["policies"].([]any)
		delete(doc, "policies")
		writeJSON(t, filepath.Join(out, "target.json"), pascalKeys(doc))
		awsCLI(t, region, nil, "application-autoscaling", "register-scalable-target", "--cli-input-json", "file://"+filepath.Join(out, "target.json"))
		for i, p := range policies {
			f := filepath.Join(out, "policy"+string(rune('0'+i))+".json")
			writeJSON(t, f, pascalKeys(p))
			awsCLI(t, region, nil, "application-autoscaling", "put-scaling-policy", "--cli-input-json", "file://"+f)
		}
		var targets struct {
			ScalableTargets []struct{ MinCapacity, MaxCapacity int }
		}
		awsCLI(t, region, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs")
		if len(targets.ScalableTargets) != 1 || targets.ScalableTargets[0].MinCapacity != 2 || targets.ScalableTargets[0].MaxCapacity != 10 {
			t.Errorf("scalable targets %+v", targets)
		}
	}
}

// TestRenderedManifestAppliesOnKubernetes: `shipit render --target eks` output is accepted
// by `kubectl apply` on the sandbox and its Deployment becomes ready.
func TestRenderedManifestAppliesOnKubernetes(t *testing.T) {
	ns := harness.Namespace(t)
	out := t.TempDir()
	src, err := os.ReadFile("../examples/web-app/shipit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The example deploys into "production"; point it at this test's namespace.
	spec := strings.Replace(string(src), "namespace: production", "namespace: "+ns, 1)
	specFile := filepath.Join(out, "shipit.yaml")
	if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(shipit(t), "render", "--target", "eks", "-f", specFile, "--output-dir", out).CombinedOutput()
	if err != nil {
		t.Fatalf("render: %v\n%s", err, b)
	}
	if o, err := harness.Kubectl(t, "apply", "-f", filepath.Join(out, "kubernetes.yaml")); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, o)
	}
	if o, err := harness.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web-app", "--timeout=120s"); err != nil {
		t.Fatalf("rollout status: %v\n%s", err, o)
	}
	o, err := harness.Kubectl(t, "-n", ns, "get", "deployment", "web-app", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}")
	if err != nil || o != "3/3" {
		t.Errorf("ready/replicas = %q (%v), want 3/3", o, err)
	}
	o, err = harness.Kubectl(t, "-n", ns, "get", "service", "web-app", "-o", "jsonpath={.spec.type} {.spec.ports[0].port}")
	if err != nil || o != "ClusterIP 80" {
		t.Errorf("service = %q (%v)", o, err)
	}
}

// pascalKeys upper-cases the first letter of every object key (tag maps are data: kept).
func pascalKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range t {
			if k == "tags" {
				out["Tags"] = c
				continue
			}
			out[strings.ToUpper(k[:1])+k[1:]] = pascalKeys(c)
		}
		return out
	case []any:
		for i := range t {
			t[i] = pascalKeys(t[i])
		}
	}
	return v
}

func writeJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

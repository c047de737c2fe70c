//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestECSImportAdoptsALiveService: a service made with the aws CLI (not shipit) is imported
// live, and deploying the imported spec changes nothing (no new task definition revision, no
// new deployment: only the service's tags get the spec hash); a changed image then rolls the
// same service out to a new revision of the same family, with the same container name, log
// group and stream prefix. Everything is read back with the aws CLI.
func TestECSImportAdoptsALiveService(t *testing.T) {
	a := newECSApp(t, `{"step":"200ms"}`)
	td := `{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
 "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
 "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "essential": true,
   "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
   "environment": [{"name": "MODE", "value": "prod"}, {"name": "HOME_DIR", "value": "$HOME/app"}],
   "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 15},
   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "legacy/web", "awslogs-region": "` + ecsRegion + `", "awslogs-stream-prefix": "svc"}}}],
 "tags": [{"key": "team", "value": "shop"}]}`
	tdFile := filepath.Join(a.dir, "td.json")
	if err := os.WriteFile(tdFile, []byte(td), 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, ecsRegion, nil, "logs", "create-log-group", "--log-group-name", "legacy/web")
	awsCLI(t, ecsRegion, nil, "logs", "put-retention-policy", "--log-group-name", "legacy/web", "--retention-in-days", "14")
	awsCLI(t, ecsRegion, nil, "ecs", "register-task-definition", "--cli-input-json", "file://"+tdFile)
	awsCLI(t, ecsRegion, nil, "ecs", "create-service", "--cluster", a.cluster, "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--launch-type", "FARGATE",
		"--network-configuration", "awsvpcConfiguration={subnets=["+a.subnet+"],assignPublicIp=DISABLED}",
		"--deployment-configuration", "maximumPercent=200,minimumHealthyPercent=50,deploymentCircuitBreaker={enable=true,rollback=true}",
		"--tags", "key=team,value=shop")
	before := a.waitService("steady on web:1", time.Minute, nil, func(s ecsService) bool { return s.steadyOn("web:1") })

	// Import it live: a spec, nothing lost, nothing written to AWS.
	spec := filepath.Join(a.dir, "shipit.yaml")
	r := runShipit(t, "import", "--target", "ecs", "--cluster", a.cluster, "--service", "web", "--region", ecsRegion, "-o", spec)
	r.wantExit(t, 0, "wrote "+spec+" for web (from task definition web:1 and service web of cluster "+a.cluster+", 0 not carried)")
	if r.stderr != "" {
		t.Errorf("import said on stderr: %s", r.stderr)
	}
	b, _ := os.ReadFile(spec)
	for _, s := range []string{"containerName: app", "logGroup: legacy/web", "logStreamPrefix: svc", "retention: 14d", "maxUnavailable: 50%", "HOME_DIR: $$HOME/app", "team: shop"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("the imported spec lacks %q:\n%s", s, b)
		}
	}
	var js struct {
		Lost []any
	}
	r = runShipit(t, "import", "--target", "ecs", "--cluster", a.cluster, "--service", "web", "--region", ecsRegion, "-o", "json")
	r.wantExit(t, 0)
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || js.Lost == nil || len(js.Lost) != 0 {
		t.Errorf("import -o json: lost %v (%v)\n%s", js.Lost, err, r.stdout)
	}

	// Deploy the import: the same service stays on web:1, in the same deployment.
	r = a.run("deploy", "-f", spec)
	r.wantExit(t, 0, "web:1 is live and steady", "no new revision; re-applied what did not match the spec: service web tags")
	if revs := a.revisions("ACTIVE"); strings.Join(revs, ",") != "web:1" {
		t.Errorf("revisions after the adopting deploy: %v, want web:1 only", revs)
	}
	after := a.service()
	if len(after.Deployments) != 1 || after.Deployments[0].ID != before.Deployments[0].ID || !isRevision(after.TaskDefinition, "web:1") {
		t.Errorf("the adopting deploy started a deployment:\nbefore %s\nafter %s", before, after)
	}
	if after.tag("team") != "shop" || after.tag("shipit.dev/spec-hash") == "" {
		t.Errorf("service tags %+v: want team kept and the spec hash added", after.Tags)
	}
	// From then on, nothing to do at all.
	a.run("deploy", "-f", spec).wantExit(t, 0, "nothing changed: web:1 is live and steady (2/2 running); nothing registered or updated")
	a.run("diff", "-f", spec).wantExit(t, 0, "no differences")

	// A new image: a new revision of family web, rolled out to the same service.
	if err := os.WriteFile(spec, []byte(strings.Replace(string(b), "image: nginx:1.27", "image: nginx:1.28", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a.run("deploy", "-f", spec).wantExit(t, 0, "registered task definition web:2", "updated service web: web:1 → web:2")
	s := a.waitService("steady on web:2", time.Minute, nil, func(s ecsService) bool { return s.steadyOn("web:2") })
	if s.ServiceName != "web" {
		t.Errorf("service %s", s.ServiceName)
	}
	var services struct{ ServiceArns []string }
	awsCLI(t, ecsRegion, &services, "ecs", "list-services", "--cluster", a.cluster)
	if len(services.ServiceArns) != 1 {
		t.Errorf("services in the cluster: %v, want web only", services.ServiceArns)
	}
	var got struct {
		TaskDefinition struct {
			Family               string
			ContainerDefinitions []struct {
				Name, Image      string
				LogConfiguration struct{ Options map[string]string }
			}
		}
	}
	awsCLI(t, ecsRegion, &got, "ecs", "describe-task-definition", "--task-definition", "web:2")
	c := got.TaskDefinition.ContainerDefinitions
	if got.TaskDefinition.Family != "web" || len(c) != 1 || c[0].Name != "app" || c[0].Image != "nginx:1.28" ||
		c[0].LogConfiguration.Options["awslogs-group"] != "legacy/web" || c[0].LogConfiguration.Options["awslogs-stream-prefix"] != "svc" {
		t.Errorf("web:2: %+v", got.TaskDefinition)
	}
	if groups := a.logGroups("/ecs/"); len(groups) != 0 {
		t.Errorf("log groups %v: the import keeps legacy/web, so none under /ecs/ should exist", groups)
	}
}

// TestECSImportAdoptsACloudFormationNamedService: a service whose name is not a DNS label
// (CloudFormation's and Copilot's Stack-Service-AbC123) is imported with ecs.serviceName, and
// every later command works on that service: the adopting deploy writes only its tags, a new
// image rolls it out, status reads it and destroy deletes it. No second service appears.
func TestECSImportAdoptsACloudFormationNamedService(t *testing.T) {
	const svc = "Shop-Web-Service-AbC123"
	a := newECSApp(t, `{"step":"200ms"}`)
	a.svc = svc
	td := `{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
 "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
 "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "essential": true,
   "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "` + ecsRegion + `", "awslogs-stream-prefix": "web"}}}]}`
	tdFile := filepath.Join(a.dir, "td.json")
	if err := os.WriteFile(tdFile, []byte(td), 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, ecsRegion, nil, "logs", "create-log-group", "--log-group-name", "/ecs/web")
	awsCLI(t, ecsRegion, nil, "logs", "put-retention-policy", "--log-group-name", "/ecs/web", "--retention-in-days", "30")
	awsCLI(t, ecsRegion, nil, "ecs", "register-task-definition", "--cli-input-json", "file://"+tdFile)
	awsCLI(t, ecsRegion, nil, "ecs", "create-service", "--cluster", a.cluster, "--service-name", svc, "--task-definition", "web:1",
		"--desired-count", "1", "--launch-type", "FARGATE",
		"--network-configuration", "awsvpcConfiguration={subnets=["+a.subnet+"],assignPublicIp=DISABLED}",
		"--deployment-configuration", "maximumPercent=200,minimumHealthyPercent=100,deploymentCircuitBreaker={enable=true,rollback=true}")
	before := a.waitService("steady on web:1", time.Minute, nil, func(s ecsService) bool { return s.steadyOn("web:1") })

	spec := filepath.Join(a.dir, "shipit.yaml")
	r := runShipit(t, "import", "--target", "ecs", "--cluster", a.cluster, "--service", svc, "--region", ecsRegion, "-o", spec)
	r.wantExit(t, 0, "wrote "+spec+" for web (from task definition web:1 and service "+svc+" of cluster "+a.cluster+", 0 not carried)")
	b, _ := os.ReadFile(spec)
	if !strings.Contains(string(b), "name: web\n") || !strings.Contains(string(b), "serviceName: "+svc+"\n") {
		t.Fatalf("the imported spec does not name the app web and keep the service's name:\n%s", b)
	}

	r = a.run("deploy", "-f", spec)
	r.wantExit(t, 0, "web:1 is live and steady", "no new revision; re-applied what did not match the spec: service "+svc+" tags")
	after := a.service()
	if revs := a.revisions("ACTIVE"); strings.Join(revs, ",") != "web:1" || len(after.Deployments) != 1 || after.Deployments[0].ID != before.Deployments[0].ID {
		t.Errorf("the adopting deploy wrote more than tags: revisions %v\nbefore %s\nafter %s", revs, before, after)
	}
	a.run("status", "-f", spec).wantExit(t, 0, "web:1")

	if err := os.WriteFile(spec, []byte(strings.Replace(string(b), "image: nginx:1.27", "image: nginx:1.28", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a.run("deploy", "-f", spec).wantExit(t, 0, "registered task definition web:2", "updated service "+svc+": web:1 → web:2")
	a.waitService("steady on web:2", time.Minute, nil, func(s ecsService) bool { return s.steadyOn("web:2") })
	var services struct{ ServiceArns []string }
	awsCLI(t, ecsRegion, &services, "ecs", "list-services", "--cluster", a.cluster)
	if len(services.ServiceArns) != 1 || !strings.HasSuffix(services.ServiceArns[0], "/"+svc) {
		t.Errorf("services in the cluster: %v, want %s only", services.ServiceArns, svc)
	}

	a.run("destroy", "-f", spec, "--yes").wantExit(t, 0, "deleted service "+svc)
	if s := a.service(); s.Status == "ACTIVE" {
		t.Errorf("after destroy the service is still %s", s.Status)
	}
}

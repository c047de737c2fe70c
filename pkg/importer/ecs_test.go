package importer

import (
	"os"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// loadResult loads an import's YAML as shipit would read the file.
func loadResult(t *testing.T, r *Result) *spec.App {
	t.Helper()
	y, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	app, err := spec.Parse("shipit.yaml", y, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return app
}

// An app imported from ECS goes to Kubernetes where its features map: the corpus's katsubushi
// (ecspresso) renders a Deployment with its container, port and env, and validate for EKS says
// which imported settings Kubernetes has no counterpart for.
func TestFromECSCrossTarget(t *testing.T) {
	b, err := os.ReadFile("../../testdata/realworld/ecspresso-katsubushi/task-definition.json")
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.ReplaceAll(string(b), "{{ env `TAG` `latest` }}", "latest"))
	res, err := FromECS([]target.Document{{Name: "task-definition.json", Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	app := loadResult(t, res)
	errs, _ := app.Validate(spec.TargetEKS)
	if len(errs) > 0 {
		t.Fatalf("does not validate for eks: %v", errs)
	}
	var got []string
	for _, w := range app.ECSOnlyWarnings() {
		got = append(got, w.Field+": "+w.Message)
	}
	want := []string{
		"ecs.ulimits: Kubernetes has no per-container ulimits: the app container gets the node's",
		"ecs.dockerLabels: Docker labels are ECS's: the app container on Kubernetes does not carry them",
		"ecs.overrides[0]: taskDefinition.containerDefinitions[name=katsubushi].portMappings[containerPort=11212].name is an override of the task definition: Kubernetes has no counterpart, and it is not applied there",
		"ecs.overrides[1]: taskDefinition.proxyConfiguration is an override of the task definition: Kubernetes has no counterpart, and it is not applied there",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings for eks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, err := eks.Target{}.Render(app, target.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := string(out.Text)
	for _, s := range []string{"kind: Deployment", "name: katsubushi", "image: katsubushi/katsubushi:latest", "containerPort: 11212", "name: worker_id", "kind: Service"} {
		if !strings.Contains(text, s) {
			t.Errorf("the EKS render lacks %q:\n%s", s, text)
		}
	}
}

// Live documents (describe-* output, as ReadLive returns them) carry state to leave out and
// settings a spec cannot say: each is listed, none dropped without a word.
func TestFromECSDescribeOutputs(t *testing.T) {
	docs := []target.Document{
		{Name: "ecs:describe-task-definition api:4", Data: []byte(`{"taskDefinition": {
			"taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:4", "revision": 4, "status": "ACTIVE",
			"registeredAt": "2026-01-02T03:04:05.000Z", "compatibilities": ["EC2", "FARGATE"], "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
			"family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
			"executionRoleArn": "arn:aws:iam::123456789012:role/exec",
			"containerDefinitions": [{"name": "api", "image": "nginx:1.27", "cpu": 0, "essential": true, "environment": [], "mountPoints": [], "volumesFrom": [],
				"portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp", "name": "http"}],
				"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "api"}}}]},
			"tags": [{"key": "aws:cloudformation:stack-name", "value": "api"}, {"key": "team", "value": "core"}]}`)},
		{Name: "ecs:describe-services prod/My_Api", Data: []byte(`{"services": [{
			"serviceArn": "arn:aws:ecs:eu-west-1:123456789012:service/prod/My_Api", "serviceName": "My_Api",
			"clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "status": "ACTIVE", "desiredCount": 0, "runningCount": 0,
			"taskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:4", "launchType": "FARGATE", "platformVersion": "LATEST",
			"availabilityZoneRebalancing": "DISABLED", "futureSetting": {"on": true},
			"roleArn": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
			"deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true},
				"alarms": {"alarmNames": ["api-5xx"], "enable": true, "rollback": true}},
			"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
			"enableECSManagedTags": true, "propagateTags": "SERVICE",
			"tags": [{"key": "team", "value": "core"}],
			"deployments": [{"status": "PRIMARY", "taskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:4"}],
			"events": [{"message": "(service My_Api) has reached a steady state."}]}], "failures": []}`)},
		{Name: "logs:describe-log-groups", Data: []byte(`{"logGroups": [{"logGroupName": "/ecs/api"}]}`)},
		{Name: "application-autoscaling:describe-scalable-targets", Data: []byte(`{"ScalableTargets": [{"ServiceNamespace": "ecs", "ResourceId": "service/prod/My_Api", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 3}]}`)},
		{Name: "application-autoscaling:describe-scaling-policies", Data: []byte(`{"ScalingPolicies": [{"PolicyName": "cpu-tracking", "ResourceId": "service/prod/My_Api", "PolicyType": "TargetTrackingScaling",
			"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "ScaleOutCooldown": 60, "ScaleInCooldown": 300}}]}`)},
	}
	res, err := FromECS(docs)
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for _, l := range res.Lost {
		lost = append(lost, l.String())
	}
	want := []string{
		"service.futureSetting: not read by the import (a field this shipit does not know)",
		"service.availabilityZoneRebalancing: ECS specifics: shipit does not set it; a deploy keeps it on this service, but a new service gets ECS's default ENABLED",
		"scaling.policies[cpu-tracking]: autoscaling: shipit's own policy differs in the name (shipit's is api-cpu: a deploy adds that one and keeps this one)",
		"tags.aws:cloudformation:stack-name: set by AWS (aws: tags are reserved): not a setting of the app",
		"logs.retention: log group /ecs/api keeps its logs for ever; a spec always has a retention: the import says 3653d (ten years, the longest), which a deploy sets",
	}
	if strings.Join(lost, "\n") != strings.Join(want, "\n") {
		t.Errorf("lost:\n%s\nwant:\n%s", strings.Join(lost, "\n"), strings.Join(want, "\n"))
	}
	app := loadResult(t, res)
	if app.Name != "api" || app.ECS.ServiceName != "My_Api" || app.ECS.Cluster != "prod" || app.Autoscale == nil || app.Autoscale.CPU != 60 || app.Autoscale.Max != 3 ||
		app.Labels["team"] != "core" || app.Logs.Retention != "3653d" || app.ECS.LogStreamPrefix != "" || app.Ports[0].Name != "http" {
		t.Errorf("spec %+v", app)
	}
	var paths []string
	for _, o := range app.ECS.Overrides {
		paths = append(paths, o.Path)
	}
	// The container has no memory of its own; alarms are a deployment setting a deploy
	// keeps: overrides carry both.
	if strings.Join(paths, " ") != "taskDefinition.containerDefinitions[name=api].memory service.deploymentConfiguration.alarms" {
		t.Errorf("overrides %v", paths)
	}
	if res.From != "task definition api:4 and service My_Api of cluster prod" {
		t.Errorf("from %q", res.From)
	}
}

func TestFromECSRefusesATemplate(t *testing.T) {
	_, err := FromECS([]target.Document{{Name: "ecs-task-def.json", Data: []byte(`{"family": "app", "containerDefinitions": [{"name": "app", "image": "app:{{ must_env ` + "`TAG`" + ` }}"}]}`)}})
	want := "ecs-task-def.json: containerDefinitions[0].image \"app:{{ must_env `TAG` }}\" is a template, not an image: render the definitions first (ecspresso render taskdef), or write the image in"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

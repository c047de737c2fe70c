package importcmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

// An EC2 task definition and its service, as aws ecs register-task-definition and
// create-service take them: a bridge network and the EC2 launch type, which Fargate does not
// run, a $ that the spec must escape, a CMD-SHELL health check.
const (
	ecsTaskDefinition = `{
  "family": "web",
  "networkMode": "bridge",
  "requiresCompatibilities": ["EC2"],
  "cpu": "512",
  "memory": "1024",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "containerDefinitions": [{
    "name": "web",
    "image": "nginx:1.27",
    "essential": true,
    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
    "environment": [{"name": "GREETING", "value": "hello $USER"}],
    "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"], "interval": 10},
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}}
  }]
}`
	ecsService = `{
  "cluster": "prod",
  "serviceName": "web",
  "taskDefinition": "web:3",
  "desiredCount": 2,
  "launchType": "EC2",
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0a1"], "securityGroups": ["sg-0b2"]}},
  "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50, "deploymentCircuitBreaker": {"enable": true, "rollback": true}}
}`
)

// ecsSpec is what import writes for them, FROM standing for where they came from.
const ecsSpec = `# yaml-language-server: $schema=https://shipit.dev/schema/shipit-v1.json
# Imported by ` + "`shipit import`" + ` from FROM.
# Not carried (3): the spec has no way to say these; they are listed by ` + "`shipit import`" + ` too.
#   - taskDefinition.networkMode: not Fargate: network mode bridge; Fargate tasks run awsvpc (the import says awsvpc)
#   - taskDefinition.requiresCompatibilities: not Fargate: the task definition is for EC2; shipit runs Fargate (the import says FARGATE)
#   - service.launchType: not Fargate: launch type EC2; shipit runs Fargate (the import says FARGATE)
version: 1
name: web
image: nginx:1.27
ports:
  - port: 8080
cpu: "0.5"
memory: 1Gi
requests:
  cpu: "0"
replicas: 2
env:
  GREETING: hello $$USER
health:
  command: [/bin/sh, -c, 'curl -f http://localhost:8080/ || exit 1']
  interval: 10s
  timeout: 5s
  failures: 3
rollout:
  maxUnavailable: 50%
ecs:
  region: eu-west-1
  cluster: prod
  executionRole: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
  subnets: [subnet-0a1]
  securityGroups: [sg-0b2]
  logStreamPrefix: ecs
  managedTags: false
  propagateTags: NONE
  overrides:
    - path: taskDefinition.containerDefinitions[name=web].healthCheck.command
      value: [CMD-SHELL, 'curl -f http://localhost:8080/ || exit 1']
    - path: taskDefinition.containerDefinitions[name=web].memory
      value: null
    - path: taskDefinition.containerDefinitions[name=web].portMappings[containerPort=8080].name
      value: null
`

const ecsLost = `not carried: taskDefinition.networkMode: not Fargate: network mode bridge; Fargate tasks run awsvpc (the import says awsvpc)
not carried: taskDefinition.requiresCompatibilities: not Fargate: the task definition is for EC2; shipit runs Fargate (the import says FARGATE)
not carried: service.launchType: not Fargate: launch type EC2; shipit runs Fargate (the import says FARGATE)
`

// ecsFiles writes the two definitions; the service comes first, as import tells them by
// content, not by order or name.
func ecsFiles(t *testing.T) (svc, td string) {
	t.Helper()
	dir := t.TempDir()
	svc, td = filepath.Join(dir, "b.json"), filepath.Join(dir, "a.json")
	for f, data := range map[string]string{svc: ecsService, td: ecsTaskDefinition} {
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return svc, td
}

func runImport(t *testing.T, e *cmdtest.Env, args ...string) error {
	t.Helper()
	cmd := NewCmd(e.Factory, nil)
	cmd.SetArgs(args)
	cmd.SetOut(e.Out)
	cmd.SetErr(e.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(context.Background())
}

func TestImportECSFilesText(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	svc, td := ecsFiles(t)
	if err := runImport(t, e, svc, td); err != nil {
		t.Fatal(err)
	}
	from := "task definition web (" + td + ") and service web of cluster prod (" + svc + ")"
	if want := strings.Replace(ecsSpec, "FROM", from, 1); e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
	if e.ErrOut.String() != ecsLost {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, ecsLost)
	}
}

func TestImportECSFilesJSON(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.Global.Output = "json"
	svc, td := ecsFiles(t)
	if err := runImport(t, e, td, svc); err != nil {
		t.Fatal(err)
	}
	from := "task definition web (" + td + ") and service web of cluster prod (" + svc + ")"
	want, _ := json.MarshalIndent(map[string]any{
		"from": from, "target": "ecs", "spec": strings.Replace(ecsSpec, "FROM", from, 1),
		"lost": []map[string]string{
			{"field": "taskDefinition.networkMode", "reason": "not Fargate: network mode bridge; Fargate tasks run awsvpc (the import says awsvpc)"},
			{"field": "taskDefinition.requiresCompatibilities", "reason": "not Fargate: the task definition is for EC2; shipit runs Fargate (the import says FARGATE)"},
			{"field": "service.launchType", "reason": "not Fargate: launch type EC2; shipit runs Fargate (the import says FARGATE)"},
		},
	}, "", "  ")
	var got, exp any
	if err := json.Unmarshal(e.Out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, e.Out)
	}
	_ = json.Unmarshal(want, &exp)
	if g, w := mustJSON(got), mustJSON(exp); g != w {
		t.Errorf("stdout:\n%s\nwant:\n%s", g, w)
	}
	if e.ErrOut.Len() != 0 {
		t.Errorf("stderr with -o json: %q (the lost items are in the result)", e.ErrOut)
	}
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// -o FILE writes the spec and says what it did; the lost items still go to stderr.
func TestImportECSToFile(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	svc, td := ecsFiles(t)
	out := filepath.Join(t.TempDir(), "shipit.yaml")
	e.Factory.Global.Output = out
	if err := runImport(t, e, td, svc); err != nil {
		t.Fatal(err)
	}
	from := "task definition web (" + td + ") and service web of cluster prod (" + svc + ")"
	b, _ := os.ReadFile(out)
	if want := strings.Replace(ecsSpec, "FROM", from, 1); string(b) != want {
		t.Errorf("%s:\n%s\nwant:\n%s", out, b, want)
	}
	if want := "wrote " + out + " for web (from " + from + ", 3 not carried); next: shipit validate -f " + out + " --target ecs\n"; e.Out.String() != want {
		t.Errorf("stdout %q, want %q", e.Out, want)
	}
	if e.ErrOut.String() != ecsLost {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, ecsLost)
	}
}

// Files that are not one ECS app are refused as usage errors naming the file.
func TestImportECSBadFiles(t *testing.T) {
	svc, td := ecsFiles(t)
	dir := filepath.Dir(td)
	other := filepath.Join(dir, "other.json")
	_ = os.WriteFile(other, []byte(strings.Replace(ecsTaskDefinition, `"family": "web"`, `"family": "api"`, 1)), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{svc}, svc + ": no task definition: a service alone does not say what runs; add the task definition (aws ecs describe-task-definition --task-definition FAMILY:REV --include TAGS)"},
		{[]string{td, other}, td + " and " + other + " are both task definitions: import one app (one task definition, one service) at a time"},
		{[]string{other, svc}, svc + " runs task definition family web, but " + other + " is family api: import a service with the task definition it runs"},
	} {
		e := cmdtest.New(t, "ecs", "")
		err := runImport(t, e, c.args...)
		var usage *target.UsageError
		if !errors.As(err, &usage) || err.Error() != c.want {
			t.Errorf("%v: %v, want the usage error %q", c.args, err, c.want)
		}
		if e.Out.Len() != 0 {
			t.Errorf("%v: wrote %q", c.args, e.Out)
		}
	}
}

// liveECS is a target that reads a live app: the documents ReadLive returns.
type liveECS struct {
	*targettest.Target
	got  target.LiveRef
	opts target.ConnectOptions
}

func (l *liveECS) ReadLive(ctx context.Context, ref target.LiveRef, opts target.ConnectOptions) ([]target.Document, error) {
	l.got, l.opts = ref, opts
	return []target.Document{
		{Name: "ecs:describe-task-definition web:3", Data: []byte(`{"taskDefinition": ` + strings.Replace(ecsTaskDefinition, `"family": "web"`, `"taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3", "revision": 3, "status": "ACTIVE", "family": "web"`, 1) + `, "tags": []}`)},
		{Name: "ecs:describe-services prod/web", Data: []byte(`{"services": [` + strings.Replace(ecsService, `"cluster": "prod"`, `"serviceArn": "arn:aws:ecs:eu-west-1:123456789012:service/prod/web", "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "status": "ACTIVE", "runningCount": 2, "events": []`, 1) + `], "failures": []}`)},
	}, nil
}

// --target ecs --cluster --service reads the live app through the target, with the global
// access flags, and writes the same spec as the files would.
func TestImportECSLive(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	l := &liveECS{Target: e.Target}
	e.Factory.Targets["ecs"] = l
	e.Factory.Global.Region = "eu-west-1"
	if err := runImport(t, e, "--target", "ecs", "--cluster", "prod", "--service", "web", "--timeout", "10s"); err != nil {
		t.Fatal(err)
	}
	if l.got != (target.LiveRef{Cluster: "prod", Service: "web"}) || l.opts.Region != "eu-west-1" {
		t.Errorf("ReadLive(%+v, %+v)", l.got, l.opts)
	}
	want := strings.Replace(ecsSpec, "FROM", "task definition web:3 and service web of cluster prod", 1)
	if e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
	if e.ErrOut.String() != ecsLost {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, ecsLost)
	}
}

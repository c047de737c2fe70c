package ecs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/target"
)

// adoptedLive is a service shipit never deployed whose task definition is the render: no
// spec hash, no shipit tags, in the order and with the defaults the API answers with.
func adoptedLive(t *testing.T, rd *Rendered) (*fakeECS, *types.Service) {
	t.Helper()
	out, svc := apiNoise(rd, td1)
	out.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	svc.Tags = nil
	svc.Deployments = steadyLive(rd, td1).Deployments
	return &fakeECS{script: []func() (*types.Service, error){returns(svc)}, taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: out}}, svc
}

func TestDeployAdoptsAnUnchangedServiceInPlace(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	f, _ := adoptedLive(t, rd)
	s := newTestSession(f)
	v, err := s.Deploy(context.Background(), app, target.DeployOptions{}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	// No revision, no deployment: only the service's tags (the spec hash) are written.
	if len(f.registers)+len(f.creates)+len(f.updates) != 0 {
		t.Errorf("%d registers, %d creates, %d updates: want none", len(f.registers), len(f.creates), len(f.updates))
	}
	if len(f.tags) != 1 || !sameTags(f.tags[0].Tags, rd.Service.Tags) {
		t.Errorf("TagResource calls %+v: want the spec's tags once", f.tags)
	}
	want := "web:1 is live and steady (2/2 running); no new revision; re-applied what did not match the spec: service web tags"
	if v.Phase != target.Succeeded || v.Revision != "web:1" || v.Message != want {
		t.Errorf("verdict %s %s %q, want Succeeded web:1 %q", v.Phase, v.Revision, v.Message, want)
	}
}

func TestDeployOfAChangedAdoptedServiceRegistersARevision(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	changed := testApp(t, "command: [nginx, -g, daemon off;]\n")
	f, _ := adoptedLive(t, rd)
	if _, err := newTestSession(f).Deploy(context.Background(), changed, target.DeployOptions{NoWait: true}, &events{}); err != nil {
		t.Fatal(err)
	}
	if len(f.registers) != 1 || aws.ToString(f.registers[0].Family) != "web" || len(f.updates) != 1 || aws.ToString(f.updates[0].Service) != "web" {
		t.Errorf("%d registers, %d updates: want a new revision of web rolled out to the same service", len(f.registers), len(f.updates))
	}
}

// A task definition shipit registered for another spec is never taken for this one by its
// content: its hash decides, as for every deploy.
func TestAdoptionIsOnlyForTaskDefinitionsShipitDidNotRegister(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	out, _ := apiNoise(rd, td1)
	out.Tags = withTag(out.Tags, "shipit.dev/spec-hash", "0123456789abcdef")
	if adopted(out.TaskDefinition, out.Tags, rd, nil) {
		t.Error("a revision of another spec hash was adopted")
	}
	out.Tags = nil
	if !adopted(out.TaskDefinition, out.Tags, rd, nil) {
		t.Error("the same content without a hash was not adopted")
	}
	out.TaskDefinition.ContainerDefinitions[0].Image = aws.String("nginx:1.28")
	if adopted(out.TaskDefinition, out.Tags, rd, nil) {
		t.Error("another image was adopted")
	}
	// The tag an ECR image was pinned from is what the live task definition names.
	out.TaskDefinition.ContainerDefinitions[0].Image = aws.String("nginx:1.28")
	pinnedRD := *rd
	td := *rd.TaskDefinition
	td.ContainerDefinitions = append([]types.ContainerDefinition(nil), td.ContainerDefinitions...)
	td.ContainerDefinitions[0].Image = aws.String("nginx@sha256:ab")
	pinnedRD.TaskDefinition = &td
	if !adopted(out.TaskDefinition, nil, &pinnedRD, []pinned{{container: "web", from: "nginx:1.28", to: "nginx@sha256:ab"}}) {
		t.Error("the tag a pinned image came from was not taken for it")
	}
}

func TestDiffOfAnAdoptedServiceIgnoresShipitsOwnTags(t *testing.T) {
	app := testApp(t, "")
	rd := render(t, app)
	f, svc := adoptedLive(t, rd)
	svc.Tags = rd.Service.Tags
	f.taskDefs[td1].Tags = nil
	res, err := newTestSession(f).Diff(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed {
		t.Errorf("diff of an adopted, unchanged service:\n%s", res.Diff)
	}
	if strings.Contains(res.Diff, "managed-by") {
		t.Errorf("diff shows shipit's own tags:\n%s", res.Diff)
	}
}

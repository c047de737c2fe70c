package ecs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/target"
)

// TestRegionFlagBeatsSpec: --region (RenderOptions.Region) beats ecs.region, as --context beats
// eks.context; ecs.region beats the stand-in (AWS_REGION for render); with none of them the
// render is refused, naming the three ways to give one.
func TestRegionFlagBeatsSpec(t *testing.T) {
	withRegion := loadSpec(t, renderBase)
	noRegion := loadSpec(t, strings.Replace(renderBase, "  region: us-east-1\n", "", 1))
	for _, c := range []struct {
		name string
		spec bool
		opts RenderOptions
		want string
	}{
		{"flag beats spec", true, RenderOptions{Region: "eu-west-1", DefaultRegion: "ap-south-1"}, "eu-west-1"},
		{"spec beats default", true, RenderOptions{DefaultRegion: "ap-south-1"}, "us-east-1"},
		{"spec alone", true, RenderOptions{}, "us-east-1"},
		{"flag without spec", false, RenderOptions{Region: "eu-west-1"}, "eu-west-1"},
		{"default without spec", false, RenderOptions{DefaultRegion: "ap-south-1"}, "ap-south-1"},
	} {
		app := noRegion
		if c.spec {
			app = withRegion
		}
		r, err := Render(app, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := r.TaskDefinition.ContainerDefinitions[0].LogConfiguration.Options["awslogs-region"]
		if got != c.want {
			t.Errorf("%s: awslogs-region %q, want %q", c.name, got, c.want)
		}
	}
	_, err := Render(noRegion, RenderOptions{})
	if err == nil || err.Error() != "shipit.yaml: ecs.region: [ecs] unknown: awslogs needs the region (set ecs.region, pass --region or set AWS_REGION)" {
		t.Errorf("no region anywhere: %v", err)
	}
}

// TestConnectRegionFlagBeatsSpec: the session's clients (and so the deploy's render) use
// --region over ecs.region, and ecs.region over AWS_REGION.
func TestConnectRegionFlagBeatsSpec(t *testing.T) {
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_PROFILE", "")
	app := loadSpec(t, renderBase)
	for flag, want := range map[string]string{"eu-west-1": "eu-west-1", "": "us-east-1"} {
		s, err := Target{}.Connect(context.Background(), app, target.ConnectOptions{Region: flag})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.(*Session).region; got != want {
			t.Errorf("--region %q with ecs.region us-east-1: session in %s, want %s", flag, got, want)
		}
	}
}

package validate

import (
	"regexp"
	"strings"
	"testing"
)

// tempPath is the temporary directory validate's helper writes the spec in.
var tempPath = regexp.MustCompile(`/\S*/shipit\.yaml`)

// validate --target eks loads the spec without its ecs: block, as a deploy to EKS does, and
// still says which ECS settings Kubernetes has no counterpart for (an app imported from ECS
// carries them), even when that block's ${VAR}s are not set.
func TestValidateForEKSWarnsAboutECSOnlySettings(t *testing.T) {
	src := app + `  region: ${AWS_REGION}
  ulimits: [{name: nofile, soft: 1024, hard: 4096}]
  dockerLabels: {com.example.team: web}
  architecture: ARM64
  overrides:
    - path: taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled
      value: true
`
	out, err := validate(t, src, "eks")
	if err != nil {
		t.Fatal(err)
	}
	want := `shipit.yaml: valid for eks (base)
warning: shipit.yaml:9:3: ecs.ulimits: [eks] Kubernetes has no per-container ulimits: the app container gets the node's (raise the limit on the nodes, or in the image's entrypoint)
warning: shipit.yaml:10:3: ecs.dockerLabels: [eks] Docker labels are ECS's: the app container on Kubernetes does not carry them (say them as labels or eks.podAnnotations if a Kubernetes agent reads them)
warning: shipit.yaml:11:17: ecs.architecture: [eks] ecs.architecture is ECS's: on Kubernetes the pods go to whatever nodes the scheduler picks (add eks.nodeSelector: {kubernetes.io/arch: arm64} if the image is for ARM64 only)
warning: shipit.yaml:13:7: ecs.overrides[0]: [eks] taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled is an override of the task definition: Kubernetes has no counterpart, and it is not applied there (if it matters on Kubernetes too, say it with a spec field or eks.patches)
`
	if got := tempPath.ReplaceAllString(out, "shipit.yaml"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// For ECS they are the spec's own settings, and its ${VAR}s must be set.
	if out, err := validate(t, src, "ecs"); err == nil || !strings.Contains(err.Error(), "AWS_REGION is unset") {
		t.Errorf("ecs without AWS_REGION: %v\n%s", err, out)
	}
}

package importer

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func TestYAMLWritesOnlyWhatIsSet(t *testing.T) {
	r := &Result{
		App:    &spec.App{Version: 1, Name: "web", Image: "nginx:1.27", Port: 8080, Command: []string{"sleep", "5"}, Env: map[string]string{"MODE": "on", "N": "3"}},
		From:   "task definition web:3",
		Target: "ecs",
		Lost:   []Loss{{Field: "containerDefinitions[web].linuxParameters.devices", Reason: "no device mapping on Fargate"}},
	}
	got, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	want := `# yaml-language-server: $schema=https://shipit.dev/schema/shipit-v1.json
# Imported by ` + "`shipit import`" + ` from task definition web:3.
# Not carried (1): the spec has no way to say these; they are listed by ` + "`shipit import`" + ` too.
#   - containerDefinitions[web].linuxParameters.devices: no device mapping on Fargate
version: 1
name: web
image: nginx:1.27
command: [sleep, "5"]
port: 8080
env:
  MODE: "on"
  "N": "3"
`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

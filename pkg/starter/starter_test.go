package starter

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// TestStarterIsValidForBothTargets: the starter, as written and with every placeholder left,
// validates for ECS and EKS, in each shape init writes.
func TestStarterIsValidForBothTargets(t *testing.T) {
	for _, o := range []Options{
		{Name: "web", Port: 8080},
		{Name: "worker"},
		{Name: "api", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.2.0", Port: 3000, Health: []string{"/bin/sh", "-c", "curl -f http://localhost:3000/ || exit 1"}, Source: "Dockerfile"},
	} {
		b, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		app, err := spec.Parse("shipit.yaml", b, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatalf("%s: %v\n%s", o.Name, err, b)
		}
		for _, tg := range []string{spec.TargetECS, spec.TargetEKS} {
			if errs, _ := app.Validate(tg); len(errs) > 0 {
				t.Errorf("%s for %s: %v\n%s", o.Name, tg, errs, b)
			}
		}
		if app.Name != o.Name || (o.Port != 0 && app.Ports[0].Port != o.Port) || (o.Port == 0 && len(app.Ports) != 0) {
			t.Errorf("%s: name %q ports %v", o.Name, app.Name, app.Ports)
		}
		if o.Health != nil && !reflect.DeepEqual(app.Health.Command, o.Health) {
			t.Errorf("%s: health %v", o.Name, app.Health)
		}
		if !strings.HasPrefix(string(b), "# yaml-language-server: $schema="+SchemaURL+"\n") {
			t.Errorf("%s: no schema line", o.Name)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Name: "My_App"}, `--name "My_App": a lowercase RFC 1123 label must consist of`},
		{Options{Name: "web", Port: 70000}, "--port 70000: a port is 1–65535"},
		{Options{}, "the app needs a name"},
	} {
		if _, err := Render(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	if n := Name("My_App.v2"); n != "my-app-v2" {
		t.Errorf("Name: %q", n)
	}
}

func TestFromDockerfile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		port   int
		health []string
	}{
		{"exec form", "FROM node:22\nEXPOSE 3000\nHEALTHCHECK --interval=30s --timeout=3s CMD [\"node\", \"healthcheck.js\"]\nCMD [\"node\", \"server.js\"]\n", 3000, []string{"node", "healthcheck.js"}},
		{"shell form, continuation", "FROM nginx:1.27\nEXPOSE 80/tcp 443\nHEALTHCHECK CMD curl -f http://localhost/ \\\n  || exit 1\n", 80, []string{"/bin/sh", "-c", "curl -f http://localhost/  || exit 1"}},
		{"multi-stage: the last stage counts", "FROM golang:1.25 AS build\nEXPOSE 9999\nHEALTHCHECK CMD true\nFROM gcr.io/distroless/static\nEXPOSE 8080\n", 8080, nil},
		{"udp only and NONE", "FROM x\nEXPOSE 53/udp\nHEALTHCHECK NONE\n", 0, nil},
		{"comments", "# EXPOSE 1\nFROM x\n  expose 5000\n", 5000, nil},
	} {
		port, health := FromDockerfile([]byte(tc.file))
		if port != tc.port || !reflect.DeepEqual(health, tc.health) {
			t.Errorf("%s: port %d health %q, want %d %q", tc.name, port, health, tc.port, tc.health)
		}
	}
}

package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

const app = `version: 1
name: web
image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest
port: 8080
health: {command: [curl, -f, http://localhost:8080/healthz]}
expose: none
ecs:
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
environments:
  production:
    replicas: 1
    eks: {namespace: web}
`

func run(t *testing.T, src string, o Options) (stdout, stderr string, g *cmdutil.GlobalOptions, err error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if o.Global == nil {
		o.Global = &cmdutil.GlobalOptions{Output: "text"}
	}
	o.Global.File = "shipit.yaml"
	o.Global.Getenv = func(string) (string, bool) { return "", false }
	o.IO = &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Dir(file)); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	err = Run(context.Background(), &o)
	return out.String(), errOut.String(), o.Global, err
}

// TestText: the findings of the base and of production, once each, in file order; warnings
// only exit 0.
func TestText(t *testing.T) {
	out, errOut, _, err := run(t, app, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "shipit.yaml:3:8: warning mutable-image-tag: image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest: latest moves, so two deploys of one spec can run different code and a rollback may not go back (tag images with a version or the commit SHA)\n" +
		"shipit.yaml:12:15: warning single-replica-production: replicas: one replica in production: a deploy, a node or a zone going away takes the app down (set replicas: 2 or more)\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "shipit.yaml: 0 error(s), 2 warning(s) (base, production)\n" {
		t.Errorf("stderr %q", errOut)
	}
}

// TestStrict: --strict makes the warnings errors: exit 2 (spec errors), printed once.
func TestStrict(t *testing.T) {
	_, errOut, _, err := run(t, app, Options{Strict: true})
	if target.ExitCode(err) != target.ExitInvalid || !silent(err) {
		t.Fatalf("err %v (exit %d), printed %v", err, target.ExitCode(err), silent(err))
	}
	if errOut != "shipit.yaml: 2 error(s), 0 warning(s) (base, production)\n" {
		t.Errorf("stderr %q", errOut)
	}
}

// TestJSONAndEnv: -o json with --env: that environment only, findings with rule and
// severity; an invalid spec reports validate's errors and runs no rule.
func TestJSONAndEnv(t *testing.T) {
	out, _, _, err := run(t, app, Options{Global: &cmdutil.GlobalOptions{Output: "json", Env: "production"}})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Environments) != 1 || res.Environments[0] != "production" || len(res.Findings) != 2 || res.Errored || len(res.Errors) != 0 {
		t.Errorf("%+v", res)
	}
	out, _, _, err = run(t, strings.Replace(app, "port: 8080", "port: 0", 1), Options{Global: &cmdutil.GlobalOptions{Output: "json"}})
	if target.ExitCode(err) != target.ExitInvalid || !silent(err) {
		t.Fatalf("invalid spec: %v", err)
	}
	res = Result{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Errored || len(res.Errors) == 0 || len(res.Findings) != 0 || len(res.Errors) != 1 || res.Errors[0].Field != "ports[0].port" {
		t.Errorf("%+v", res)
	}
}

// silent reports whether err is marked as already printed.
func silent(err error) bool {
	var s *cmdutil.SilentError
	return errors.As(err, &s)
}

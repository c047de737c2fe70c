package validate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmd/factory"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
)

const app = `version: 1
name: web
image: web:1
port: 80
ecs:
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

func validate(t *testing.T, src string, targets ...string) (string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := Run(context.Background(), &Options{
		IO:       &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Registry: factory.Targets(),
		Global:   &cmdutil.GlobalOptions{File: file, Output: "text", Getenv: func(string) (string, bool) { return "", false }},
		Targets:  targets,
	})
	return out.String() + errOut.String(), err
}

// TestValidateRefusesWhatOnlyARenderShows: a task definition over ECS's 64 KiB passes every
// field rule, and validate still refuses it, with its size, for ECS only.
func TestValidateRefusesWhatOnlyARenderShows(t *testing.T) {
	big := app + "env: {BLOB: " + strings.Repeat("x", 70000) + "}\n"
	_, err := validate(t, big, "ecs")
	if _, ok := err.(spec.Errors); !ok || !strings.Contains(err.Error(), "KiB; ECS takes at most 64 KiB") {
		t.Fatalf("ecs: %v, want the 64 KiB refusal (exit 2)", err)
	}
	if out, err := validate(t, big, "eks"); err != nil {
		t.Errorf("eks (no such limit): %v\n%s", err, out)
	}
	if out, err := validate(t, app, "ecs"); err != nil {
		t.Errorf("a small spec: %v\n%s", err, out)
	}
}

// Package cmdtest builds what the tests of the commands share: a Factory on buffers with a
// fake target, and a spec file to point -f at.
package cmdtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

// Spec is a small spec valid for both targets.
const Spec = `version: 1
name: web
image: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:1
port: 80
cpu: 0.5
memory: 1Gi
ecs:
  region: ap-northeast-2
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

// Env is a Factory on buffers whose only target is a fake one.
type Env struct {
	Factory *cmdutil.Factory
	Out     *bytes.Buffer
	ErrOut  *bytes.Buffer
	Target  *targettest.Target
	// File is a spec file holding Spec; Global.File names it.
	File string
}

// New returns an Env whose fake target answers to --target name, with stdin reading in.
func New(t testing.TB, name, in string) *Env {
	t.Helper()
	file := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(file, []byte(Spec), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &Env{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}, Target: targettest.New(name), File: file}
	e.Factory = &cmdutil.Factory{
		IOStreams: &cmdutil.IOStreams{In: strings.NewReader(in), Out: e.Out, ErrOut: e.ErrOut},
		Global: &cmdutil.GlobalOptions{File: file, Output: "text", NoColor: true,
			Getenv: func(string) (string, bool) { return "", false }},
		Targets: cmdutil.Targets{name: e.Target},
	}
	return e
}

// SetStdinTTY makes the Env's stdin look like a terminal (or not).
func (e *Env) SetStdinTTY(tty bool) { e.Factory.IOStreams.StdinTTY = &tty }

// SetOutputTTY makes the Env's stdout and stderr look like terminals (or not).
func (e *Env) SetOutputTTY(tty bool) {
	e.Factory.IOStreams.OutTTY, e.Factory.IOStreams.ErrOutTTY = &tty, &tty
}

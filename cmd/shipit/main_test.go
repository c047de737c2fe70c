package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

// TestRun: the binary's entry point runs a command to its exit code, and a mistyped one is a
// usage error (exit 2) on stderr.
func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	exit := func(code int) { t.Fatalf("exit(%d) called without a second interrupt", code) }
	if code := run([]string{"version"}, io, exit); code != 0 || !strings.Contains(out.String(), "shipit") {
		t.Errorf("version: exit %d, stdout %q", code, out.String())
	}
	if code := run([]string{"deploi"}, io, exit); code != 2 || !strings.Contains(errOut.String(), "deploi") {
		t.Errorf("mistyped: exit %d, stderr %q", code, errOut.String())
	}
}

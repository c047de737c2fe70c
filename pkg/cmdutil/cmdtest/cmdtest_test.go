package cmdtest

import (
	"os"
	"testing"
)

// TestNew: the Env's spec file holds Spec, -f names it, and the fake target answers to its name.
func TestNew(t *testing.T) {
	e := New(t, "fake", "yes\n")
	b, err := os.ReadFile(e.File)
	if err != nil || string(b) != Spec || e.Factory.Global.File != e.File {
		t.Fatalf("file %q (%v), -f %q", b, err, e.Factory.Global.File)
	}
	if tg, err := e.Factory.Targets.Lookup("fake"); err != nil || tg != e.Target {
		t.Errorf("lookup: %v", err)
	}
	e.SetStdinTTY(true)
	if p := e.Factory.IOStreams.StdinTTY; p == nil || !*p {
		t.Error("stdin is not a terminal after SetStdinTTY(true)")
	}
}

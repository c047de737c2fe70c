package factory

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

// The binary drives both targets, each under its --target name.
func TestNew(t *testing.T) {
	io := &cmdutil.IOStreams{}
	f := New(io)
	if f.IOStreams != io || f.Global == nil {
		t.Errorf("factory %+v", f)
	}
	for _, name := range []string{"ecs", "eks"} {
		if tgt, err := f.Targets.Lookup(name); err != nil || tgt.Name() != name {
			t.Errorf("%s: %v %v", name, tgt, err)
		}
	}
	if len(f.Targets) != 2 {
		t.Errorf("%d targets, want 2", len(f.Targets))
	}
}

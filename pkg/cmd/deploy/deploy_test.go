package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/target"
)

// An interrupted deploy says what it left behind; "applied whole" only when something was.
func TestInterruptedNote(t *testing.T) {
	o := &Options{Target: "eks", Global: &cmdutil.GlobalOptions{File: "shipit.yaml"}}
	for _, tc := range []struct {
		name string
		v    target.Verdict
		want string
	}{
		{"applied", target.Verdict{Applied: []string{"Deployment/web", "Service/web"}},
			"every object was applied whole, the rollout goes on.\napplied: Deployment/web, Service/web\n"},
		{"unchanged", target.Verdict{Unchanged: true}, "nothing was applied (the live app already matched the spec)"},
		{"nothing written", target.Verdict{}, "interrupted before anything was written; the live app is as it was."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := interruptedNote(context.Background(), &tc.v, o)
			if !strings.Contains(got, tc.want) || !strings.HasSuffix(got, "check it with: shipit status --target eks -f shipit.yaml\n") {
				t.Errorf("got %q, want it to hold %q and the status command", got, tc.want)
			}
		})
	}
}

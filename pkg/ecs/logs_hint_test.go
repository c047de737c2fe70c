package ecs

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/target"
)

// TestFailedRevision: a verdict that is not a success names the revision it failed with, as
// shipit logs --revision takes it; the circuit breaker's rollback keeps it while the verdict's
// revision is the one returned to.
func TestFailedRevision(t *testing.T) {
	for _, tc := range []struct {
		dec            Decision
		rev, failedRev string
	}{
		{Decision{Phase: target.Succeeded}, "web:2", ""},
		{Decision{Phase: target.Failed}, "web:2", "2"},
		{Decision{Phase: target.TimedOut}, "web:2", "2"},
		{Decision{Phase: target.RolledBack, RolledBackTo: td1}, "web:1", "2"},
		{Decision{Phase: target.Canceled}, "web:2", ""},
	} {
		v := &target.Verdict{}
		fill(v, tc.dec, WatchedDeployment{TaskDefinition: td2})
		if v.Revision != tc.rev || v.FailedRevision != tc.failedRev {
			t.Errorf("%s: revision %q failed revision %q, want %q %q", tc.dec.Phase, v.Revision, v.FailedRevision, tc.rev, tc.failedRev)
		}
	}
}

package rollback

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

// The flags reach the session; the verdict decides the exit code and is printed once.
func TestRollback(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    *target.Verdict
		json bool
		code int
		out  string
	}{
		{"succeeded", &target.Verdict{Target: "eks", App: "web", Phase: target.Succeeded, Message: "3/3 ready at revision 4"}, false, target.ExitOK,
			"✓ web on eks: Succeeded: 3/3 ready at revision 4\n"},
		{"failed", &target.Verdict{Target: "eks", App: "web", Phase: target.Failed, Message: "pods crash"}, false, target.ExitFailed,
			"✗ web on eks: Failed: pods crash\n"},
		{"timed out, json", &target.Verdict{Target: "eks", App: "web", Phase: target.TimedOut, Message: "1/3 ready"}, true, target.ExitTimedOut,
			`"phase": "TimedOut"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "eks", "")
			if tc.json {
				e.Factory.Global.Output = "json"
			}
			e.Target.Session.RollbackVerdict = tc.v
			cmd := NewCmd(e.Factory, nil)
			cmd.SetArgs([]string{"--target", "eks", "--to", "4", "--timeout", "3m"})
			ctx, cancel := target.CommandContext(context.Background(), 0)
			defer cancel()
			err := cmd.ExecuteContext(ctx)
			if code := target.ExitCode(err); code != tc.code {
				t.Errorf("exit %d (%v), want %d", code, err, tc.code)
			}
			if got := e.Out.String(); tc.json && !json.Valid(e.Out.Bytes()) || !strings.Contains(got, tc.out) {
				t.Errorf("stdout %q, want %q", got, tc.out)
			}
			calls := e.Target.Session.Calls
			if len(calls) != 1 || calls[0].Method != "Rollback" {
				t.Fatalf("calls %+v", calls)
			}
			if got := calls[0].Options.(target.RollbackOptions); got != (target.RollbackOptions{To: "4", Timeout: 3 * time.Minute}) {
				t.Errorf("options %+v", got)
			}
		})
	}
}

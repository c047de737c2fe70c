package history

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// now is the clock of every test: ages are counted from it.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ecsHistory is a rollout in progress: web:9 rolls out while web:8 drains.
var ecsHistory = target.History{Target: "ecs", App: "web", Where: "cluster prod in eu-west-1", More: true, Revisions: []target.Revision{
	{Revision: "web:9", Live: true, State: target.RevisionRollingOut,
		Image:      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + strings.Repeat("a", 64),
		Containers: []target.ContainerImage{{Name: "web", Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + strings.Repeat("a", 64)}, {Name: "envoy", Image: "envoy:1.31"}},
		Deployed:   now.Add(-90 * time.Second), SpecHash: "0123456789abcdef", ID: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:9"},
	{Revision: "web:8", State: target.RevisionDraining, Image: "web:2", Containers: []target.ContainerImage{{Name: "web", Image: "web:2"}},
		Deployed: now.Add(-3 * time.Hour), SpecHash: "fedcba9876543210", ID: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8"},
	{Revision: "web:5", Image: "web:1", Containers: []target.ContainerImage{{Name: "web", Image: "web:1"}},
		Deployed: now.Add(-50 * time.Hour), ID: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:5"},
}}

const ecsText = `web on ecs (cluster prod in eu-west-1)
REVISION  LIVE         IMAGE                                                                 DEPLOYED                            SPEC HASH
web:9     rolling out  123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:aaaaaaaaaaaa  90s ago (2026-03-01 11:58:30 UTC)   01234567
web:8     draining     web:2                                                                 3h ago (2026-03-01 09:00:00 UTC)    fedcba98
web:5                  web:1                                                                 2d2h ago (2026-02-27 10:00:00 UTC)  -
(older revisions not listed: --limit 0 lists them all)
`

// eksHistory is after a rollback: revision 4 is live with revision 1's template, whose spec
// hash Kubernetes no longer knows.
var eksHistory = target.History{Target: "eks", App: "web", Where: "namespace shop, context prod", Revisions: []target.Revision{
	{Revision: "4", Live: true, State: target.RevisionLive, Image: "registry.local/web:v1", Containers: []target.ContainerImage{{Name: "web", Image: "registry.local/web:v1"}},
		Deployed: now.Add(-10 * 24 * time.Hour), SpecHash: "rolled-back", ID: "replicaset/web-7d9f"},
	{Revision: "3", Image: "registry.local/web:v3", Containers: []target.ContainerImage{{Name: "web", Image: "registry.local/web:v3"}},
		Deployed: now.Add(-5 * time.Minute), SpecHash: "00112233445566ff", ID: "replicaset/web-5c8b"},
	{Revision: "2", Image: "registry.local/web:v2", Containers: []target.ContainerImage{{Name: "web", Image: "registry.local/web:v2"}},
		ID: "replicaset/web-4a6c"},
}}

const eksText = `web on eks (namespace shop, context prod)
REVISION  LIVE  IMAGE                  DEPLOYED                           SPEC HASH
4         live  registry.local/web:v1  10d ago (2026-02-19 12:00:00 UTC)  rolled-back
3               registry.local/web:v3  5m ago (2026-03-01 11:55:00 UTC)   00112233
2               registry.local/web:v2  -                                  -
`

// runCmd runs `shipit history` with args on the fake target, its clock at now; it returns
// the exit code.
func runCmd(t *testing.T, e *cmdtest.Env, args ...string) int {
	t.Helper()
	cmd := NewCmd(e.Factory, func(ctx context.Context, o *Options) error {
		o.Now = func() time.Time { return now }
		return Run(ctx, o)
	})
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	return target.ExitCode(cmd.ExecuteContext(ctx))
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		h            *target.History
		want         string
	}{
		{"ecs, rolling out, more", "ecs", &ecsHistory, ecsText},
		{"eks, after a rollback", "eks", &eksHistory, eksText},
		{"nothing deployed", "ecs", &target.History{Target: "ecs", App: "web", Where: "cluster c1 in us-east-1"}, "web has no revisions on ecs (cluster c1 in us-east-1)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, tc.target, "")
			e.Target.Session.HistoryResult = tc.h
			if code := runCmd(t, e, "--target", tc.target); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if got := e.Out.String(); got != tc.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// -o json is a list of the revisions, every field spelled out.
func TestJSON(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	e.Factory.Global.Output = "json"
	e.Target.Session.HistoryResult = &eksHistory
	if code := runCmd(t, e, "--target", "eks"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	const want = `[
  {
    "revision": "4",
    "live": true,
    "state": "live",
    "image": "registry.local/web:v1",
    "containers": [
      {
        "name": "web",
        "image": "registry.local/web:v1"
      }
    ],
    "deployed": "2026-02-19T12:00:00Z",
    "specHash": "rolled-back",
    "id": "replicaset/web-7d9f"
  },
  {
    "revision": "3",
    "live": false,
    "image": "registry.local/web:v3",
    "containers": [
      {
        "name": "web",
        "image": "registry.local/web:v3"
      }
    ],
    "deployed": "2026-03-01T11:55:00Z",
    "specHash": "00112233445566ff",
    "id": "replicaset/web-5c8b"
  },
  {
    "revision": "2",
    "live": false,
    "image": "registry.local/web:v2",
    "containers": [
      {
        "name": "web",
        "image": "registry.local/web:v2"
      }
    ],
    "id": "replicaset/web-4a6c"
  }
]
`
	if got := e.Out.String(); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// An app with no revisions is an empty list, not null.
func TestJSONEmpty(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.Global.Output = "json"
	if code := runCmd(t, e, "--target", "ecs"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got := e.Out.String(); got != "[]\n" {
		t.Errorf("stdout %q, want []", got)
	}
}

// --limit reaches the target (default 10); a negative one is a usage error that connects to
// nothing.
func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		code  int
		limit int
	}{
		{nil, 0, 10},
		{[]string{"--limit", "0"}, 0, 0},
		{[]string{"--limit", "3"}, 0, 3},
		{[]string{"--limit", "-1"}, target.ExitInvalid, -1},
	} {
		e := cmdtest.New(t, "ecs", "")
		if code := runCmd(t, e, append([]string{"--target", "ecs"}, tc.args...)...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, e.ErrOut)
		}
		calls := e.Target.Session.Calls
		if tc.limit < 0 {
			if len(calls) != 0 || len(e.Target.Session.Connects) != 0 {
				t.Errorf("%v: calls %+v after a usage error", tc.args, calls)
			}
			continue
		}
		if len(calls) != 1 || calls[0].Method != "History" || calls[0].Options.(target.HistoryOptions).Limit != tc.limit {
			t.Errorf("%v: calls %+v, want History with limit %d", tc.args, calls, tc.limit)
		}
	}
}

// sessionOnly hides every method but target.Session's: a target that cannot read history.
type sessionOnly struct{ target.Session }

type plainTarget struct{ target.Target }

func (p plainTarget) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	s, err := p.Target.Connect(ctx, app, opts)
	return sessionOnly{s}, err
}

// A target without HistoryReader says so (exit 1), and a target's error comes through.
func TestErrors(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.Targets["ecs"] = plainTarget{e.Target}
	cmd := NewCmd(e.Factory, nil)
	cmd.SetArgs([]string{"--target", "ecs"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	if got := cmd.ExecuteContext(ctx); got == nil || got.Error() != "history: target ecs cannot list the revisions it deployed" || target.ExitCode(got) != target.ExitError {
		t.Errorf("without HistoryReader: %v", got)
	}

	e = cmdtest.New(t, "eks", "")
	e.Target.Session.HistoryErr = errors.New("list replicasets: forbidden")
	if code := runCmd(t, e, "--target", "eks"); code != target.ExitError || e.Out.Len() != 0 {
		t.Errorf("exit %d, stdout %q", code, e.Out)
	}
}

package status

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

func run(t *testing.T, e *cmdtest.Env) error {
	t.Helper()
	ctx, cancel := target.CommandContext(context.Background(), 0)
	defer cancel()
	return Run(ctx, &Options{IO: e.Factory.IOStreams, Global: e.Factory.Global, Targets: e.Factory.Targets, Target: "ecs", Timeout: time.Minute})
}

var live = target.Status{
	Target: "ecs", App: "web", Exists: true, Where: "cluster default, ap-northeast-2",
	Revision: "7", Image: "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1", Digest: "sha256:abc",
	Desired: 3, Updated: 3, Ready: 2, Available: 2, SpecHash: "1a2b3c",
	InProgress: "deploy by ci (2m ago)",
	Conditions: []string{"Available=True"},
	Rollouts: []target.LiveDeployment{
		{ID: "ecs-svc/1", Revision: "7", Status: "PRIMARY", Desired: 3, Running: 2, RolloutState: "IN_PROGRESS"},
		{ID: "ecs-svc/0", Revision: "6", Status: "ACTIVE", Desired: 0, Running: 1},
	},
	Events: []string{"service web has reached a steady state."},
}

const liveText = `app:       web on ecs (cluster default, ap-northeast-2)
revision:  7
image:     123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1 (sha256:abc)
replicas:  3 desired, 3 updated, 2 ready, 2 available
spec hash: 1a2b3c
in progress: deploy by ci (2m ago)
conditions:
  Available=True
rollouts:
  PRIMARY    rev 7    2/3 running IN_PROGRESS  ecs-svc/1
  ACTIVE     rev 6    1/0 running  ecs-svc/0
events:
  service web has reached a steady state.
`

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   target.Status
		want string
	}{
		{"live", live, liveText},
		{"not deployed", target.Status{Target: "ecs", App: "web", Where: "cluster default"}, "web is not deployed on ecs (cluster default)\n"},
		{"image by digest", target.Status{Target: "ecs", App: "web", Exists: true, Where: "w", Image: "r/web@sha256:abc", Digest: "sha256:abc"},
			"app:       web on ecs (w)\nrevision:  \nimage:     r/web@sha256:abc\nreplicas:  0 desired, 0 updated, 0 ready, 0 available\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t, "ecs", "")
			e.Target.Session.StatusResult = &tc.st
			if err := run(t, e); err != nil {
				t.Fatal(err)
			}
			if got := e.Out.String(); got != tc.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	e.Factory.Global.Output = "json"
	e.Target.Session.StatusResult = &live
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	var got target.Status
	if err := json.Unmarshal(e.Out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Revision != "7" || len(got.Rollouts) != 2 || got.Rollouts[0].RolloutState != "IN_PROGRESS" || got.InProgress == "" {
		t.Errorf("decoded %+v", got)
	}
}

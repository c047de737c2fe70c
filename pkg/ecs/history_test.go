package ecs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// registered is when revision rev of the history tests was registered: an hour apart.
func registered(rev int) time.Time {
	return time.Date(2026, 3, 1, rev, 0, 0, 0, time.UTC)
}

// historyTDs are revisions 1-5 of family web: 2 is production's, the others c1's; each
// runs image web:<rev>, carries hash h<rev> and was registered at registered(rev).
func historyTDs(t *testing.T) map[string]*ecs.DescribeTaskDefinitionOutput {
	tds := map[string]*ecs.DescribeTaskDefinitionOutput{}
	for rev, cluster := range map[int]string{1: "c1", 2: "prod", 3: "c1", 4: "c1", 5: "c1"} {
		out := tdFor(t, rev, cluster)
		td := *out.TaskDefinition
		td.RegisteredAt = aws.Time(registered(rev).In(time.FixedZone("KST", 9*3600)))
		c := td.ContainerDefinitions[0]
		c.Image = aws.String(fmt.Sprintf("web:%d", rev))
		td.ContainerDefinitions = []types.ContainerDefinition{c}
		out.TaskDefinition = &td
		out.Tags = withTag(out.Tags, spec.HashAnnotation, fmt.Sprintf("h%d", rev))
		arn := aws.ToString(td.TaskDefinitionArn)
		tds[arn], tds[Revision(arn)] = out, out
	}
	return tds
}

func tdArn(rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/web:%d", rev)
}

// rev is the history line of revision n of historyTDs.
func rev(n int, live bool, state string) target.Revision {
	return target.Revision{Revision: fmt.Sprintf("web:%d", n), Live: live, State: state, Image: fmt.Sprintf("web:%d", n),
		Containers: []target.ContainerImage{{Name: "web", Image: fmt.Sprintf("web:%d", n)}},
		Deployed:   registered(n), SpecHash: fmt.Sprintf("h%d", n), ID: tdArn(n)}
}

// History lists the cluster's revisions newest first, marks the PRIMARY's live (rolling out
// until COMPLETED) and the ACTIVE one's draining, stops at the limit, and always lists what
// the service runs, even another cluster's revision beyond the limit.
func TestHistory(t *testing.T) {
	app := testApp(t, "")
	for _, tc := range []struct {
		name  string
		svc   *types.Service
		limit int
		want  []target.Revision
		more  bool
	}{
		{"rolling out, limit 2", svcOf(tdArn(5), 2,
			dep{"ecs-svc/5", "PRIMARY", tdArn(5), types.DeploymentRolloutStateInProgress, "", 2, 1, 1, 0},
			dep{"ecs-svc/4", "ACTIVE", tdArn(4), types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			2, []target.Revision{rev(5, true, target.RevisionRollingOut), rev(4, false, target.RevisionDraining)}, true},
		{"steady, all of c1's", svcOf(tdArn(4), 2, dep{"ecs-svc/4", "PRIMARY", tdArn(4), types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			0, []target.Revision{rev(5, false, ""), rev(4, true, target.RevisionLive), rev(3, false, ""), rev(1, false, "")}, false},
		{"rolled back --to production's web:2", svcOf(tdArn(2), 2, dep{"ecs-svc/2", "PRIMARY", tdArn(2), types.DeploymentRolloutStateFailed, "", 2, 0, 0, 3}),
			1, []target.Revision{rev(5, false, ""), rev(2, true, target.RevisionFailed)}, true},
		{"not deployed", nil, 10, []target.Revision{rev(5, false, ""), rev(4, false, ""), rev(3, false, ""), rev(1, false, "")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeECS{script: []func() (*types.Service, error){returns(tc.svc)}, taskDefs: historyTDs(t)}
			h, err := newTestSession(f).History(context.Background(), app, target.HistoryOptions{Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if h.Target != "ecs" || h.App != "web" || h.Where != "cluster c1 in us-east-1" || h.More != tc.more {
				t.Errorf("history %s on %s (%s), more %v; want more %v", h.App, h.Target, h.Where, h.More, tc.more)
			}
			if fmt.Sprint(h.Revisions) != fmt.Sprint(tc.want) {
				t.Errorf("revisions:\n%+v\nwant:\n%+v", h.Revisions, tc.want)
			}
		})
	}
}

// Every revision history prints, rollback --to takes as printed and resolves to that very
// task definition.
func TestHistoryRevisionsRoundTripThroughRollback(t *testing.T) {
	app := testApp(t, "")
	tds := historyTDs(t)
	live := steadyLive(render(t, app), tdArn(4))
	f := &fakeECS{script: []func() (*types.Service, error){returns(live)}, taskDefs: tds}
	s := newTestSession(f)
	h, err := s.History(context.Background(), app, target.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Revisions) != 4 {
		t.Fatalf("history lists %d revisions, want 4", len(h.Revisions))
	}
	for _, r := range h.Revisions {
		arn, _, err := s.rollbackTarget(context.Background(), app, live, r.Revision)
		if err != nil || arn != r.ID {
			t.Errorf("rollback --to %s resolves to %s (%v), want %s", r.Revision, arn, err, r.ID)
		}
	}
}

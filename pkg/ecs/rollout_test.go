package ecs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/target"
)

const (
	td1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	td2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	td3 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
)

type dep struct {
	id, status, td                    string
	state                             types.DeploymentRolloutState
	reason                            string
	desired, running, pending, failed int32
}

func svcOf(current string, desired int32, deps ...dep) *types.Service {
	s := &types.Service{ServiceName: aws.String("web"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(current), DesiredCount: desired}
	for _, d := range deps {
		s.Deployments = append(s.Deployments, types.Deployment{
			Id: aws.String(d.id), Status: aws.String(d.status), TaskDefinition: aws.String(d.td),
			RolloutState: d.state, RolloutStateReason: aws.String(d.reason),
			DesiredCount: d.desired, RunningCount: d.running, PendingCount: d.pending, FailedTasks: d.failed,
		})
	}
	return s
}

func stoppedTask(startedBy, td string, code types.TaskStopCode, reason string, at int) types.Task {
	ts := time.Unix(int64(1000+at), 0)
	return types.Task{
		StartedBy: aws.String(startedBy), TaskDefinitionArn: aws.String(td),
		LastStatus: aws.String("STOPPED"), DesiredStatus: aws.String("STOPPED"),
		StopCode: code, StoppedReason: aws.String(reason), StoppedAt: &ts,
	}
}

func exitedTask(startedBy string, code int32, at int) types.Task {
	t := stoppedTask(startedBy, td2, types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", at)
	t.Containers = []types.Container{{Name: aws.String("web"), ExitCode: aws.Int32(code), Reason: aws.String("")}}
	return t
}

const elbErr = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/7a7a1fcbd0455d4b)"

const pullErr = "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref web:nope: not found"

func TestEvaluate(t *testing.T) {
	update := WatchedDeployment{TaskDefinition: td2, Previous: td1, Deployment: "ecs-svc/2"}
	// A deploy that changed only the service's settings: a new deployment on the same task
	// definition.
	settings := WatchedDeployment{TaskDefinition: td1, Previous: td1, Deployment: "ecs-svc/2"}
	cases := []struct {
		name    string
		svc     *types.Service
		ro      WatchedDeployment
		stopped []types.Task
		phase   target.Phase
		want    []string // substrings of the message
		back    string   // RolledBackTo
		ready   int
	}{
		{
			name:  "new service, tasks pending",
			svc:   svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0}),
			ro:    WatchedDeployment{TaskDefinition: td1, Deployment: "ecs-svc/1"},
			phase: target.Progressing, want: []string{"PRIMARY web:1 IN_PROGRESS 0/2 running, 2 pending"},
		},
		{
			name:  "new service completed",
			svc:   svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    WatchedDeployment{TaskDefinition: td1},
			phase: target.Succeeded, want: []string{"ecs-svc/1 of web:1 completed: 2/2 running"}, ready: 2,
		},
		{
			name: "update: two deployments",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro: update, phase: target.Progressing,
			want: []string{"PRIMARY web:2 IN_PROGRESS 2/2 running · ACTIVE web:1 COMPLETED 2/2 running"}, ready: 2,
		},
		{
			name: "running = desired but the old deployment is still there: not done",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 0, 1, 0, 0}),
			ro: update, phase: target.Progressing,
		},
		{
			name:  "update: alone, running = desired, no rolloutState (no circuit breaker)",
			svc:   svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, "", "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Succeeded, ready: 2,
		},
		{
			name:  "update completed",
			svc:   svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Succeeded,
		},
		{
			name: "circuit breaker: FAILED, service back on the old task definition",
			svc: svcOf(td1, 2,
				dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/2", "ACTIVE", td2, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 4},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro: update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
			},
			phase: target.RolledBack, back: td1,
			want: []string{"circuit breaker: tasks failed to start;", "CannotPullContainerError", "rolled the service back to web:1"},
		},
		{
			name:  "circuit breaker rollback already completed: our deployment is gone",
			svc:   svcOf(td1, 2, dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.RolledBack, back: td1, want: []string{"web:2 failed (ECS deployment circuit breaker); ECS rolled the service back to web:1"},
		},
		{
			name: "FAILED, and the service runs a third revision, neither ours nor the previous: not a rollback",
			svc: svcOf(td3, 2,
				dep{"ecs-svc/3", "PRIMARY", td3, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/2", "ACTIVE", td2, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 4}),
			ro:    update,
			phase: target.Failed, want: []string{"deployment ecs-svc/2 of web:2 failed: ECS deployment circuit breaker: tasks failed to start; the service now runs web:3, not the revision it ran before (it ran web:1)"},
		},
		{
			name: "FAILED first deployment of a service, and the service runs another revision: not a rollback",
			svc: svcOf(td1, 2,
				dep{"ecs-svc/3", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/2", "ACTIVE", td2, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 4}),
			ro:    WatchedDeployment{TaskDefinition: td2, Deployment: "ecs-svc/2"},
			phase: target.Failed, want: []string{"the service now runs web:1, not the revision it ran before (it had none)"},
		},
		{
			name: "breaker without rollback: FAILED and still on our task definition",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 2, 0, 0, 3},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Failed, want: []string{"deployment ecs-svc/2 of web:2 failed: ECS deployment circuit breaker"},
		},
		{
			name: "fail fast: the same pull error twice",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 2},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro: update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
			},
			phase: target.Failed, want: []string{"2 tasks of deployment ecs-svc/2 (web:2) stopped with the same reason", `"` + pullErr + `"`},
		},
		{
			name: "fail fast: secrets",
			svc:  svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 0, 1, 2}),
			ro:   update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, "ResourceInitializationError: unable to pull secrets or registry auth: x", 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, "ResourceInitializationError: unable to pull secrets or registry auth: x", 2),
			},
			phase: target.Failed, want: []string{"ResourceInitializationError: unable to pull secrets"},
		},
		{
			name:    "fail fast: an essential container exits, with its exit code",
			svc:     svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 0, 1, 2}),
			ro:      update,
			stopped: []types.Task{exitedTask("ecs-svc/2", 1, 1), exitedTask("ecs-svc/2", 1, 2)},
			phase:   target.Failed, want: []string{"Essential container in task exited (container web exited with code 1)"},
		},
		{
			name:    "one failure is not yet a pattern",
			svc:     svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 0, 1, 1}),
			ro:      update,
			stopped: []types.Task{stoppedTask("ecs-svc/2", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 1)},
			phase:   target.Progressing,
		},
		{
			name:    "different exit codes are different failures",
			svc:     svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 0, 1, 2}),
			ro:      update,
			stopped: []types.Task{exitedTask("ecs-svc/2", 1, 1), exitedTask("ecs-svc/2", 137, 2)},
			phase:   target.Progressing,
		},
		{
			name: "tasks the scheduler stopped are not failures",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 0, 0, 0, 0}),
			ro: update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/1", td1, types.TaskStopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/2)", 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/2)", 2),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeUserInitiated, "Task stopped by user", 3),
			},
			phase: target.Progressing,
		},
		{
			name: "failures of an older deployment are not ours",
			svc:  svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 0, 1, 0}),
			ro:   update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/0", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 1),
				stoppedTask("ecs-svc/0", td2, types.TaskStopCodeTaskFailedToStart, pullErr, 2),
			},
			phase: target.Progressing,
		},
		{
			name: "another deploy replaced ours",
			svc: svcOf(td3, 2,
				dep{"ecs-svc/3", "PRIMARY", td3, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/2", "ACTIVE", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Failed, want: []string{"another deployment replaced ours: the service now runs web:3, not web:2"},
		},
		{
			name:  "ECS has not shown our deployment yet",
			svc:   svcOf(td2, 2, dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    WatchedDeployment{TaskDefinition: td2, Previous: td1},
			phase: target.Progressing, want: []string{"waiting for ECS to start the deployment of web:2"},
		},
		{
			name: "deployment found by task definition when its id is unknown",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/9", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    WatchedDeployment{TaskDefinition: td2, Previous: td1},
			phase: target.Succeeded,
		},
		{
			name:  "service deleted while deploying",
			svc:   &types.Service{ServiceName: aws.String("web"), Status: aws.String("DRAINING")},
			ro:    update,
			phase: target.Failed, want: []string{"DRAINING"},
		},
		{name: "service gone", svc: nil, ro: update, phase: target.Failed, want: []string{"gone"}},

		// Success only at steady state: while ECS says IN_PROGRESS, running = desired proves
		// nothing (health-check grace period, a container that crashes after 30 s).
		{
			name:  "first deployment IN_PROGRESS at running = desired is not done",
			svc:   svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "ECS deployment ecs-svc/1 in progress.", 2, 2, 0, 0}),
			ro:    WatchedDeployment{TaskDefinition: td1, Deployment: "ecs-svc/1"},
			phase: target.Progressing, want: []string{"PRIMARY web:1 IN_PROGRESS 2/2 running"}, ready: 2,
		},
		{
			name:  "update alone IN_PROGRESS at running = desired (old tasks gone, grace period running) is not done",
			svc:   svcOf(td2, 2, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Progressing,
		},
		{
			// The poll that shows ECS's "deployment completed" for ours decides, even when
			// the deployment list has not caught up yet.
			name: "the poll that shows our deployment completed and the steady state decides",
			svc: withEvents(svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 0, 0, 0, 0}),
				"(service web) has stopped 2 running tasks: (task a) (task b).",
				"(service web) (deployment ecs-svc/2) deployment completed.",
				"(service web) has reached a steady state."),
			ro:    update,
			phase: target.Succeeded, want: []string{"deployment ecs-svc/2 of web:2 completed: 2/2 running"},
		},
		{
			// The breaker returns to the last completed deployment under its id: its old
			// completion does not complete the rollback (a deploy that found its revision
			// live watches the PRIMARY on it, by task definition).
			name: "a rollback to an earlier deployment is not completed by that deployment's old completion",
			svc: withEvents(svcOf(td1, 2,
				dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.", 2, 2, 0, 0},
				dep{"ecs-svc/2", "ACTIVE", td2, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 3}),
				"(service web) (deployment ecs-svc/1) deployment completed.",
				"(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
				"(service web) rolling back to deployment ecs-svc/1."),
			ro:    WatchedDeployment{TaskDefinition: td1},
			phase: target.Progressing,
		},
		{
			name: "another deployment's completion is not ours",
			svc: withEvents(svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 0, 0, 0, 0}),
				"(service web) (deployment ecs-svc/1) deployment completed."),
			ro:    update,
			phase: target.Progressing,
		},

		// Health checks: the scheduler stops the tasks (ServiceSchedulerInitiated), the
		// reason says why.
		{
			name: "fail fast: tasks failing ELB health checks",
			svc: svcOf(td2, 2,
				dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 2, 1, 1, 2},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro: update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeServiceSchedulerInitiated, elbErr, 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeServiceSchedulerInitiated, elbErr, 2),
			},
			phase: target.Failed, want: []string{"2 tasks of deployment ecs-svc/2 (web:2) stopped with the same reason", `"` + elbErr + `"`},
		},
		{
			name: "fail fast: tasks failing container health checks",
			svc:  svcOf(td2, 1, dep{"ecs-svc/2", "PRIMARY", td2, types.DeploymentRolloutStateInProgress, "", 1, 1, 0, 2}),
			ro:   update,
			stopped: []types.Task{
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeServiceSchedulerInitiated, "Task failed container health checks", 1),
				stoppedTask("ecs-svc/2", td2, types.TaskStopCodeServiceSchedulerInitiated, "Task failed container health checks", 2),
			},
			phase: target.Failed, want: []string{`"Task failed container health checks"`},
		},

		// Deployments that keep the task definition (network, load balancers, registries).
		{
			name: "settings only: the breaker's rollback reuses the old deployment, ours FAILED",
			svc: svcOf(td1, 2,
				dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.", 2, 2, 0, 0},
				dep{"ecs-svc/2", "ACTIVE", td1, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 3}),
			ro:    settings,
			phase: target.RolledBack, back: td1,
			want: []string{"deployment ecs-svc/2 of web:1 failed (ECS deployment circuit breaker: tasks failed to start); ECS rolled the service back to its previous deployment ecs-svc/1 (web:1"},
		},
		{
			name: "settings only: rolled back and completed, our deployment gone, the old one COMPLETED on the same task definition",
			svc: withEvents(svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "ECS deployment ecs-svc/1 completed.", 2, 2, 0, 0}),
				"(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
				"(service web) rolling back to deployment ecs-svc/1.",
				"(service web) (deployment ecs-svc/1) deployment completed.",
				"(service web) has reached a steady state."),
			ro:    settings,
			phase: target.RolledBack, back: td1,
			want: []string{"the deployment of web:1 (deployment ecs-svc/2, settings only) failed (ECS deployment circuit breaker); ECS rolled the service back to its previous deployment ecs-svc/1"},
		},
		{
			name: "settings only: breaker without rollback, our FAILED deployment still PRIMARY: not a rollback",
			svc: svcOf(td1, 2,
				dep{"ecs-svc/2", "PRIMARY", td1, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 2, 0, 0, 3},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    settings,
			phase: target.Failed, want: []string{"deployment ecs-svc/2 of web:1 failed: ECS deployment circuit breaker"},
		},
		{
			name: "settings only: in progress next to the old deployment on the same task definition",
			svc: svcOf(td1, 2,
				dep{"ecs-svc/2", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "", 2, 2, 0, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    settings,
			phase: target.Progressing, ready: 2,
		},
		{
			name:  "settings only: completed",
			svc:   svcOf(td1, 2, dep{"ecs-svc/2", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    settings,
			phase: target.Succeeded, want: []string{"deployment ecs-svc/2 of web:1 completed"},
		},
		{
			name:  "our deployment gone, the service on our task definition under another deployment: replaced, not done",
			svc:   svcOf(td2, 2, dep{"ecs-svc/9", "PRIMARY", td2, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0}),
			ro:    update,
			phase: target.Failed, want: []string{"another deployment replaced ours (ecs-svc/2): the service runs web:2 under ecs-svc/9"},
		},
		{
			name: "image change rolled back by the breaker, which reused the old deployment's id, completed",
			svc: withEvents(svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "ECS deployment ecs-svc/1 completed.", 2, 2, 0, 0}),
				"(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
				"(service web) rolling back to deployment ecs-svc/1.",
				"(service web) (deployment ecs-svc/1) deployment completed."),
			ro:    update,
			phase: target.RolledBack, back: td1, want: []string{"ECS rolled the service back to web:1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Evaluate(c.svc, c.ro, c.stopped)
			if got.Phase != c.phase {
				t.Fatalf("phase %s, want %s (%s)", got.Phase, c.phase, got.Message)
			}
			for _, w := range c.want {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q lacks %q", got.Message, w)
				}
			}
			if got.RolledBackTo != c.back {
				t.Errorf("RolledBackTo %q, want %q", got.RolledBackTo, c.back)
			}
			if c.ready != 0 && got.Ready != c.ready {
				t.Errorf("ready %d, want %d", got.Ready, c.ready)
			}
			if got.Phase.Terminal() && got.Phase != target.Succeeded && got.Phase != target.Canceled && got.Message == "" {
				t.Error("a failure without a message")
			}
		})
	}
}

func TestStopFailure(t *testing.T) {
	cases := []struct {
		task types.Task
		ok   bool
		key  string
		text string
	}{
		{stoppedTask("d", td1, types.TaskStopCodeTaskFailedToStart, pullErr, 0), true, "CannotPullContainerError", pullErr},
		{exitedTask("d", 2, 0), true, "Essential container in task exited/web/2", "Essential container in task exited (container web exited with code 2)"},
		{stoppedTask("d", td1, types.TaskStopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment d)", 0), false, "", ""},
		// The scheduler replaces tasks that fail health checks: a failure, told by the reason.
		{stoppedTask("d", td1, types.TaskStopCodeServiceSchedulerInitiated, elbErr, 0), true, "Task failed ELB health checks", elbErr},
		{stoppedTask("d", td1, types.TaskStopCodeServiceSchedulerInitiated, "Task failed container health checks", 0), true, "Task failed container health checks", "Task failed container health checks"},
		{stoppedTask("d", td1, types.TaskStopCodeUserInitiated, "Task failed container health checks", 0), false, "", ""},
		{stoppedTask("d", td1, types.TaskStopCodeSpotInterruption, "Your Spot Task was interrupted.", 0), false, "", ""},
		// No stop code (older tasks): recognised by the reason alone.
		{stoppedTask("d", td1, "", "Task failed ELB health checks in (target-group arn)", 0), true, "Task failed ELB health checks", "Task failed ELB health checks in (target-group arn)"},
		{stoppedTask("d", td1, "", "Task stopped by user", 0), false, "", ""},
		// TaskFailedToStart with the reason only on the container.
		{types.Task{StopCode: types.TaskStopCodeTaskFailedToStart, Containers: []types.Container{{Name: aws.String("web"), Reason: aws.String(pullErr)}}}, true, "CannotPullContainerError", pullErr},
	}
	for i, c := range cases {
		key, text, ok := StopFailure(c.task)
		if ok != c.ok || key != c.key || text != c.text {
			t.Errorf("%d: StopFailure = %q, %q, %v; want %q, %q, %v", i, key, text, ok, c.key, c.text, c.ok)
		}
	}
}

func TestParseECR(t *testing.T) {
	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	cases := []struct {
		image string
		ok    bool
		want  ECRRef
	}{
		{"123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:3f9c2e1", true,
			ECRRef{Registry: "123456789012", Region: "ap-northeast-2", Repository: "web", Tag: "3f9c2e1", Host: "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com"}},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web", true,
			ECRRef{Registry: "123456789012", Region: "us-east-1", Repository: "team/web", Host: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/web@" + d, true,
			ECRRef{Registry: "123456789012", Region: "us-east-1", Repository: "web", Digest: d, Host: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1", true,
			ECRRef{Registry: "123456789012", Region: "cn-north-1", Repository: "web", Tag: "v1", Host: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"}},
		{"nginx:1.27", false, ECRRef{}},
		{"public.ecr.aws/nginx/nginx:1.27", false, ECRRef{}},
		{"ghcr.io/org/web:v1", false, ECRRef{}},
	}
	for _, c := range cases {
		got, ok := ParseECR(c.image)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseECR(%q) = %+v, %v; want %+v, %v", c.image, got, ok, c.want, c.ok)
		}
	}
	ref, _ := ParseECR("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1")
	if got := ref.Pinned(d); got != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@"+d {
		t.Errorf("Pinned = %s", got)
	}
}

func TestRevision(t *testing.T) {
	if got := Revision(td2); got != "web:2" {
		t.Errorf("Revision = %s", got)
	}
	if f, n := splitRevision("web-app:12"); f != "web-app" || n != 12 {
		t.Errorf("splitRevision = %s %d", f, n)
	}
}

// A deploy of the live revision that changes only the service's settings starts a deployment
// on the same task definition. Its verdict follows that deployment: the circuit breaker's
// rollback (to the deployment before, on the same revision) is RolledBack, not Failed nor,
// once our deployment left the list, Succeeded; a completed one is Succeeded.
func TestSettingsOnlyDeployVerdicts(t *testing.T) {
	rolling := svcOf(td1, 2,
		dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.", 2, 2, 0, 0},
		dep{"ecs-svc/2", "ACTIVE", td1, types.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 0, 3})
	back := withEvents(svcOf(td1, 2, dep{"ecs-svc/1", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "ECS deployment ecs-svc/1 completed.", 2, 2, 0, 0}),
		"(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
		"(service web) rolling back to deployment ecs-svc/1.",
		"(service web) (deployment ecs-svc/1) deployment completed.")
	done := svcOf(td1, 2, dep{"ecs-svc/2", "PRIMARY", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
	cases := []struct {
		name    string
		after   *types.Service
		phase   target.Phase
		message string
	}{
		{"rolled back by the breaker, rollback under way", rolling, target.RolledBack, "ECS rolled the service back to its previous deployment ecs-svc/1"},
		{"rolled back by the breaker, rollback completed", back, target.RolledBack, "ECS rolled the service back to its previous deployment ecs-svc/1"},
		{"completed", done, target.Succeeded, "re-applied what did not match the spec: service web settings (network configuration)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := testApp(t, "")
			rd := render(t, app)
			live := steadyLive(rd, td1)
			live.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-9"}}}
			started := svcOf(td1, 2,
				dep{"ecs-svc/2", "PRIMARY", td1, types.DeploymentRolloutStateInProgress, "", 2, 0, 2, 0},
				dep{"ecs-svc/1", "ACTIVE", td1, types.DeploymentRolloutStateCompleted, "", 2, 2, 0, 0})
			f := &fakeECS{
				script:   []func() (*types.Service, error){returns(live), returns(started), returns(c.after)},
				taskDefs: map[string]*ecs.DescribeTaskDefinitionOutput{td1: liveTD(td1, rd)},
				onUpdate: func(*ecs.UpdateServiceInput) *types.Service { return started },
			}
			v, err := newTestSession(f).Deploy(context.Background(), app, target.DeployOptions{}, &events{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.updates) != 1 || f.updates[0].TaskDefinition != nil {
				t.Fatalf("%d updates, want one settings-only UpdateService", len(f.updates))
			}
			if v.Phase != c.phase || !strings.Contains(v.Message, c.message) {
				t.Errorf("verdict %s %q, want %s with %q", v.Phase, v.Message, c.phase, c.message)
			}
			if c.phase == target.RolledBack && v.RolledBackTo != "web:1" {
				t.Errorf("RolledBackTo %q", v.RolledBackTo)
			}
		})
	}
}

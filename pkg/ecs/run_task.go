// This file is shipit run on ECS: the app's task definition run once as a standalone task in
// the service's network, waited for until it stops, its logs streamed (run_logs.go).

package ecs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// RunStartedBy is the startedBy of every task shipit run starts, so that they can be told
// from the service's (aws ecs list-tasks --started-by shipit-run).
const RunStartedBy = "shipit-run"

// runCleanupTimeout bounds StopTask (and the last read of the logs) after an interrupt or once
// the command's time bound has run out: the task must not go on unattended.
const runCleanupTimeout = 30 * time.Second

// logTries is how many reads a stopped task's log stream gets to show up: the awslogs driver
// sends the last lines when the container stops, which CloudWatch Logs may show a little later.
const logTries = 3

var _ target.TaskRunner = (*Session)(nil)

// RunTask runs opts.Command once with the app's task definition: the live revision when it
// already is this spec, else the family's newest when it is (as deploy decides), else a new
// revision, which a deploy of the same spec then reuses. The task gets the service's launch
// type or capacity providers, platform version and awsvpc configuration as the spec renders
// them, and the command as the app container's command override (Docker's CMD; the
// entrypoint stays). It is polled until STOPPED; an interrupt or the command's time bound stops
// it with StopTask.
func (s *Session) RunTask(ctx context.Context, app *spec.App, opts target.RunOptions, r target.Reporter) (*target.RunResult, error) {
	s.defaults()
	rd, err := Render(app, RenderOptions{Region: s.region})
	if err != nil {
		return nil, err
	}
	main := app.MainContainer()
	res := &target.RunResult{Target: spec.TargetECS, App: app.Name, Container: main, Command: opts.Command}
	target.Step(ctx, "preparing the task definition of "+Family(app))
	tdArn, err := s.runRevision(ctx, app, rd, r)
	if err != nil {
		return nil, err
	}
	res.Revision, res.Image = Revision(tdArn), containerImage(rd, main)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx) // nothing runs yet
	}
	target.Step(ctx, "starting a task of "+res.Revision)
	out, err := s.ecs.RunTask(target.WithoutInterrupt(ctx), runTaskInput(app, rd, tdArn, opts.Command))
	if err != nil {
		return nil, apiError("ecs RunTask", res.Revision+" in "+s.where(app), err)
	}
	if len(out.Tasks) == 0 {
		res.Status, res.Logs = target.RunNotRun, "none: no task was started"
		res.Message = fmt.Sprintf("ECS started no task of %s in %s: %s", res.Revision, s.where(app), failures(out.Failures))
		return res, nil
	}
	res.Task = aws.ToString(out.Tasks[0].TaskArn)
	id := lastSegment(res.Task)
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("started task %s of %s in %s: %s", id, res.Revision, s.where(app), strings.Join(opts.Command, " "))))
	logs := newTaskLogs(s.logs, rd.TaskDefinition, main, id, s.region, opts.Logs)
	target.Step(ctx, "waiting for task "+id)
	task, err := s.waitTask(ctx, app, res.Task, logs, r)
	if ctx.Err() != nil {
		// Interrupted, or out of time: the task must not go on unattended.
		s.stopRun(ctx, app, res, task, logs)
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w\nthe task goes on: see it with aws ecs describe-tasks --cluster %s --tasks %s, stop it with aws ecs stop-task", err, app.ECS.Cluster, res.Task)
	}
	for i := 0; i < logTries && !logs.found && started(task); i++ {
		s.sleep(ctx, s.poll)
		logs.read(ctx)
	}
	res.Logs = logs.describe()
	if !started(task) && !logs.found && logs.off == "" {
		res.Logs = "none: the container never started"
	}
	outcome(res, task, id)
	return res, nil
}

// runRevision pins the images, finds or registers the task definition to run and makes sure
// its log group exists. Reads stop at an interrupt; a write under way is finished.
func (s *Session) runRevision(ctx context.Context, app *spec.App, rd *Rendered, r target.Reporter) (string, error) {
	gctx, stopGuard := target.GuardWrites(ctx)
	defer stopGuard()
	d := &deployRun{Session: s, app: app, rd: rd, r: r}
	pins, err := s.pinImages(gctx, rd.TaskDefinition.ContainerDefinitions)
	if err != nil {
		return "", err
	}
	for _, p := range pins {
		d.report(target.Pending, fmt.Sprintf("pinned image %s to digest %s", p.from, p.digest))
	}
	tdArn := ""
	live, err := s.describeService(gctx, app, false)
	if err != nil {
		return "", err
	}
	if live != nil {
		td, tags, err := s.taskDefinition(gctx, aws.ToString(live.TaskDefinition))
		if err != nil {
			return "", err
		}
		if sameRevision(td, tags, rd) {
			tdArn = aws.ToString(td.TaskDefinitionArn)
			d.report(target.Pending, fmt.Sprintf("running %s, the revision service %s runs (spec %s)", Revision(tdArn), ServiceName(app), rd.Hash))
		}
	}
	if tdArn == "" {
		latest, tags, err := s.taskDefinition(gctx, Family(app))
		if err == nil && latest.Status != types.TaskDefinitionStatusInactive && sameRevision(latest, tags, rd) && tagValue(tags, ClusterTag) == app.ECS.Cluster {
			tdArn = aws.ToString(latest.TaskDefinitionArn)
			d.report(target.Pending, fmt.Sprintf("task definition %s already holds spec %s; not registering another", Revision(tdArn), rd.Hash))
		}
	}
	if err := d.ensureLogGroup(gctx); err != nil {
		return "", err
	}
	if tdArn != "" {
		return tdArn, nil
	}
	if err := d.mayWrite(gctx); err != nil {
		return "", err
	}
	out, err := s.ecs.RegisterTaskDefinition(gctx, rd.TaskDefinition)
	if err != nil {
		return "", apiError("ecs RegisterTaskDefinition", "family "+Family(app), err)
	}
	tdArn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	d.report(target.Pending, fmt.Sprintf("registered task definition %s (spec %s; a deploy of the same spec reuses it)", Revision(tdArn), rd.Hash))
	return tdArn, nil
}

// runTaskInput is the RunTask call: the service's placement and network as rendered, the
// app container's command overridden.
func runTaskInput(app *spec.App, rd *Rendered, tdArn string, command []string) *ecs.RunTaskInput {
	svc := rd.Service
	return &ecs.RunTaskInput{
		Cluster:                  svc.Cluster,
		TaskDefinition:           aws.String(tdArn),
		Count:                    aws.Int32(1),
		StartedBy:                aws.String(RunStartedBy),
		LaunchType:               svc.LaunchType,
		CapacityProviderStrategy: svc.CapacityProviderStrategy,
		PlatformVersion:          svc.PlatformVersion,
		NetworkConfiguration:     svc.NetworkConfiguration,
		EnableECSManagedTags:     svc.EnableECSManagedTags,
		EnableExecuteCommand:     svc.EnableExecuteCommand,
		// The task definition carries the app's labels and shipit's tags; RunTask refuses
		// SERVICE here.
		PropagateTags: types.PropagateTagsTaskDefinition,
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
			{Name: aws.String(app.MainContainer()), Command: command},
		}},
	}
}

// waitTask polls DescribeTasks until the task is STOPPED, reporting each change of its
// lastStatus and reading its logs after every poll. It backs off while AWS throttles. When ctx
// ends it returns the last task seen (nil if none) and ctx's error.
func (s *Session) waitTask(ctx context.Context, app *spec.App, arn string, logs *taskLogs, r target.Reporter) (*types.Task, error) {
	var last *types.Task
	status := ""
	interval := s.poll
	for {
		out, err := s.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(app.ECS.Cluster), Tasks: []string{arn}})
		switch {
		case err == nil && len(out.Tasks) == 0:
			return last, fmt.Errorf("ecs DescribeTasks %s: the task is gone (%s)", arn, failures(out.Failures))
		case err == nil:
			interval = s.poll
			last = &out.Tasks[0]
			if st := aws.ToString(last.LastStatus); st != status {
				status = st
				r.Report(s.event(app, target.Progressing, fmt.Sprintf("task %s: %s", lastSegment(arn), st)))
			}
			logs.read(ctx)
			if status == "STOPPED" {
				return last, nil
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		case !retryable(err):
			return last, apiError("ecs DescribeTasks", arn, err)
		default:
			interval = min(interval*2, s.maxPoll) // the SDK has retried already; slow down too
		}
		if !s.sleep(ctx, interval) {
			return last, ctx.Err()
		}
	}
}

// sleep waits d on the session's clock; false when ctx ended first.
func (s *Session) sleep(ctx context.Context, d time.Duration) bool {
	t := s.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// stopRun stops a task whose wait was interrupted or ran out of time, reads what it logged,
// and says so in res.
func (s *Session) stopRun(ctx context.Context, app *spec.App, res *target.RunResult, last *types.Task, logs *taskLogs) {
	res.Status = target.StoppedBy(ctx)
	why := (&target.InterruptError{Cause: context.Cause(ctx)}).Prefix()
	if te := target.OutOfTime(ctx, nil); te != nil {
		why = fmt.Sprintf("timed out after %s", te.Limit)
	}
	state := "before ECS described it"
	if last != nil {
		state = "while it was " + aws.ToString(last.LastStatus)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runCleanupTimeout)
	defer cancel()
	id := lastSegment(res.Task)
	out, err := s.ecs.StopTask(cctx, &ecs.StopTaskInput{Cluster: aws.String(app.ECS.Cluster), Task: aws.String(res.Task), Reason: aws.String("shipit run: " + why)})
	if err != nil {
		res.Message = fmt.Sprintf("%s %s; could not stop task %s: %v; stop it with: aws ecs stop-task --cluster %s --task %s",
			why, state, id, apiError("ecs StopTask", res.Task, err), app.ECS.Cluster, res.Task)
	} else {
		res.Message = fmt.Sprintf("%s %s; stopped task %s (StopTask)", why, state, id)
		if out.Task != nil {
			res.StopCode, res.StoppedReason = string(out.Task.StopCode), aws.ToString(out.Task.StoppedReason)
		}
	}
	logs.read(cctx)
	res.Logs = logs.describe()
}

// outcome fills res from the stopped task: the app container's exit code when it has one, else
// why the task stopped before it ran.
func outcome(res *target.RunResult, t *types.Task, id string) {
	res.StopCode, res.StoppedReason = string(t.StopCode), aws.ToString(t.StoppedReason)
	why := strings.TrimPrefix(res.StopCode+": "+res.StoppedReason, ": ")
	var c *types.Container
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == res.Container {
			c = &t.Containers[i]
		}
	}
	if c != nil && c.ExitCode != nil {
		code := int(*c.ExitCode)
		res.ContainerExitCode = &code
		res.Message = fmt.Sprintf("%s exited %d (task %s, %s)", res.Container, code, id, res.Revision)
		if code == 0 {
			res.Status = target.RunSucceeded
			return
		}
		res.Status = target.RunFailed
		if why != "" {
			res.Message += ": " + why
		}
		return
	}
	res.Status = target.RunNotRun
	res.Message = fmt.Sprintf("task %s (%s) stopped before %s ran: %s", id, res.Revision, res.Container, why)
	if c != nil && aws.ToString(c.Reason) != "" && aws.ToString(c.Reason) != res.StoppedReason {
		res.Message += fmt.Sprintf(" (%s: %s)", res.Container, aws.ToString(c.Reason))
	}
}

// started reports whether the task's containers ever ran (a task stopped while PENDING has
// no startedAt, nor logs).
func started(t *types.Task) bool { return t != nil && t.StartedAt != nil }

// containerImage is the (pinned) image of a rendered container.
func containerImage(rd *Rendered, name string) string {
	for _, c := range rd.TaskDefinition.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return aws.ToString(c.Image)
		}
	}
	return mainImage(rd)
}

// failures words RunTask's and DescribeTasks' failures ("arn: RESOURCE:MEMORY (detail)").
func failures(fs []types.Failure) string {
	if len(fs) == 0 {
		return "no reason given"
	}
	var parts []string
	for _, f := range fs {
		p := aws.ToString(f.Reason)
		if d := aws.ToString(f.Detail); d != "" {
			p += " (" + d + ")"
		}
		if a := aws.ToString(f.Arn); a != "" {
			p = a + ": " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// lastSegment is the id at the end of a task ARN (either format).
func lastSegment(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

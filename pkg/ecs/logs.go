// This file holds `shipit logs` on ECS: where an app's containers log (read from its live task
// definitions, so ecs.overrides and adopted names count), and which streams one revision's
// tasks wrote. logs_tail.go reads the streams.

package ecs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.LogReader = (*Session)(nil)

// logSource is one container's awslogs streams: the awslogs driver names each one
// "<awslogs-stream-prefix>/<container>/<task id>" (ECS developer guide, "Using the awslogs log
// driver", awslogs-stream-prefix), so prefix ("<awslogs-stream-prefix>/<container>/") plus a
// task id is the stream of that container in that task.
type logSource struct {
	container, group, prefix string
}

// logPlan is what Logs reads: the sources, and for --revision the revision's task
// definition ARN (its tasks are looked up, as only their streams are wanted).
type logPlan struct {
	sources  []logSource
	revision string // task definition ARN, for --revision
	what     string // "web:7", or "service web" for messages
}

// Logs reads the app's container logs from CloudWatch Logs (docs/architecture.md, "The
// interfaces"): every container that logs through awslogs in the service's live task
// definitions, or with --revision in that revision's, and only its tasks' streams.
func (s *Session) Logs(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
	plan, err := s.logPlan(ctx, app, opts, sink)
	if err != nil {
		return err
	}
	return s.tail(ctx, app, plan, opts, sink)
}

// logPlan reads the task definitions and turns their containers' log configurations into
// sources, telling sink about every container it cannot read and why.
func (s *Session) logPlan(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) (*logPlan, error) {
	plan := &logPlan{}
	var arns []string
	if opts.Revision != "" {
		ref, err := revisionRef(app, opts.Revision)
		if err != nil {
			return nil, err
		}
		td, _, err := s.taskDefinition(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("--revision %s: %w", opts.Revision, err)
		}
		plan.revision, plan.what = aws.ToString(td.TaskDefinitionArn), ref
		arns = []string{plan.revision}
	} else {
		svc, err := s.describeService(ctx, app, false)
		if err != nil {
			return nil, err
		}
		if svc == nil {
			return nil, fmt.Errorf("%s is not deployed on ecs (%s): no service %s", app.Name, s.where(app), ServiceName(app))
		}
		plan.what = "service " + ServiceName(app)
		// Every live deployment's: during a rollout both the old and the new tasks log.
		for _, d := range svc.Deployments {
			if a := aws.ToString(d.TaskDefinition); a != "" && !slices.Contains(arns, a) {
				arns = append(arns, a)
			}
		}
		if len(arns) == 0 {
			arns = []string{aws.ToString(svc.TaskDefinition)}
		}
	}
	var names []string
	notes := map[string]string{} // container → why it cannot be read
	for _, arn := range arns {
		td, _, err := s.taskDefinition(ctx, arn)
		if err != nil {
			return nil, err
		}
		for _, c := range td.ContainerDefinitions {
			name := aws.ToString(c.Name)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
			if opts.Container != "" && name != opts.Container {
				continue
			}
			src, why := s.sourceOf(c, Revision(arn))
			if why != "" {
				notes[name] = why
				continue
			}
			if !slices.Contains(plan.sources, src) {
				plan.sources = append(plan.sources, src)
			}
		}
	}
	if opts.Container != "" && !slices.Contains(names, opts.Container) {
		return nil, &target.UsageError{Msg: fmt.Sprintf("--container %s: %s has no container %s (its containers: %s)",
			opts.Container, plan.what, opts.Container, strings.Join(names, ", "))}
	}
	if len(plan.sources) == 0 {
		var whys []string
		for _, n := range slices.Sorted(maps.Keys(notes)) {
			whys = append(whys, notes[n])
		}
		return nil, fmt.Errorf("no container of %s logs to CloudWatch Logs through awslogs, which is what shipit logs reads: %s", plan.what, strings.Join(whys, "; "))
	}
	for _, n := range slices.Sorted(maps.Keys(notes)) {
		sink.Note(notes[n])
	}
	return plan, nil
}

// sourceOf is where a container's awslogs driver writes, or why it cannot be read here: it
// logs elsewhere (FireLens, splunk...), nowhere, or to another region.
func (s *Session) sourceOf(c types.ContainerDefinition, rev string) (logSource, string) {
	name := aws.ToString(c.Name)
	lc := c.LogConfiguration
	switch {
	case lc == nil:
		return logSource{}, fmt.Sprintf("container %s (%s) has no log configuration: ECS keeps none of its output", name, rev)
	case lc.LogDriver == types.LogDriverAwsfirelens:
		return logSource{}, fmt.Sprintf("container %s (%s) logs through FireLens (awsfirelens), not awslogs: its lines are wherever its log router sends them, not in CloudWatch Logs for shipit logs to read", name, rev)
	case lc.LogDriver != types.LogDriverAwslogs:
		return logSource{}, fmt.Sprintf("container %s (%s) logs through %s, not awslogs: its lines are not in CloudWatch Logs for shipit logs to read", name, rev, lc.LogDriver)
	}
	group, prefix, region := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"], lc.Options["awslogs-region"]
	switch {
	case group == "":
		return logSource{}, fmt.Sprintf("container %s (%s) logs through awslogs without awslogs-group", name, rev)
	case prefix == "":
		// Without a prefix the streams are named after the Docker container id, which no
		// API call here tells (Fargate requires the prefix).
		return logSource{}, fmt.Sprintf("container %s (%s) sets no awslogs-stream-prefix: its streams cannot be told apart by task", name, rev)
	case region != "" && s.region != "" && region != s.region:
		return logSource{}, fmt.Sprintf("container %s (%s) logs to CloudWatch Logs in %s, not %s: read it with --region %s", name, rev, region, s.region, region)
	}
	return logSource{container: name, group: group, prefix: prefix + "/" + name + "/"}, ""
}

// revisionRef turns --revision (7, or family:7) into the family:revision ECS describes.
func revisionRef(app *spec.App, rev string) (string, error) {
	family, num, found := strings.Cut(rev, ":")
	if !found {
		family, num = Family(app), rev
	}
	if n, err := strconv.Atoi(num); err != nil || n < 1 {
		return "", &target.UsageError{Msg: fmt.Sprintf("--revision %s: give a task definition revision of %s, e.g. --revision 7 or --revision %s:7", rev, Family(app), Family(app))}
	}
	if family != Family(app) {
		return "", &target.UsageError{Msg: fmt.Sprintf("--revision %s: the app's task definition family is %s, not %s", rev, Family(app), family)}
	}
	return family + ":" + num, nil
}

// revisionTasks lists the ids of the service's tasks (running, and stopped ones ECS still
// lists) that run the task definition arn, in ListTasks' order.
func (s *Session) revisionTasks(ctx context.Context, app *spec.App, arn string) ([]string, error) {
	var ids []string
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		in := &ecs.ListTasksInput{Cluster: aws.String(app.ECS.Cluster), ServiceName: aws.String(ServiceName(app)), DesiredStatus: st}
		err := s.eachTask(ctx, app, in, "tasks of service "+ServiceName(app), func(ts []types.Task) bool {
			for _, t := range ts {
				if id := taskID(aws.ToString(t.TaskArn)); aws.ToString(t.TaskDefinitionArn) == arn && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// taskID is the last part of a task ARN (either ARN format).
func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

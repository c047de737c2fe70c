package ecs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

func randFloat() float64 { return rand.Float64() }

// lookEvery is how many polls pass, at most, between two looks at the stopped tasks of a
// deployment that is short of running tasks.
const lookEvery = 5

// eventLog remembers which service events were already printed (or were there before the
// deploy started), so each one is printed once.
type eventLog map[string]bool

// mark records every event of svc as seen without printing it.
func (l eventLog) mark(svc *types.Service) {
	if svc == nil {
		return
	}
	for _, e := range svc.Events {
		l[eventKey(e)] = true
	}
}

func eventKey(e types.ServiceEvent) string {
	if id := aws.ToString(e.Id); id != "" {
		return id
	}
	return aws.ToTime(e.CreatedAt).String() + aws.ToString(e.Message)
}

// watch follows one deployment to a verdict (docs/architecture.md, "Rollout rules"): it
// polls DescribeServices about every poll interval (jittered), prints each new service event once (oldest first) and the counts of
// every deployment, looks at our deployment's stopped tasks when it reports failed ones, and
// backs off exponentially (to maxPoll) while AWS throttles. Evaluate makes every decision.
// An error is returned only for an API failure that is not throttling (the rollout's fate is
// then unknown).
func (s *Session) watch(ctx context.Context, app *spec.App, ro WatchedDeployment, timeout time.Duration, seen eventLog, r target.Reporter) (Decision, error) {
	s.defaults()
	deadline := s.clock.NewTimer(timeout)
	defer deadline.Stop()
	interval := s.poll
	lastFailed := 0
	var stopped []types.Task
	var last Decision
	last.Phase = target.Progressing
	sinceLook := 0
	throttledSince := time.Time{}
	first := true
	for {
		if !first {
			wait := time.Duration(float64(interval) * (0.8 + 0.4*s.jitter()))
			timer := s.clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return s.end(app, canceled(last), r), nil
			case <-deadline.C():
				timer.Stop()
				return s.end(app, timedOut(last, timeout), r), nil
			case <-timer.C():
			}
		}
		first = false
		if ctx.Err() != nil {
			return s.end(app, canceled(last), r), nil
		}

		svc, err := s.describeService(ctx, app, false)
		if err != nil {
			if ctx.Err() != nil {
				return s.end(app, canceled(last), r), nil
			}
			if !retryable(err) {
				return last, err
			}
			// The SDK's retryer already tried a few times; slow down ourselves as well.
			interval = min(interval*2, s.maxPoll)
			if throttledSince.IsZero() {
				throttledSince = s.now()
				r.Report(s.event(app, target.Progressing, fmt.Sprintf("AWS is throttling DescribeServices (%s); polling every %s", shortError(err), interval)))
			}
			continue
		}
		if !throttledSince.IsZero() {
			r.Report(s.event(app, target.Progressing, fmt.Sprintf("throttling over after %s; polling every %s again", s.now().Sub(throttledSince).Round(time.Second), s.poll)))
			throttledSince = time.Time{}
		}
		interval = s.poll

		s.reportEvents(app, svc, seen, r)
		sinceLook++
		// Stopped tasks are read when ECS counts new failed tasks on our deployment, and now
		// and then while it is short of tasks (in case failedTasks is not kept up to date).
		// ECS resets the count when a task turns healthy: a lower count is remembered, so
		// that the next failure counts as new.
		dep := findDeployment(orEmpty(svc), ro)
		if dep != nil && int(dep.FailedTasks) < lastFailed {
			lastFailed = int(dep.FailedTasks)
		}
		if dep != nil && (int(dep.FailedTasks) > lastFailed || (sinceLook >= lookEvery && dep.RunningCount < dep.DesiredCount)) {
			tasks, err := s.stoppedTasks(ctx, app, aws.ToString(dep.Id))
			switch {
			case err == nil:
				stopped = tasks
				lastFailed = int(dep.FailedTasks)
				sinceLook = 0
			case ctx.Err() != nil:
				return s.end(app, canceled(last), r), nil
			case !retryable(err):
				return last, err
			}
		}
		dec := Evaluate(svc, ro, stopped)
		if (dec.Phase == target.Failed || dec.Phase == target.RolledBack) && dec.StopReason == "" {
			// Quote why the tasks stopped, even when the deployment left the list before
			// its failed tasks were looked at.
			id := ro.Deployment
			if id == "" {
				id = dec.Deployment
			}
			if tasks, err := s.stoppedTasks(ctx, app, id); err == nil && len(tasks) > 0 {
				stopped = tasks
				dec = Evaluate(svc, ro, stopped)
			}
		}
		if dec.Deployment != "" && ro.Deployment == "" {
			ro.Deployment = dec.Deployment
		}
		if dec.Phase != last.Phase || dec.Message != last.Message {
			r.Report(s.event(app, dec.Phase, dec.Message).WithCounts(dec.Desired, dec.Updated, dec.Ready))
		}
		last = dec
		if dec.Phase.Terminal() {
			return dec, nil
		}
	}
}

// end reports a verdict the loop reached without a new answer from ECS (interrupted, timed
// out), so that it ends the progress output: on a terminal it closes the live status line
// rather than leaving the verdict to be printed onto it.
func (s *Session) end(app *spec.App, dec Decision, r target.Reporter) Decision {
	r.Report(s.event(app, dec.Phase, dec.Message).WithCounts(dec.Desired, dec.Updated, dec.Ready))
	return dec
}

func orEmpty(svc *types.Service) *types.Service {
	if svc == nil {
		return &types.Service{}
	}
	return svc
}

func canceled(last Decision) Decision {
	last.Phase = target.Canceled
	last.Message = "stopped watching (interrupted); the deployment goes on in ECS"
	return last
}

func timedOut(last Decision, timeout time.Duration) Decision {
	msg := last.Message
	if msg == "" {
		msg = "no answer from ECS yet"
	}
	last.Phase = target.TimedOut
	last.Message = fmt.Sprintf("timed out after %s: %s", timeout, msg)
	return last
}

// reportEvents prints the service's events that were not seen yet, oldest first (ECS lists
// them newest first).
func (s *Session) reportEvents(app *spec.App, svc *types.Service, seen eventLog, r target.Reporter) {
	if svc == nil {
		return
	}
	for i := len(svc.Events) - 1; i >= 0; i-- {
		e := svc.Events[i]
		k := eventKey(e)
		if seen[k] {
			continue
		}
		seen[k] = true
		ev := s.event(app, target.Progressing, "event: "+aws.ToString(e.Message))
		if e.CreatedAt != nil {
			ev.Time = *e.CreatedAt
		}
		r.Report(ev)
	}
}

// describeService returns the live service, or nil when there is none (never created, or
// deleted: INACTIVE). withTags asks for its tags too.
func (s *Session) describeService(ctx context.Context, app *spec.App, withTags bool) (*types.Service, error) {
	in := &ecs.DescribeServicesInput{Cluster: aws.String(app.ECS.Cluster), Services: []string{ServiceName(app)}}
	if withTags {
		in.Include = []types.ServiceField{types.ServiceFieldTags}
	}
	out, err := s.ecs.DescribeServices(ctx, in)
	if err != nil {
		var nf *types.ClusterNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("ecs: cluster %s not found in %s (shipit deploys into an existing cluster; create it first): %w", app.ECS.Cluster, s.region, err)
		}
		return nil, apiError("ecs DescribeServices", "service "+ServiceName(app)+" in cluster "+app.ECS.Cluster, err)
	}
	for i := range out.Services {
		svc := &out.Services[i]
		if aws.ToString(svc.ServiceName) != ServiceName(app) {
			continue
		}
		if aws.ToString(svc.Status) == "INACTIVE" {
			return nil, nil
		}
		return svc, nil
	}
	return nil, nil
}

// stoppedTasks returns the stopped tasks ECS started for one deployment.
func (s *Session) stoppedTasks(ctx context.Context, app *spec.App, deployment string) ([]types.Task, error) {
	in := &ecs.ListTasksInput{Cluster: aws.String(app.ECS.Cluster), DesiredStatus: types.DesiredStatusStopped}
	if deployment != "" {
		in.StartedBy = aws.String(deployment)
	} else {
		in.ServiceName = aws.String(ServiceName(app))
	}
	var tasks []types.Task
	err := s.eachTask(ctx, app, in, "stopped tasks of "+ServiceName(app), func(batch []types.Task) bool {
		tasks = append(tasks, batch...)
		return true
	})
	if err != nil {
		return nil, err
	}
	return tasks, nil
}

// retryable reports errors worth waiting out: throttling and other errors the SDK's retryer
// considers transient (it has already retried them a few times).
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ServiceUnavailable", "ServiceUnavailableException", "ServerException", "InternalFailure":
			return true
		}
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	return errors.As(err, &maxAttempts) && !errors.As(err, &ae)
}

// shortError is the API error's code and message, without the SDK's request details.
func shortError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

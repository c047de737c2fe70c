// This file holds the ECS rollout decision: Evaluate, a pure function from DescribeServices'
// answer and the stopped tasks of our deployment to a phase, with what it needs: finding our
// deployment, telling a circuit-breaker rollback from another deployment replacing ours,
// reading ECS's "deployment completed" event, and grouping stopped tasks by their failure
// (StopFailure) to fail fast. DeploymentSummary and Revision, which its messages use, serve
// deploy and status too. The watch loop around it is watch.go. It stays one file over 400
// lines because it is one decision, tested by the tables of rollout_test.go; the rules it
// implements are in docs/architecture.md, "Rollout rules".

package ecs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/target"
)

// failFastAfter is how many tasks of our deployment must stop for the same failure before
// shipit declares the rollout failed without waiting for the circuit breaker or the timeout.
const failFastAfter = 2

// WatchedDeployment identifies the ECS deployment a watch (or a rollback) follows.
type WatchedDeployment struct {
	// TaskDefinition is the ARN of the task definition just put on the service.
	TaskDefinition string
	// Previous is the ARN the service ran before ("" for a new service): a failed deployment
	// with the service back on it was rolled back.
	Previous string
	// Deployment is the id of our deployment when the UpdateService/CreateService answer
	// showed it; otherwise the deployment is found by its task definition.
	Deployment string
}

// Decision is what the rollout looks like now.
type Decision struct {
	Phase   target.Phase
	Message string
	// Deployment is our deployment's id once ECS shows it.
	Deployment string
	// Desired is the service's desired count; Updated counts our deployment's tasks (running
	// or pending), Ready its running ones.
	Desired, Updated, Ready int
	// FailedTasks is our deployment's failedTasks, so the loop knows when to look at stopped
	// tasks.
	FailedTasks int
	// RolledBackTo is the task definition ECS's circuit breaker returned the service to.
	RolledBackTo string
	// StopReason is the repeated stop reason behind a fail-fast decision.
	StopReason string
}

// Evaluate decides where a rollout stands from DescribeServices' answer and the stopped tasks
// of our deployment (docs/architecture.md, "Rollout rules"). It is a pure function: the watch loop only feeds it what the
// API returned.
//
//   - Succeeded: our deployment is PRIMARY with rolloutState COMPLETED (or ECS's "(deployment
//     ID) deployment completed." event for it), and the service still points at our task
//     definition. Only a deployment without a rolloutState is judged by its counts (alone,
//     running = desired); IN_PROGRESS at running = desired is not done.
//   - RolledBack: our deployment FAILED (or left the list after a failure) and the service is
//     back on the previous task definition under a PRIMARY deployment that is not ours: the
//     circuit breaker rolled it back. A deployment that kept the task definition (settings
//     only) is told apart by the deployments and events, not the revision. Never a success.
//   - Failed: our deployment FAILED without a rollback (still PRIMARY, or the service on a
//     third revision that is neither ours nor the previous), another deployment replaced ours
//     (our deployment id left the list without a failure), the service was deleted, or tasks
//     of our deployment keep stopping for the same reason (CannotPullContainerError,
//     ResourceInitializationError, an essential container exiting, failed ELB or container
//     health checks).
//   - Progressing otherwise, with the counts of every deployment.
func Evaluate(svc *types.Service, ro WatchedDeployment, stopped []types.Task) Decision {
	if svc == nil {
		return Decision{Phase: target.Failed, Message: "the service is gone (deleted while deploying?)"}
	}
	dec := Decision{Phase: target.Progressing, Desired: int(svc.DesiredCount)}
	if st := aws.ToString(svc.Status); st != "" && st != "ACTIVE" {
		dec.Phase = target.Failed
		dec.Message = fmt.Sprintf("service %s is %s (deleted while deploying?)", aws.ToString(svc.ServiceName), st)
		return dec
	}
	current := aws.ToString(svc.TaskDefinition)
	dep := findDeployment(svc, ro)
	if dep == nil {
		return gone(dec, svc, ro, stopped)
	}
	id := aws.ToString(dep.Id)
	dec.Deployment = id
	dec.Updated = int(dep.RunningCount + dep.PendingCount)
	dec.Ready = int(dep.RunningCount)
	dec.FailedTasks = int(dep.FailedTasks)
	reason, n := repeatedStopReason(stopped, ro, id)

	if dep.RolloutState == types.DeploymentRolloutStateFailed {
		why := strings.TrimRight(strings.TrimSpace(aws.ToString(dep.RolloutStateReason)), ".")
		if why == "" {
			why = "deployment failed"
		}
		if reason != "" {
			why += fmt.Sprintf("; tasks stopped with %q", reason)
			dec.StopReason = reason
		}
		dec.Phase = target.Failed
		switch {
		case rolledBack(svc, dep, ro):
			dec.Phase = target.RolledBack
			dec.RolledBackTo = current
			dec.Message = fmt.Sprintf("deployment %s of %s failed (%s); ECS rolled the service back to %s", id, Revision(ro.TaskDefinition), why, backTo(svc, ro))
		case current != ro.TaskDefinition:
			// Neither ours nor the one before: someone else changed the service; not a rollback.
			prev := "it had none"
			if ro.Previous != "" {
				prev = "it ran " + Revision(ro.Previous)
			}
			dec.Message = fmt.Sprintf("deployment %s of %s failed: %s; the service now runs %s, not the revision it ran before (%s)",
				id, Revision(ro.TaskDefinition), why, Revision(current), prev)
		default:
			dec.Message = fmt.Sprintf("deployment %s of %s failed: %s", id, Revision(ro.TaskDefinition), why)
		}
		return dec
	}
	if n >= failFastAfter {
		dec.Phase = target.Failed
		dec.StopReason = reason
		dec.Message = fmt.Sprintf("%d tasks of deployment %s (%s) stopped with the same reason: %q", n, id, Revision(ro.TaskDefinition), reason)
		return dec
	}
	if current != ro.TaskDefinition {
		dec.Phase = target.Failed
		dec.Message = fmt.Sprintf("another deployment replaced ours: the service now runs %s, not %s", Revision(current), Revision(ro.TaskDefinition))
		return dec
	}
	primary := aws.ToString(dep.Status) == "PRIMARY"
	// ECS says COMPLETED once the service reached a steady state: the tasks passed their
	// load balancer and container health checks (after the grace period) and stayed up.
	// Until then running = desired proves nothing (a first deployment, the grace period,
	// a container that crashes a minute after it starts). ECS also says it in an event
	// naming the deployment, which is decided on the poll that shows it. Only a deployment
	// without a rolloutState (ECS gives none for some deployment types) is judged by its
	// counts: alone, running the desired count, nothing pending.
	completed := dep.RolloutState == types.DeploymentRolloutStateCompleted || completedEvent(svc, id)
	alone := dep.RolloutState == "" && len(svc.Deployments) == 1 && dep.RunningCount == dep.DesiredCount && dep.PendingCount == 0
	if primary && (completed || alone) {
		dec.Phase = target.Succeeded
		dec.Message = fmt.Sprintf("deployment %s of %s completed: %d/%d running", id, Revision(ro.TaskDefinition), dep.RunningCount, svc.DesiredCount)
		return dec
	}
	dec.Message = "waiting: " + DeploymentSummary(svc)
	return dec
}

// findDeployment is our deployment: by id when known, else the one on our task definition
// (the PRIMARY one first). A known id that left the list is not looked for by task definition:
// a deployment that did not change the task definition (network, load balancers, registries)
// shares it with the deployment before, which is what a circuit-breaker rollback restores.
func findDeployment(svc *types.Service, ro WatchedDeployment) *types.Deployment {
	if ro.Deployment != "" {
		for i := range svc.Deployments {
			if aws.ToString(svc.Deployments[i].Id) == ro.Deployment {
				return &svc.Deployments[i]
			}
		}
		return nil
	}
	var found *types.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.TaskDefinition) != ro.TaskDefinition {
			continue
		}
		if found == nil || aws.ToString(d.Status) == "PRIMARY" {
			found = d
		}
	}
	return found
}

// gone decides when our deployment is not (or no longer) in the service's list.
func gone(dec Decision, svc *types.Service, ro WatchedDeployment, stopped []types.Task) Decision {
	current := aws.ToString(svc.TaskDefinition)
	failed := ro.Deployment != "" && hasEvent(svc, "(deployment "+ro.Deployment+") deployment failed")
	back := ro.Previous != "" && current == ro.Previous &&
		(ro.Previous != ro.TaskDefinition || failed || rollingBack(svc) != "")
	switch {
	case ro.Deployment == "" && current == ro.TaskDefinition:
		dec.Message = "waiting for ECS to start the deployment of " + Revision(ro.TaskDefinition)
		return dec
	case back:
		// Our deployment already left the list: the circuit breaker's rollback completed (or
		// is under way on the deployment it returned to).
		dec.Phase = target.RolledBack
		dec.RolledBackTo = current
		dec.Message = fmt.Sprintf("the deployment of %s failed (ECS deployment circuit breaker); ECS rolled the service back to %s", what(ro), backTo(svc, ro))
		if reason, n := repeatedStopReason(stopped, ro, ro.Deployment); n > 0 {
			dec.StopReason = reason
			dec.Message += fmt.Sprintf(" (%d tasks stopped: %q)", n, reason)
		}
	case failed:
		dec.Phase = target.Failed
		dec.Message = fmt.Sprintf("deployment %s of %s failed (ECS deployment circuit breaker) and left the service, which now runs %s", ro.Deployment, Revision(ro.TaskDefinition), Revision(current))
	default:
		dec.Phase = target.Failed
		if current == ro.TaskDefinition {
			dec.Message = fmt.Sprintf("another deployment replaced ours (%s): the service runs %s under %s", ro.Deployment, Revision(current), primaryID(svc))
		} else {
			dec.Message = fmt.Sprintf("another deployment replaced ours: the service now runs %s, not %s", Revision(current), Revision(ro.TaskDefinition))
		}
	}
	return dec
}

// rolledBack reports whether our FAILED deployment was rolled back by the circuit breaker:
// the service is back on the task definition it ran before, under a PRIMARY deployment that
// is not ours. A FAILED deployment that is still PRIMARY was not rolled back (breaker without
// rollback), even when it kept the task definition (a settings-only deployment).
func rolledBack(svc *types.Service, dep *types.Deployment, ro WatchedDeployment) bool {
	return ro.Previous != "" && aws.ToString(svc.TaskDefinition) == ro.Previous &&
		aws.ToString(dep.Status) != "PRIMARY" && primaryID(svc) != aws.ToString(dep.Id)
}

// what names the change a rollout made: its revision, or its deployment when it kept the
// task definition.
func what(ro WatchedDeployment) string {
	if ro.TaskDefinition == ro.Previous && ro.Deployment != "" {
		return fmt.Sprintf("%s (deployment %s, settings only)", Revision(ro.TaskDefinition), ro.Deployment)
	}
	return Revision(ro.TaskDefinition)
}

// backTo names what the service was rolled back to: the revision, and the deployment ECS
// returned to when the revision did not change.
func backTo(svc *types.Service, ro WatchedDeployment) string {
	rev := Revision(aws.ToString(svc.TaskDefinition))
	if ro.TaskDefinition != ro.Previous {
		return rev
	}
	to := rollingBack(svc)
	if to == "" {
		to = primaryID(svc)
	}
	return fmt.Sprintf("its previous deployment %s (%s, with the settings it had)", to, rev)
}

// primaryID is the id of the service's PRIMARY deployment ("" when none is listed).
func primaryID(svc *types.Service) string {
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return aws.ToString(d.Id)
		}
	}
	return ""
}

// rollingBack is the deployment the circuit breaker is rolling back to, from the PRIMARY's
// rolloutStateReason ("ECS deployment circuit breaker: rolling back to deploymentId X."), or "".
func rollingBack(svc *types.Service) string {
	const marker = "rolling back to deploymentId "
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) != "PRIMARY" {
			continue
		}
		if _, id, ok := strings.Cut(aws.ToString(d.RolloutStateReason), marker); ok {
			id = strings.TrimRight(strings.TrimSpace(id), ".")
			if id == "" {
				id = aws.ToString(d.Id)
			}
			return id
		}
	}
	return ""
}

// completedEvent reports whether ECS's newest event about the deployment is "(service X)
// (deployment ID) deployment completed.". Only the newest counts: a circuit-breaker rollback
// returns to an earlier deployment under its id ("rolling back to deployment ID"), whose
// completion from before does not complete the rollback. ECS lists events newest first.
func completedEvent(svc *types.Service, id string) bool {
	if id == "" {
		return false
	}
	for _, e := range svc.Events {
		if m := aws.ToString(e.Message); strings.Contains(m, id+")") || strings.Contains(m, id+".") {
			return strings.Contains(m, "(deployment "+id+") deployment completed")
		}
	}
	return false
}

func hasEvent(svc *types.Service, s string) bool {
	for _, e := range svc.Events {
		if strings.Contains(aws.ToString(e.Message), s) {
			return true
		}
	}
	return false
}

// DeploymentSummary lists every deployment with its counts, PRIMARY first:
// "PRIMARY web:3 IN_PROGRESS 1/2 running, 1 pending · ACTIVE web:2 2/2 running".
func DeploymentSummary(svc *types.Service) string {
	var parts []string
	for _, d := range svc.Deployments {
		s := fmt.Sprintf("%s %s", aws.ToString(d.Status), Revision(aws.ToString(d.TaskDefinition)))
		if d.RolloutState != "" {
			s += " " + string(d.RolloutState)
		}
		s += fmt.Sprintf(" %d/%d running", d.RunningCount, d.DesiredCount)
		if d.PendingCount > 0 {
			s += fmt.Sprintf(", %d pending", d.PendingCount)
		}
		if d.FailedTasks > 0 {
			s += fmt.Sprintf(", %d failed", d.FailedTasks)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no deployments yet"
	}
	return strings.Join(parts, " · ")
}

// repeatedStopReason finds the failure that most tasks of our deployment stopped with. Tasks
// are ours when ECS started them for our deployment (startedBy), or, when that is unknown, when
// they run our task definition. It returns the newest wording of that failure and how many
// tasks stopped with it.
func repeatedStopReason(tasks []types.Task, ro WatchedDeployment, deployment string) (string, int) {
	type group struct {
		n    int
		text string
		at   int64
	}
	groups := map[string]*group{}
	var keys []string
	for _, t := range tasks {
		if !ours(t, ro, deployment) {
			continue
		}
		key, text, ok := StopFailure(t)
		if !ok {
			continue
		}
		g := groups[key]
		if g == nil {
			g = &group{at: -1}
			groups[key] = g
			keys = append(keys, key)
		}
		g.n++
		at := int64(0)
		if t.StoppedAt != nil {
			at = t.StoppedAt.UnixNano()
		} else if t.StoppingAt != nil {
			at = t.StoppingAt.UnixNano()
		}
		if at >= g.at {
			g.at, g.text = at, text
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return groups[keys[i]].n > groups[keys[j]].n })
	if len(keys) == 0 {
		return "", 0
	}
	g := groups[keys[0]]
	return g.text, g.n
}

func ours(t types.Task, ro WatchedDeployment, deployment string) bool {
	if aws.ToString(t.LastStatus) != "STOPPED" && aws.ToString(t.DesiredStatus) != "STOPPED" {
		return false
	}
	if by := aws.ToString(t.StartedBy); by != "" && deployment != "" {
		return by == deployment
	}
	return aws.ToString(t.TaskDefinitionArn) == ro.TaskDefinition
}

// failurePrefixes are stop reasons that mean the task itself cannot run (as opposed to the
// scheduler, a user or Spot stopping it). They do not fix themselves by waiting.
var failurePrefixes = []string{
	"CannotPullContainerError",
	"ResourceInitializationError",
	"CannotStartContainerError",
	"CannotCreateVolumeError",
	"CannotInspectContainerError",
	"ContainerRuntimeError",
	"OutOfMemoryError",
	"Essential container in task exited",
	"Task failed container health checks",
	"Task failed ELB health checks",
}

// healthCheckPrefixes are the stoppedReasons of tasks the scheduler replaced because they
// failed a health check.
var healthCheckPrefixes = []string{"Task failed ELB health checks", "Task failed container health checks"}

func healthCheckFailure(reason string) bool {
	for _, p := range healthCheckPrefixes {
		if strings.HasPrefix(reason, p) {
			return true
		}
	}
	return false
}

// StopFailure says whether a stopped task failed, and how: a key that groups tasks failing the
// same way, and the text to quote (the task's stoppedReason, with the exiting container's name,
// exit code and reason when an essential container exited).
//
// The service scheduler stops tasks for two kinds of reasons: its own work (a deployment or
// scale-in replacing them: "Scaling activity initiated by (deployment …)"), which is no
// failure, and health checks the task failed ("Task failed ELB health checks in (target-group
// …)", "Task failed container health checks"), which are: ECS counts them in the deployment's
// failedTasks and they repeat until the circuit breaker gives up. Only the reason tells them
// apart.
func StopFailure(t types.Task) (key, text string, ok bool) {
	reason := strings.TrimSpace(aws.ToString(t.StoppedReason))
	switch t.StopCode {
	case types.TaskStopCodeServiceSchedulerInitiated:
		if !healthCheckFailure(reason) {
			return "", "", false
		}
	case types.TaskStopCodeUserInitiated, types.TaskStopCodeSpotInterruption, types.TaskStopCodeTerminationNotice:
		return "", "", false
	}
	known := ""
	for _, p := range failurePrefixes {
		if strings.HasPrefix(reason, p) {
			known = p
			break
		}
	}
	failedCode := t.StopCode == types.TaskStopCodeTaskFailedToStart || t.StopCode == types.TaskStopCodeEssentialContainerExited
	if known == "" && !failedCode {
		return "", "", false
	}
	if reason == "" {
		reason = string(t.StopCode)
	}
	key = known
	if key == "" {
		key, _, _ = strings.Cut(reason, ":")
	}
	text = reason
	if t.StopCode == types.TaskStopCodeEssentialContainerExited || known == "Essential container in task exited" {
		for _, c := range t.Containers {
			if c.ExitCode == nil || *c.ExitCode == 0 {
				continue
			}
			text = fmt.Sprintf("%s (container %s exited with code %d", reason, aws.ToString(c.Name), *c.ExitCode)
			if r := aws.ToString(c.Reason); r != "" {
				text += ": " + r
			}
			text += ")"
			key = fmt.Sprintf("%s/%s/%d", key, aws.ToString(c.Name), *c.ExitCode)
			break
		}
	} else if text == string(t.StopCode) {
		// No task-level reason: the container's says what went wrong.
		for _, c := range t.Containers {
			if r := aws.ToString(c.Reason); r != "" {
				text = r
				key, _, _ = strings.Cut(r, ":")
				break
			}
		}
	}
	return key, text, true
}

// Revision shortens a task definition ARN to family:revision.
func Revision(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

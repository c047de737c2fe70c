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

// Rollout names the deployment a watch follows.
type Rollout struct {
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
// of our deployment (design §6). It is a pure function: the watch loop only feeds it what the
// API returned.
//
//   - Succeeded: our deployment is PRIMARY with rolloutState COMPLETED (or running = desired
//     with no other deployment left), and the service still points at our task definition.
//   - RolledBack: our deployment FAILED (or vanished) and the service is back on the previous
//     task definition: the circuit breaker rolled it back. Never a success.
//   - Failed: our deployment FAILED without a rollback (the service still on ours, or on a
//     third revision that is neither ours nor the previous), another deployment replaced ours, the
//     service was deleted, or tasks of our deployment keep stopping for the same reason
//     (CannotPullContainerError, ResourceInitializationError, an essential container exiting).
//   - Progressing otherwise, with the counts of every deployment.
func Evaluate(svc *types.Service, ro Rollout, stopped []types.Task) Decision {
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
		switch {
		case current == ro.TaskDefinition:
			dec.Message = "waiting for ECS to start the deployment of " + Revision(ro.TaskDefinition)
		case ro.Previous != "" && current == ro.Previous:
			// Our deployment already left the list: the circuit breaker's rollback completed.
			dec.Phase = target.RolledBack
			dec.RolledBackTo = current
			dec.Message = fmt.Sprintf("the deployment of %s failed (ECS deployment circuit breaker); ECS rolled the service back to %s", Revision(ro.TaskDefinition), Revision(current))
			if reason, n := repeatedStopReason(stopped, ro, ro.Deployment); n > 0 {
				dec.StopReason = reason
				dec.Message += fmt.Sprintf(" (%d tasks stopped: %q)", n, reason)
			}
		default:
			dec.Phase = target.Failed
			dec.Message = fmt.Sprintf("another deployment replaced ours: the service now runs %s, not %s", Revision(current), Revision(ro.TaskDefinition))
		}
		return dec
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
		case ro.Previous != "" && current == ro.Previous:
			dec.Phase = target.RolledBack
			dec.RolledBackTo = current
			dec.Message = fmt.Sprintf("deployment %s of %s failed (%s); ECS rolled the service back to %s", id, Revision(ro.TaskDefinition), why, Revision(current))
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
	completed := dep.RolloutState == types.DeploymentRolloutStateCompleted
	alone := len(svc.Deployments) == 1 && dep.RunningCount == dep.DesiredCount && dep.PendingCount == 0
	if primary && (completed || alone) {
		dec.Phase = target.Succeeded
		dec.Message = fmt.Sprintf("deployment %s of %s completed: %d/%d running", id, Revision(ro.TaskDefinition), dep.RunningCount, svc.DesiredCount)
		return dec
	}
	dec.Message = "waiting: " + DeploymentSummary(svc)
	return dec
}

// findDeployment is our deployment: by id when known, else the one on our task definition
// (the PRIMARY one first).
func findDeployment(svc *types.Service, ro Rollout) *types.Deployment {
	if ro.Deployment != "" {
		for i := range svc.Deployments {
			if aws.ToString(svc.Deployments[i].Id) == ro.Deployment {
				return &svc.Deployments[i]
			}
		}
	}
	var found *types.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.TaskDefinition) != ro.TaskDefinition {
			continue
		}
		if ro.Deployment != "" && aws.ToString(d.Status) != "PRIMARY" {
			// Our own deployment left; an older one on the same task definition is not ours.
			continue
		}
		if found == nil || aws.ToString(d.Status) == "PRIMARY" {
			found = d
		}
	}
	return found
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
func repeatedStopReason(tasks []types.Task, ro Rollout, deployment string) (string, int) {
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

func ours(t types.Task, ro Rollout, deployment string) bool {
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

// StopFailure says whether a stopped task failed, and how: a key that groups tasks failing the
// same way, and the text to quote (the task's stoppedReason, with the exiting container's name,
// exit code and reason when an essential container exited).
func StopFailure(t types.Task) (key, text string, ok bool) {
	switch t.StopCode {
	case types.TaskStopCodeServiceSchedulerInitiated, types.TaskStopCodeUserInitiated,
		types.TaskStopCodeSpotInterruption, types.TaskStopCodeTerminationNotice:
		return "", "", false
	}
	reason := strings.TrimSpace(aws.ToString(t.StoppedReason))
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

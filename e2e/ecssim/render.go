package ecssim

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Rendering turns the simulator's state into ECS's awsJson shapes. Every field is built in the
// type the ECS API model declares (timestamps as epoch numbers, task and container cpu/memory as
// strings), because aws-sdk-go-v2 rejects a mismatched type outright.

// overlay writes the simulated rollout onto moto's service object: moto's other fields
// (load balancers, network configuration, tags...) stay as moto stored them.
func (s *service) overlay(m obj) {
	var running, pending int
	deps := []any{}
	if !s.deleted {
		for i, d := range s.deployments {
			c := s.countsOf(d)
			running += c.running
			pending += c.pending
			deps = append(deps, s.renderDeployment(i, c))
		}
		// service.taskDefinition is the PRIMARY's: after a rollback, the old one again.
		m["taskDefinition"] = s.primary().td.arn
	}
	m["deployments"] = deps
	m["desiredCount"] = s.desired
	m["runningCount"] = running
	m["pendingCount"] = pending
	m["deploymentConfiguration"] = s.config.raw
	m["events"] = s.renderEvents()
}

func (s *service) renderDeployment(i int, c counts) obj {
	d := s.deployments[i]
	status := "ACTIVE"
	if i == 0 {
		status = "PRIMARY"
	}
	out := maps.Clone(d.fields)
	if out == nil {
		out = obj{}
	}
	maps.Copy(out, obj{
		"id":                 d.id,
		"status":             status,
		"taskDefinition":     d.td.arn,
		"desiredCount":       s.deploymentDesired(i),
		"pendingCount":       c.pending,
		"runningCount":       c.running,
		"failedTasks":        d.failed,
		"createdAt":          epoch(d.createdAt),
		"updatedAt":          epoch(d.updatedAt),
		"rolloutState":       d.rollout,
		"rolloutStateReason": d.reason,
	})
	return out
}

// renderEvents lists events newest first, as ECS does.
func (s *service) renderEvents() []any {
	out := make([]any, 0, len(s.events))
	for i := len(s.events) - 1; i >= 0; i-- {
		e := s.events[i]
		out = append(out, obj{"id": e.id, "createdAt": epoch(e.at), "message": e.message})
	}
	return out
}

// renderTask builds a DescribeTasks entry for one of the service's tasks.
func (s *service) renderTask(tk *task) obj {
	td := tk.dep.td
	o := obj{
		"taskArn":           tk.arn,
		"clusterArn":        clusterARN(s.key.scope, s.key.cluster),
		"taskDefinitionArn": td.arn,
		"group":             "service:" + s.key.service,
		"startedBy":         tk.dep.id,
		"lastStatus":        tk.lastStatus,
		"desiredStatus":     tk.desiredStatus,
		"healthStatus":      "UNKNOWN",
		"availabilityZone":  s.key.region + "a",
		"version":           tk.version,
		"attachments":       []any{},
		"tags":              []any{},
		"overrides":         obj{"containerOverrides": []any{}, "inferenceAcceleratorOverrides": []any{}},
	}
	if lt := str(tk.dep.fields, "launchType"); lt != "" {
		o["launchType"] = lt
	}
	if td.cpu != "" {
		o["cpu"] = td.cpu
	}
	if td.memory != "" {
		o["memory"] = td.memory
	}
	putTime(o, "createdAt", tk.createdAt)
	if !tk.startedAt.IsZero() {
		putTime(o, "startedAt", tk.startedAt)
		putTime(o, "connectivityAt", tk.startedAt)
		o["connectivity"] = "CONNECTED"
	}
	if tk.desiredStatus == statusStopped {
		putTime(o, "stoppingAt", tk.stoppingAt)
		o["stopCode"] = tk.stop.code
		o["stoppedReason"] = tk.stop.reason
	}
	if tk.lastStatus == statusStopped {
		putTime(o, "stoppedAt", tk.stoppedAt)
		putTime(o, "executionStoppedAt", tk.stoppedAt)
	}
	containers := make([]any, 0, len(td.containers))
	for i, c := range td.containers {
		containers = append(containers, renderContainer(tk, i, c))
	}
	o["containers"] = containers
	return o
}

func renderContainer(tk *task, i int, c tdContainer) obj {
	o := obj{
		"containerArn":      containerARN(tk.arn, i),
		"taskArn":           tk.arn,
		"name":              c.name,
		"image":             c.image,
		"lastStatus":        tk.lastStatus,
		"healthStatus":      "UNKNOWN",
		"cpu":               strconv.Itoa(c.cpu),
		"networkInterfaces": []any{},
		"networkBindings":   []any{},
	}
	if c.memory > 0 {
		o["memory"] = strconv.Itoa(c.memory)
	}
	if tk.lastStatus == statusStopped && tk.stop.container == i {
		if tk.stop.containerReason != "" {
			o["reason"] = tk.stop.containerReason
		}
		if tk.stop.exitCode != nil {
			o["exitCode"] = *tk.stop.exitCode
		}
	} else if tk.lastStatus == statusStopped && !tk.startedAt.IsZero() {
		// Stopped by the scheduler: the container got SIGTERM and exited cleanly.
		o["exitCode"] = 0
	}
	return o
}

// containerARN is ECS's container/CLUSTER/TASK/ID form; the id only needs to be stable.
func containerARN(taskArn string, i int) string {
	return fmt.Sprintf("%s/%08x-0000-4000-8000-%012x", strings.Replace(taskArn, ":task/", ":container/", 1), i, i)
}

// stateSnapshot is GET /_ecssim/state: the simulator's view of one service, for debugging.
func (s *service) stateSnapshot() obj {
	m := obj{
		"account":  s.key.account,
		"region":   s.key.region,
		"cluster":  s.key.cluster,
		"service":  s.key.service,
		"deleted":  s.deleted,
		"steady":   s.steady,
		"lastTick": s.lastTick.Format(time.RFC3339Nano),
	}
	s.overlay(m)
	tasks := make([]any, 0, len(s.tasks))
	for _, tk := range s.tasks {
		tasks = append(tasks, obj{"id": tk.id, "deployment": tk.dep.id, "lastStatus": tk.lastStatus,
			"desiredStatus": tk.desiredStatus, "stoppedReason": tk.stop.reason})
	}
	m["tasks"] = tasks
	return m
}

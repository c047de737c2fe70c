package ecssim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// RunTask and StopTask, and what DescribeTasks and ListTasks show of the standalone tasks
// RunTask starts. moto's RunTask stores a task that never runs (it is RUNNING from the start
// and stays so), and it cannot take every valid request: it crashes (HTTP 500) on a task
// definition whose container sets no memory of its own, which Fargate allows (task-level
// memory), and on an awsvpcConfiguration without securityGroups, and it places nothing with a
// capacity provider strategy. So the simulator answers RunTask itself, after checking the
// cluster and the task definition with moto, and keeps the tasks: they run as runtask_model.go
// says and log as runtask_logs.go says.

// maxRunTasks bounds the standalone tasks kept per cluster (the oldest go first); ECS shows a
// stopped task for at least an hour, which no test outlives.
const maxRunTasks = 200

func (s *Simulator) runTask(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := decodeObj(body)
	if err != nil {
		writeAWSError(w, http.StatusBadRequest, "SerializationException", "ecssim: "+err.Error())
		return
	}
	sc, cluster := scopeOf(r), clusterName(str(req, "cluster"))
	if ok, err := s.clusterExists(r, cluster); err != nil {
		s.motoDown(w, err)
		return
	} else if !ok {
		writeAWSError(w, http.StatusBadRequest, "ClusterNotFoundException", "Cluster not found.")
		return
	}
	td, mode, logs, err := s.describeRunTaskDef(r.Context(), r.Header, str(req, "taskDefinition"))
	if err != nil {
		s.motoDown(w, err)
		return
	}
	if td == nil {
		// RunTask on an unknown task definition: "ClientException: TaskDefinition not found."
		writeAWSError(w, http.StatusBadRequest, "ClientException", "TaskDefinition not found.")
		return
	}
	if msg := runTaskInvalid(req, mode); msg != "" {
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", msg)
		return
	}
	s.checkLogGroups(r.Context(), sc.account, sc.region, td)
	count := intField(req, "count", 1)
	now := s.now()
	s.mu.Lock()
	step := s.settings.Step
	tasks := make([]any, 0, count)
	for range count {
		rt := newRunTask(runKey{sc, cluster, s.ids.taskID()}, td, logs, req, now, step)
		s.runs[rt.key] = rt
		tasks = append(tasks, rt.render(now, step))
		s.log.Info("run task started", "cluster", cluster, "task", rt.key.id, "exitCode", rt.exitCode, "runFor", rt.runFor)
	}
	s.trimRuns(sc, cluster)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, "", obj{"tasks": tasks, "failures": []any{}})
}

// runTaskInvalid is the InvalidParameterException ECS answers for a request it refuses, "" for
// a valid one.
func runTaskInvalid(req obj, networkMode string) string {
	count := intField(req, "count", 1)
	av := child(child(req, "networkConfiguration"), "awsvpcConfiguration")
	switch {
	case count < 1 || count > 10:
		// ECS API reference, RunTask: count "Valid Range: Minimum value of 1. Maximum value
		// of 10."
		return "Count must be between 1 and 10."
	case str(req, "launchType") != "" && len(list(req, "capacityProviderStrategy")) > 0:
		// RunTask: "When you use cluster auto scaling, you must specify capacityProviderStrategy
		// and not launchType."; both together are refused.
		return "Specifying both a launch type and capacity provider strategy is not supported."
	case networkMode == "awsvpc" && len(list(av, "subnets")) == 0:
		// moto's wording of ECS's refusal; RunTask: networkConfiguration "is required for task
		// definitions that use the awsvpc network mode".
		return "Network Configuration must be provided when networkMode 'awsvpc' is specified."
	}
	return ""
}

// newRunTask fixes a new task's timeline from its request: the command override of an
// essential container decides its exit code and run time; a fail-pull or fail-secrets image,
// or a missing log group, keeps it from starting (scenario.go).
func newRunTask(key runKey, td *taskDef, logs map[string]awslogsTarget, req obj, now time.Time, step time.Duration) *runTask {
	rt := &runTask{key: key, arn: taskARN(key.scope, key.cluster, key.id), td: td, logs: logs, req: req, decider: -1, created: now}
	for _, o := range list(child(req, "overrides"), "containerOverrides") {
		o, _ := o.(obj)
		i := slices.IndexFunc(td.containers, func(c tdContainer) bool { return c.name == str(o, "name") })
		if i < 0 || !td.containers[i].essential || rt.decider >= 0 || o["command"] == nil {
			continue
		}
		rt.decider = i
		for _, a := range list(o, "command") {
			s, _ := a.(string)
			rt.command = append(rt.command, s)
		}
	}
	rt.exitCode = commandExit(rt.command)
	rt.runFor = commandRunTime(rt.command, step)
	if sc := scenarioOf(td); sc.failsBeforeStart() {
		rt.failure = sc.failure(td)
	}
	return rt
}

func (s *Simulator) stopTask(w http.ResponseWriter, r *http.Request, body []byte) {
	req, _ := decodeObj(body)
	key := runKey{scopeOf(r), clusterName(str(req, "cluster")), lastSegment(str(req, "task"))}
	now := s.now()
	s.mu.Lock()
	rt := s.runs[key]
	if rt == nil {
		s.mu.Unlock()
		s.forward(w, r, "StopTask", body) // a task moto knows, or moto's error
		return
	}
	step := s.settings.Step
	if rt.stoppedBy.IsZero() && rt.at(now, step).desired == statusRunning {
		rt.stoppedBy = now
		// The reason shows in later DescribeTasks (ECS API reference, StopTask); without one,
		// ECS gives its generic "Stopped by user.", as published reports of StopTask calls
		// without a reason quote it.
		rt.stopReason = str(req, "reason")
		if rt.stopReason == "" {
			rt.stopReason = "Stopped by user."
		}
		s.log.Info("run task stopped", "cluster", key.cluster, "task", key.id, "reason", rt.stopReason)
	}
	task := rt.render(now, step)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, "", obj{"task": task})
}

// runTasksFor adds the cluster's standalone tasks that req names to byID (DescribeTasks), and
// returns the log lines of those that started since they were last described, to be written
// once the lock is released (writeRunLogs). The caller holds s.mu.
func (s *Simulator) runTasksFor(r *http.Request, req obj, byID map[string]obj) []taskLog {
	sc, cluster := scopeOf(r), clusterName(str(req, "cluster"))
	now, step := s.now(), s.settings.Step
	var due []taskLog
	for _, ref := range list(req, "tasks") {
		ref, _ := ref.(string)
		rt := s.runs[runKey{sc, cluster, lastSegment(ref)}]
		if rt == nil {
			continue
		}
		byID[rt.key.id] = rt.render(now, step)
		if v := rt.at(now, step); !rt.logged && !v.started.IsZero() {
			rt.logged = true
			due = append(due, rt.logLines(v.started)...)
		}
	}
	return due
}

// runTasksListed are the ARNs of the cluster's standalone tasks that a ListTasks request
// matches: desiredStatus, family, startedBy, launchType; none for a serviceName. The caller
// holds s.mu.
func (s *Simulator) runTasksListed(r *http.Request, req obj, want string) []any {
	if str(req, "serviceName") != "" {
		return nil
	}
	sc, cluster := scopeOf(r), clusterName(str(req, "cluster"))
	now, step := s.now(), s.settings.Step
	var keys []runKey
	for k, rt := range s.runs {
		if k.scope != sc || k.cluster != cluster || rt.at(now, step).desired != want ||
			(str(req, "family") != "" && str(req, "family") != rt.td.family) ||
			(str(req, "startedBy") != "" && str(req, "startedBy") != str(rt.req, "startedBy")) ||
			(str(req, "launchType") != "" && str(req, "launchType") != "FARGATE") {
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b runKey) int { return s.runs[a].created.Compare(s.runs[b].created) })
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.runs[k].arn)
	}
	return out
}

// trimRuns forgets the oldest standalone tasks of a cluster beyond maxRunTasks. The caller
// holds s.mu.
func (s *Simulator) trimRuns(sc scope, cluster string) {
	var keys []runKey
	for k := range s.runs {
		if k.scope == sc && k.cluster == cluster {
			keys = append(keys, k)
		}
	}
	if len(keys) <= maxRunTasks {
		return
	}
	slices.SortFunc(keys, func(a, b runKey) int { return s.runs[a].created.Compare(s.runs[b].created) })
	for _, k := range keys[:len(keys)-maxRunTasks] {
		delete(s.runs, k)
	}
}

// clusterExists asks moto whether the cluster is there (and ACTIVE).
func (s *Simulator) clusterExists(r *http.Request, cluster string) (bool, error) {
	body, _ := json.Marshal(obj{"clusters": []any{cluster}})
	rep, err := s.callMoto(r.Context(), r.Header, "DescribeClusters", body)
	if err != nil {
		return false, err
	}
	resp, err := decodeObj(rep.body)
	if err != nil || !rep.ok() {
		return false, fmt.Errorf("moto DescribeClusters: HTTP %d: %s", rep.status, rep.body)
	}
	for _, c := range list(resp, "clusters") {
		if c, _ := c.(obj); str(c, "clusterName") == cluster && str(c, "status") == "ACTIVE" {
			return true, nil
		}
	}
	return false, nil
}

// describeRunTaskDef reads a task definition from moto: what the simulator needs of it, its
// network mode, and where each container's awslogs go; a nil taskDef when moto does not know it.
func (s *Simulator) describeRunTaskDef(ctx context.Context, in http.Header, ref string) (*taskDef, string, map[string]awslogsTarget, error) {
	body, _ := json.Marshal(obj{"taskDefinition": ref})
	rep, err := s.callMoto(ctx, in, "DescribeTaskDefinition", body)
	if err != nil {
		return nil, "", nil, err
	}
	resp, err := decodeObj(rep.body)
	if err != nil || !rep.ok() {
		return nil, "", nil, nil
	}
	td := taskDefFrom(resp)
	if td.arn == "" {
		return nil, "", nil, nil
	}
	logs := map[string]awslogsTarget{}
	for _, c := range list(child(resp, "taskDefinition"), "containerDefinitions") {
		c, _ := c.(obj)
		lc := child(c, "logConfiguration")
		opts := child(lc, "options")
		if str(lc, "logDriver") == "awslogs" && str(opts, "awslogs-group") != "" && str(opts, "awslogs-stream-prefix") != "" {
			logs[str(c, "name")] = awslogsTarget{group: str(opts, "awslogs-group"), prefix: str(opts, "awslogs-stream-prefix")}
		}
	}
	return td, str(child(resp, "taskDefinition"), "networkMode"), logs, nil
}

package ecssim

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Standalone tasks (RunTask): what one does over time, and how DescribeTasks shows it. Like
// the services, a task's state is a function of the clock and the calls made: its timeline is
// fixed when RunTask starts it (and when StopTask stops it), and read lazily.
//
// The task lifecycle (ECS developer guide, "Amazon ECS task lifecycle"): PROVISIONING, PENDING,
// ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED. The simulator shows
// one step of each of PROVISIONING and PENDING, RUNNING for as long as the command runs, one
// step of DEPROVISIONING (the containers have stopped, the exit code is there, the task is not
// STOPPED yet), then STOPPED.

// runKey names a standalone task the way moto separates state: account, region, cluster.
type runKey struct {
	scope
	cluster string
	id      string
}

// awslogsTarget is where a container's awslogs driver writes: its log group and stream prefix.
type awslogsTarget struct{ group, prefix string }

// runTask is one task RunTask started.
type runTask struct {
	key  runKey
	arn  string
	td   *taskDef
	logs map[string]awslogsTarget // by container name
	req  obj                      // the RunTask request: overrides, startedBy, group, placement, network
	// decider is the index of the essential container whose command override decides how the
	// task ends (-1: none); command is that override.
	decider  int
	command  []string
	exitCode int
	runFor   time.Duration
	failure  stopInfo // a fail-pull or fail-secrets image: the task never starts
	created  time.Time
	// stoppedBy is when StopTask came (zero: never), with its reason.
	stoppedBy  time.Time
	stopReason string
	// logged is set once the container's log lines were written.
	logged bool
}

var (
	// exitAtEnd is "exit N" ending a command line: `sh -c "…; exit 3"`.
	exitAtEnd = regexp.MustCompile(`(?:^|[\s;&|(])exit\s+(\d+)\s*\)?\s*$`)
	// sleepFor is "sleep N" (whole seconds) anywhere in a command line.
	sleepFor = regexp.MustCompile(`(?:^|[\s;&|(])sleep\s+(\d+)(?:\s|;|&|\||\)|$)`)
	// echoed is one "echo WORDS" segment of a command line (split at ;, &&, || and newlines).
	echoed   = regexp.MustCompile(`^\s*echo\s+(.*?)\s*$`)
	segments = regexp.MustCompile(`;|&&|\|\||\n`)
)

// commandLine is the shell script of `sh -c SCRIPT` (bash, ash, dash, zsh alike), else the
// command's words joined.
func commandLine(cmd []string) string {
	if len(cmd) >= 3 && cmd[1] == "-c" {
		switch path.Base(cmd[0]) {
		case "sh", "bash", "ash", "dash", "zsh":
			return cmd[2]
		}
	}
	return strings.Join(cmd, " ")
}

// commandExit is how a container with this command exits: N when its command line ends in
// "exit N" (the shell's status is N modulo 256: POSIX, "exit": "If n is specified, but its
// value is not between 0 and 255 inclusively, the exit status is undefined" and shells take
// the low 8 bits), else 0.
func commandExit(cmd []string) int {
	m := exitAtEnd.FindStringSubmatch(commandLine(cmd))
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 255
	}
	return n % 256
}

// commandRunTime is how long the command runs: the "sleep N" in it added up, at least one
// step.
func commandRunTime(cmd []string, step time.Duration) time.Duration {
	total := time.Duration(0)
	for _, m := range sleepFor.FindAllStringSubmatch(commandLine(cmd), -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			total += time.Duration(n) * time.Second
		}
	}
	return max(total, step)
}

// commandOutput is what the command prints: one line per "echo" in it, quotes removed.
func commandOutput(cmd []string) []string {
	var out []string
	for _, seg := range segments.Split(commandLine(cmd), -1) {
		if m := echoed.FindStringSubmatch(seg); m != nil {
			out = append(out, strings.Trim(m[1], `"'`))
		}
	}
	return out
}

// runView is the task at one instant.
type runView struct {
	last, desired string
	pullStarted   time.Time
	started       time.Time // RUNNING since (zero: never ran)
	stopping      time.Time // desired STOPPED since
	execStopped   time.Time // the containers stopped
	stopped       time.Time // STOPPED since
	stop          stopInfo
	// exit is the deciding container's exit code once it has exited (nil: none).
	exit *int
}

// sigtermExit is the exit code of a process that SIGTERM ended: 128 + 15, the shell's
// convention for a command that a signal killed (POSIX, "Exit Status for Commands": "greater
// than 128"; bash(1), EXIT STATUS: "128+n"). StopTask sends SIGTERM (ECS API reference,
// StopTask: "the equivalent of docker stop is issued ... This results in a SIGTERM value").
const sigtermExit = 143

// at is the task at instant t, with steps of step.
func (rt *runTask) at(t time.Time, step time.Duration) runView {
	v := runView{last: "PROVISIONING", desired: statusRunning}
	pendingAt := rt.created.Add(step)
	startAt := rt.created.Add(2 * step)
	endAt := startAt.Add(rt.runFor) // the command exits
	end := stopInfo{code: "EssentialContainerExited", reason: "Essential container in task exited", container: rt.decider}
	if rt.failure.code != "" {
		endAt, end = startAt, rt.failure
	}
	if !rt.stoppedBy.IsZero() && rt.stoppedBy.Before(endAt) {
		// StopTask came first: ECS API reference, StopTask; ECS developer guide, "Amazon
		// ECS stopped task error codes": UserInitiated.
		endAt = rt.stoppedBy
		end = stopInfo{code: "UserInitiated", reason: rt.stopReason, container: -1}
		if !endAt.Before(startAt) {
			end.container = rt.decider
		}
	}
	if !t.Before(pendingAt) {
		v.last, v.pullStarted = statusPending, pendingAt
	}
	if !t.Before(startAt) && endAt.After(startAt) {
		v.last, v.started = statusRunning, startAt
	}
	if t.Before(endAt) {
		return v
	}
	v.desired, v.stopping, v.stop = statusStopped, endAt, end
	if !v.started.IsZero() {
		code := rt.exitCode
		if end.code == "UserInitiated" {
			code = sigtermExit
		}
		v.exit = &code
		v.execStopped = endAt
	}
	v.last = "DEPROVISIONING"
	if stoppedAt := endAt.Add(step); !t.Before(stoppedAt) {
		v.last, v.stopped = statusStopped, stoppedAt
	}
	return v
}

// render is the task as DescribeTasks (and RunTask, StopTask) shows it at t: ECS's Task shape,
// in the types its model declares (epoch-second timestamps, cpu and memory as strings).
func (rt *runTask) render(t time.Time, step time.Duration) obj {
	v := rt.at(t, step)
	td := rt.td
	group := str(rt.req, "group")
	if group == "" {
		group = "family:" + td.family
	}
	overrides := child(rt.req, "overrides")
	if overrides == nil {
		overrides = obj{}
	}
	if overrides["containerOverrides"] == nil {
		overrides["containerOverrides"] = []any{}
	}
	if overrides["inferenceAcceleratorOverrides"] == nil {
		overrides["inferenceAcceleratorOverrides"] = []any{}
	}
	o := obj{
		"taskArn":              rt.arn,
		"clusterArn":           clusterARN(rt.key.scope, rt.key.cluster),
		"taskDefinitionArn":    td.arn,
		"group":                group,
		"lastStatus":           v.last,
		"desiredStatus":        v.desired,
		"healthStatus":         "UNKNOWN",
		"availabilityZone":     rt.key.region + "a",
		"platformFamily":       "Linux",
		"version":              1,
		"overrides":            overrides,
		"attachments":          rt.attachments(v),
		"tags":                 []any{},
		"enableExecuteCommand": boolField(rt.req, "enableExecuteCommand"),
	}
	if sb := str(rt.req, "startedBy"); sb != "" {
		o["startedBy"] = sb
	}
	// A capacity provider strategy places the task with one of its providers; Fargate tasks
	// report the FARGATE launch type either way.
	o["launchType"] = "FARGATE"
	if cps := list(rt.req, "capacityProviderStrategy"); len(cps) > 0 {
		if first, _ := cps[0].(obj); str(first, "capacityProvider") != "" {
			o["capacityProviderName"] = str(first, "capacityProvider")
		}
	} else if lt := str(rt.req, "launchType"); lt != "" {
		o["launchType"] = lt
	}
	o["platformVersion"] = "1.4.0" // what LATEST means on Fargate Linux
	if pv := str(rt.req, "platformVersion"); pv != "" && pv != "LATEST" {
		o["platformVersion"] = pv
	}
	if td.cpu != "" {
		o["cpu"] = td.cpu
	}
	if td.memory != "" {
		o["memory"] = td.memory
	}
	putTime(o, "createdAt", rt.created)
	putTime(o, "pullStartedAt", v.pullStarted)
	if !v.started.IsZero() {
		putTime(o, "pullStoppedAt", v.started)
		putTime(o, "startedAt", v.started)
		putTime(o, "connectivityAt", v.started)
		o["connectivity"] = "CONNECTED"
	}
	if v.desired == statusStopped {
		putTime(o, "stoppingAt", v.stopping)
		putTime(o, "executionStoppedAt", v.execStopped)
		o["stopCode"] = v.stop.code
		o["stoppedReason"] = v.stop.reason
	}
	putTime(o, "stoppedAt", v.stopped)
	containers := make([]any, 0, len(td.containers))
	for i, c := range td.containers {
		containers = append(containers, rt.renderContainer(v, i, c))
	}
	o["containers"] = containers
	return o
}

func (rt *runTask) renderContainer(v runView, i int, c tdContainer) obj {
	o := obj{
		"containerArn":      containerARN(rt.arn, i),
		"taskArn":           rt.arn,
		"name":              c.name,
		"image":             c.image,
		"lastStatus":        statusPending,
		"healthStatus":      "UNKNOWN",
		"cpu":               strconv.Itoa(c.cpu),
		"networkInterfaces": []any{},
		"networkBindings":   []any{},
	}
	if c.memory > 0 {
		o["memory"] = strconv.Itoa(c.memory)
	}
	switch {
	case !v.execStopped.IsZero():
		o["lastStatus"] = statusStopped
		if i == rt.decider && v.exit != nil {
			o["exitCode"] = *v.exit
		} else {
			// The other containers are stopped once the essential one has exited.
			o["exitCode"] = 0
		}
	case v.desired == statusStopped:
		o["lastStatus"] = statusStopped
		if i == v.stop.container && v.stop.containerReason != "" {
			o["reason"] = v.stop.containerReason
		}
	case !v.started.IsZero():
		o["lastStatus"] = statusRunning
	}
	return o
}

// attachments is the task's elastic network interface in the request's first subnet, as
// awsvpc tasks show it (ECS API reference, Attachment: type ElasticNetworkInterface, details
// subnetId, networkInterfaceId, privateIPv4Address).
func (rt *runTask) attachments(v runView) []any {
	av := child(child(rt.req, "networkConfiguration"), "awsvpcConfiguration")
	subnets := list(av, "subnets")
	if len(subnets) == 0 {
		return []any{}
	}
	status := "ATTACHED"
	switch {
	case v.last == "PROVISIONING":
		status = "PRECREATED"
	case v.last == statusStopped:
		status = "DELETED"
	}
	n, _ := strconv.ParseUint(rt.key.id[:8], 16, 32)
	return []any{obj{
		"id":     fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n),
		"type":   "ElasticNetworkInterface",
		"status": status,
		"details": []any{
			obj{"name": "subnetId", "value": subnets[0]},
			obj{"name": "networkInterfaceId", "value": fmt.Sprintf("eni-%017x", n)},
			obj{"name": "privateIPv4Address", "value": fmt.Sprintf("10.0.%d.%d", (n>>8)&0xff, n&0xff|1)},
		},
	}}
}

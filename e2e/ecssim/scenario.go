package ecssim

import (
	"fmt"
	"strings"
)

// scenario is how the tasks of a deployment behave.
type scenario string

const (
	scenarioOK          scenario = "ok"           // tasks start and keep running
	scenarioFailPull    scenario = "fail-pull"    // the image cannot be pulled: tasks never start
	scenarioFailSecrets scenario = "fail-secrets" // secrets cannot be fetched: tasks never start
	scenarioFailExit    scenario = "fail-exit"    // tasks start, then the essential container exits 1
	scenarioFailLate    scenario = "fail-late"    // tasks run failLateSteps steps, then exit 1
	scenarioFailHealth  scenario = "fail-health"  // tasks start but fail their health checks
	// scenarioFailLogs: an awslogs group does not exist (loggroups.go): tasks never start.
	// Chosen by the account's log groups, not by an image marker.
	scenarioFailLogs scenario = "fail-logs"
)

// failLateSteps is how long a fail-late task runs before its essential container exits: long
// enough to be RUNNING at the desired count (where a counts-only verdict would call the
// rollout done), too short to pass ECS's steady-state check.
const failLateSteps = 3

// failureMarkers are checked in this order against every image of the task definition; the
// first marker found in any image decides.
var failureMarkers = []scenario{scenarioFailPull, scenarioFailSecrets, scenarioFailExit, scenarioFailLate, scenarioFailHealth}

func parseScenario(s string) (scenario, error) {
	switch sc := scenario(s); sc {
	case "", scenarioOK:
		return scenarioOK, nil
	case scenarioFailPull, scenarioFailSecrets, scenarioFailExit, scenarioFailLate, scenarioFailHealth:
		return sc, nil
	}
	return "", fmt.Errorf("unknown scenario %q (want ok, fail-pull, fail-secrets, fail-exit, fail-late or fail-health)", s)
}

// failsBeforeStart is true for failures that stop a task while it is still PENDING.
func (sc scenario) failsBeforeStart() bool {
	return sc == scenarioFailPull || sc == scenarioFailSecrets || sc == scenarioFailLogs
}

// taskDef is what the simulator needs of a registered task definition.
type taskDef struct {
	arn        string
	family     string
	cpu        string
	memory     string
	containers []tdContainer
	secret     string // the first secret's valueFrom, quoted in ResourceInitializationError
	// missingLogGroup is an awslogs group that does not exist (loggroups.go), "" when all do
	// or they were not checked.
	missingLogGroup string
}

type tdContainer struct {
	name      string
	image     string
	essential bool
	cpu       int
	memory    int            // 0 when the container sets no hard limit
	logs      *awslogsConfig // nil unless it logs through awslogs (logs.go)
}

// taskDefFrom reads moto's DescribeTaskDefinition answer.
func taskDefFrom(resp obj) *taskDef {
	td := child(resp, "taskDefinition")
	out := &taskDef{
		arn:    str(td, "taskDefinitionArn"),
		family: str(td, "family"),
		cpu:    fmt.Sprint(td["cpu"]),
		memory: fmt.Sprint(td["memory"]),
	}
	if td["cpu"] == nil {
		out.cpu = ""
	}
	if td["memory"] == nil {
		out.memory = ""
	}
	for _, c := range list(td, "containerDefinitions") {
		c, _ := c.(obj)
		essential, set := c["essential"].(bool)
		out.containers = append(out.containers, tdContainer{
			name:      str(c, "name"),
			image:     str(c, "image"),
			essential: essential || !set, // ECS's default is essential
			cpu:       intField(c, "cpu", 0),
			memory:    intField(c, "memory", 0),
			logs:      awslogsOf(c),
		})
		for _, s := range list(c, "secrets") {
			if s, _ := s.(obj); out.secret == "" && str(s, "valueFrom") != "" {
				out.secret = str(s, "valueFrom")
			}
		}
	}
	return out
}

// scenarioOf picks the scenario from the images: a tag or name containing "fail-pull",
// "fail-secrets", "fail-exit", "fail-late" or "fail-health" selects that failure.
func scenarioOf(td *taskDef) scenario {
	for _, marker := range failureMarkers {
		for _, c := range td.containers {
			if strings.Contains(c.image, string(marker)) {
				return marker
			}
		}
	}
	if td.missingLogGroup != "" {
		return scenarioFailLogs
	}
	return scenarioOK
}

// culprit is the container a failure is reported on: the one whose image carries the marker,
// else the first essential container.
func (td *taskDef) culprit(sc scenario) int {
	for i, c := range td.containers {
		if strings.Contains(c.image, string(sc)) {
			return i
		}
	}
	for i, c := range td.containers {
		if c.essential {
			return i
		}
	}
	return 0
}

// stopInfo is why a task stopped, in the fields ECS reports it.
type stopInfo struct {
	code            string // stopCode
	reason          string // stoppedReason
	container       int    // index of the container the failure is about; -1 for none
	containerReason string
	exitCode        *int
}

// Stop codes and reasons below are worded as real ECS words them, because the code under test
// matches on them.
const stopCodeScheduler = "ServiceSchedulerInitiated"

func schedulerStop(deploymentID string) stopInfo {
	return stopInfo{
		code:      stopCodeScheduler,
		reason:    fmt.Sprintf("Scaling activity initiated by (deployment %s)", deploymentID),
		container: -1,
	}
}

// failure is how a task of this scenario stops.
func (sc scenario) failure(td *taskDef) stopInfo {
	i := td.culprit(sc)
	image, secret := "", td.secret
	if i < len(td.containers) {
		image = td.containers[i].image
	}
	if secret == "" {
		secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-secret"
	}
	switch sc {
	case scenarioFailPull:
		msg := fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 1 time(s): "+
			"failed to resolve ref %s: %s: not found", image, image)
		return stopInfo{code: "TaskFailedToStart", reason: msg, container: i, containerReason: msg}
	case scenarioFailSecrets:
		msg := fmt.Sprintf("ResourceInitializationError: unable to pull secrets or registry auth: "+
			"execution resource retrieval failed: unable to retrieve secret from asm: service call has "+
			"been retried 1 time(s): failed to fetch secret %s from secrets manager: "+
			"AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue", secret)
		return stopInfo{code: "TaskFailedToStart", reason: msg, container: -1}
	case scenarioFailLogs:
		return stopInfo{code: "TaskFailedToStart", reason: missingLogGroupReason, container: -1}
	case scenarioFailExit, scenarioFailLate:
		one := 1
		return stopInfo{code: "EssentialContainerExited", reason: "Essential container in task exited",
			container: i, exitCode: &one}
	}
	return stopInfo{container: -1}
}

// healthFailure is how the scheduler stops a task that failed its health checks: behind a
// load balancer, the target group's checks; without one, the container's own.
func healthFailure(lb *loadBalancer) stopInfo {
	if lb != nil {
		return stopInfo{code: stopCodeScheduler, reason: "Task failed ELB health checks in (target-group " + lb.targetGroup + ")", container: -1}
	}
	return stopInfo{code: stopCodeScheduler, reason: "Task failed container health checks", container: -1}
}

package ecssim

import (
	"fmt"
	"log/slog"
	"time"
)

// ECS status words.
const (
	statusPending = "PENDING"
	statusRunning = "RUNNING"
	statusStopped = "STOPPED"

	rolloutInProgress = "IN_PROGRESS"
	rolloutCompleted  = "COMPLETED"
	rolloutFailed     = "FAILED"
)

const (
	maxEvents       = 100 // DescribeServices returns at most the 100 newest events
	maxStoppedTasks = 100 // stopped tasks kept per service, so failing forever stays bounded
)

// svcKey names a service the way moto separates state: per account and region, then cluster.
type svcKey struct {
	scope
	cluster string
	service string
}

// service is the simulator's own state for one ECS service; moto keeps everything else.
type service struct {
	key         svcKey
	desired     int
	config      deployConfig
	deployments []*deployment // [0] is the PRIMARY deployment, the rest are ACTIVE
	tasks       []*task       // oldest first
	events      []event       // oldest first; rendered newest first
	lastTick    time.Time     // the state is up to date as of this instant
	lastGood    *deployment   // the last deployment that completed: the rollback target
	steady      bool
	deleted     bool
	fields      obj // launchType, networkConfiguration... copied into each new deployment
	// connect is the serviceConnectConfiguration the last CreateService or UpdateService
	// gave, which moto drops: ECS reports it on each deployment, so it joins fields.
	connect obj
	// launch is what UpdateService compares to start a deployment on the same task
	// definition: the request's networkConfiguration, loadBalancers, serviceRegistries,
	// platformVersion and capacityProviderStrategy, as canonical JSON.
	launchKeys map[string]string
	lb         *loadBalancer // the first load balancer, where health checks fail
	// unhealthy counts the tasks stopped as unhealthy in the current step, for the
	// "replaced N tasks due to an unhealthy status" of the step's "has started" event.
	unhealthy int
}

// loadBalancer is the target group a service registers its tasks in.
type loadBalancer struct {
	targetGroup string
	port        int
}

type deployment struct {
	id        string
	td        *taskDef
	scenario  scenario
	rollout   string
	reason    string // rolloutStateReason
	failed    int    // failedTasks
	warned    bool   // "unable to consistently start tasks" was reported
	createdAt time.Time
	updatedAt time.Time
	fields    obj
}

type task struct {
	id, arn       string
	dep           *deployment
	lastStatus    string
	desiredStatus string
	createdAt     time.Time
	startedAt     time.Time
	stoppingAt    time.Time
	stoppedAt     time.Time
	stop          stopInfo // meaningful once desiredStatus is STOPPED
	// willExit marks a task that will not last (fail-exit, fail-late: its container exits;
	// fail-health: the scheduler stops it as unhealthy) at doomAt. It never counts as healthy.
	willExit bool
	doomAt   time.Time
	// wasHealthy is set the first step the task counts as healthy, which resets its
	// deployment's failedTasks (the circuit breaker's resetOnHealthyTask, on by default).
	wasHealthy bool
	version    int
}

type event struct {
	id      string
	at      time.Time
	message string
}

// deployConfig is the service's deploymentConfiguration. moto drops it, so the simulator keeps
// the request's document (with ECS's defaults filled in) and returns it verbatim.
type deployConfig struct {
	raw               obj
	breaker, rollback bool
	maxPercent        int
	minHealthyPercent int
}

// parseDeployConfig fills ECS's defaults for a REPLICA service: 200% / 100%, breaker off.
func parseDeployConfig(raw obj) deployConfig {
	if raw == nil {
		raw = obj{}
	}
	if raw["maximumPercent"] == nil {
		raw["maximumPercent"] = 200
	}
	if raw["minimumHealthyPercent"] == nil {
		raw["minimumHealthyPercent"] = 100
	}
	cb := child(raw, "deploymentCircuitBreaker")
	if cb == nil {
		cb = obj{"enable": false, "rollback": false}
		raw["deploymentCircuitBreaker"] = cb
	}
	return deployConfig{
		raw:               raw,
		breaker:           boolField(cb, "enable"),
		rollback:          boolField(cb, "rollback"),
		maxPercent:        max(intField(raw, "maximumPercent", 200), 100),
		minHealthyPercent: intField(raw, "minimumHealthyPercent", 100),
	}
}

// rules are the settings and helpers one pass of the state machine needs.
type rules struct {
	step      time.Duration
	threshold int           // Settings.FailureThreshold
	grace     time.Duration // Settings.HealthGrace
	ids       *idGen
	log       *slog.Logger
	logs      *[]logRecord // where container log lines queue (logs.go); nil drops them
}

// failureThreshold is when the circuit breaker trips: fixed if configured, else ECS's rule.
func (r *rules) failureThreshold(desired int) int {
	if r.threshold > 0 {
		return r.threshold
	}
	return min(max(ceilDiv(desired, 2), 3), 200)
}

func newService(key svcKey, desired int, cfg deployConfig, fields obj, now time.Time) *service {
	return &service{key: key, desired: desired, config: cfg, fields: fields, lastTick: now}
}

func (s *service) primary() *deployment { return s.deployments[0] }

// event records a service event in ECS's "(service NAME) ..." wording.
func (s *service) event(t time.Time, r *rules, format string, args ...any) {
	msg := fmt.Sprintf("(service %s) ", s.key.service) + fmt.Sprintf(format, args...)
	s.events = append(s.events, event{id: r.ids.uuid(), at: t, message: msg})
	if len(s.events) > maxEvents {
		s.events = s.events[len(s.events)-maxEvents:]
	}
	r.log.Info("service event", "account", s.key.account, "cluster", s.key.cluster, "message", msg)
}

// healthy is a task that has been RUNNING for the health-check grace period and will last.
func (tk *task) healthy(t time.Time, r *rules) bool {
	return tk.lastStatus == statusRunning && tk.desiredStatus == statusRunning && !tk.willExit &&
		!t.Before(tk.startedAt.Add(r.grace))
}

// counts are a deployment's tasks by state. live tasks are not STOPPED yet; kept tasks are
// live and not told to stop; exiting tasks are RUNNING fail-exit tasks about to exit.
type counts struct{ pending, running, live, kept, exiting int }

func (s *service) countsOf(d *deployment) counts {
	var c counts
	for _, t := range s.tasks {
		if t.dep != d || t.lastStatus == statusStopped {
			continue
		}
		c.live++
		switch t.lastStatus {
		case statusPending:
			c.pending++
		case statusRunning:
			c.running++
		}
		if t.desiredStatus == statusRunning {
			c.kept++
		}
		if t.willExit {
			c.exiting++
		}
	}
	return c
}

// deploymentDesired is what ECS shows as a deployment's desiredCount: the service's for the
// PRIMARY, and for an ACTIVE one the tasks it still keeps, which falls to 0 as it drains.
func (s *service) deploymentDesired(i int) int {
	if i == 0 {
		return s.desired
	}
	return s.countsOf(s.deployments[i]).kept
}

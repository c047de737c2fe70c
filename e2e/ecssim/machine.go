package ecssim

import (
	"fmt"
	"strings"
	"time"
)

// The rollout state machine. Time is modelled lazily and in whole steps: nothing runs in the
// background; each API call that reads a service first replays the steps that have elapsed
// since it was last looked at (advance). State therefore depends only on the calls made and
// the clock, which makes it reproducible in tests with a manual clock, and it lives under the
// simulator's one lock, which makes it race-free.
//
// One step (tick) does, in this order:
//  1. settle: declare the PRIMARY deployment COMPLETED if, as of the previous step, it runs
//     the desired count and no other deployment has a task left; drop the drained ACTIVE ones
//     and report a steady state. Judging the previous step's state lets a client see an ACTIVE
//     deployment at runningCount 0 before it disappears, as on real ECS.
//  2. progress: tasks told to stop are STOPPED; PENDING tasks start or fail per scenario;
//     a fail-exit task that started one step ago exits.
//  3. breaker: enough failed tasks fail the deployment (circuit breaker) and maybe roll back.
//  4. schedule: launch tasks for the PRIMARY within maximumPercent, and stop old ones while
//     keeping minimumHealthyPercent running.

// maxCatchUpSteps bounds the replay after a long idle period; real ECS also slows its retries
// down, so skipping ahead loses nothing a test can see.
const maxCatchUpSteps = 1000

// advance brings the service up to now.
func (s *service) advance(now time.Time, r *rules) {
	if s.deleted {
		return
	}
	if behind := now.Sub(s.lastTick) / r.step; behind > maxCatchUpSteps {
		s.lastTick = now.Add(-maxCatchUpSteps * r.step)
	}
	for {
		next := s.lastTick.Add(r.step)
		if next.After(now) {
			return
		}
		s.lastTick = next
		if !s.tick(next, r) {
			// A step that changed nothing means every later step changes nothing either (a
			// step reads only the state), so jump ahead instead of replaying idle steps.
			s.lastTick = now
			return
		}
	}
}

// tick runs one step at instant t and reports whether anything changed.
func (s *service) tick(t time.Time, r *rules) bool {
	changed := s.settle(t, r)
	changed = s.progress(t, r) || changed
	changed = s.breaker(t, r) || changed
	changed = s.schedule(t, r) || changed
	s.trimStopped()
	// A task waiting out its grace period or its doom changes a later step: not idle.
	return changed || s.timersPending()
}

// timersPending reports live tasks whose state will change with time alone.
func (s *service) timersPending() bool {
	for _, tk := range s.tasks {
		if tk.lastStatus == statusRunning && tk.desiredStatus == statusRunning && (tk.willExit || !tk.wasHealthy) {
			return true
		}
	}
	return false
}

// startDeployment makes a new PRIMARY deployment; the previous PRIMARY becomes ACTIVE and
// drains. The caller runs schedule next, so the first tasks start at once.
func (s *service) startDeployment(t time.Time, td *taskDef, sc scenario, r *rules) *deployment {
	d := &deployment{
		id:        r.ids.deploymentID(),
		td:        td,
		scenario:  sc,
		rollout:   rolloutInProgress,
		createdAt: t,
		updatedAt: t,
		fields:    s.fields,
	}
	d.reason = fmt.Sprintf("ECS deployment %s in progress.", d.id)
	s.deployments = append([]*deployment{d}, s.deployments...)
	s.steady = false
	r.log.Info("deployment started", "service", s.key.service, "deployment", d.id,
		"taskDefinition", td.arn, "scenario", sc)
	return d
}

func (s *service) settle(t time.Time, r *rules) bool {
	p := s.primary()
	c := s.countsOf(p)
	// Done: exactly the desired count running for good, nothing pending, stopping or about
	// to exit.
	done := c.running == s.desired && c.live == c.running && c.kept == c.running && c.exiting == 0
	for _, tk := range s.tasks {
		// ECS's steady-state check: every task passed its health checks.
		if tk.dep == p && tk.lastStatus == statusRunning && !tk.healthy(t, r) {
			done = false
		}
	}
	for _, d := range s.deployments[1:] {
		done = done && s.countsOf(d).live == 0
	}
	changed := false
	if done && p.rollout == rolloutInProgress {
		p.rollout, p.updatedAt = rolloutCompleted, t
		p.reason = fmt.Sprintf("ECS deployment %s completed.", p.id)
		s.deployments = s.deployments[:1]
		s.lastGood = p
		s.event(t, r, "(deployment %s) deployment completed.", p.id)
		changed = true
	}
	steady := done && len(s.deployments) == 1
	if steady != s.steady {
		if steady {
			s.event(t, r, "has reached a steady state.")
		}
		s.steady = steady
		changed = true
	}
	return changed
}

func (s *service) progress(t time.Time, r *rules) bool {
	changed := false
	var unplaced string
	for _, tk := range s.tasks {
		switch {
		case tk.lastStatus == statusStopped:
			continue
		case tk.desiredStatus == statusStopped:
			tk.lastStatus, tk.stoppedAt = statusStopped, t
		case tk.lastStatus == statusPending && tk.dep.scenario.failsBeforeStart():
			why := tk.dep.scenario.failure(tk.dep.td)
			tk.fail(t, why)
			tk.lastStatus, tk.stoppedAt = statusStopped, t
			unplaced = why.reason
		case tk.lastStatus == statusPending:
			tk.lastStatus, tk.startedAt = statusRunning, t
			s.logStart(tk, t, r)
			switch tk.dep.scenario {
			case scenarioFailExit:
				tk.willExit, tk.doomAt = true, t.Add(r.step)
			case scenarioFailLate:
				tk.willExit, tk.doomAt = true, t.Add(failLateSteps*r.step)
			case scenarioFailHealth:
				// Health checks start failing once the grace period is over; the scheduler
				// replaces the task one step later.
				tk.willExit, tk.doomAt = true, t.Add(r.grace+r.step)
			}
		case tk.willExit && !t.Before(tk.doomAt) && tk.dep.scenario == scenarioFailHealth:
			// Stopped by the scheduler (STOPPED one step later, like any task it stops).
			tk.fail(t, healthFailure(s.lb))
			s.unhealthy++
			if s.lb != nil {
				s.event(t, r, "(task %s) (port %d) is unhealthy in (target-group %s) due to (reason Health checks failed with these codes: [500]).",
					tk.id, s.lb.port, s.lb.targetGroup)
			} else {
				s.event(t, r, "(task %s) failed container health checks.", tk.id)
			}
		case tk.willExit && !t.Before(tk.doomAt):
			tk.fail(t, tk.dep.scenario.failure(tk.dep.td))
			s.logExit(tk, t, r)
			tk.lastStatus, tk.stoppedAt = statusStopped, t
		default:
			changed = s.turnHealthy(tk, t, r) || changed
			continue
		}
		s.turnHealthy(tk, t, r)
		tk.version++
		tk.dep.updatedAt = t
		changed = true
	}
	if unplaced != "" {
		s.event(t, r, "was unable to place a task. Reason: %s.", unplaced)
	}
	return changed
}

// turnHealthy notes the step a task first counts as healthy, which resets its deployment's
// failedTasks (the circuit breaker's resetOnHealthyTask, on by default).
func (s *service) turnHealthy(tk *task, t time.Time, r *rules) bool {
	if tk.wasHealthy || !tk.healthy(t, r) {
		return false
	}
	tk.wasHealthy = true
	tk.dep.failed = 0
	return true
}

// fail records a task failure on its deployment, which is what the circuit breaker counts.
func (tk *task) fail(t time.Time, why stopInfo) {
	tk.desiredStatus, tk.stoppingAt, tk.stop = statusStopped, t, why
	tk.dep.failed++
}

func (s *service) breaker(t time.Time, r *rules) bool {
	p := s.primary()
	if p.rollout != rolloutInProgress || p.failed < r.failureThreshold(s.desired) {
		return false
	}
	if !s.config.breaker {
		// Without a circuit breaker ECS keeps retrying forever and only warns, once.
		if p.warned {
			return false
		}
		p.warned = true
		s.event(t, r, "is unable to consistently start tasks successfully. For more information, "+
			"see the Troubleshooting section of the Amazon ECS Developer Guide.")
		return true
	}
	p.rollout, p.updatedAt = rolloutFailed, t
	p.reason = "ECS deployment circuit breaker: tasks failed to start."
	s.event(t, r, "(deployment %s) deployment failed: tasks failed to start.", p.id)
	r.log.Info("deployment failed", "service", s.key.service, "deployment", p.id, "failedTasks", p.failed)
	if s.config.rollback && s.lastGood != nil {
		s.event(t, r, "rolling back to deployment %s.", s.lastGood.id)
		s.rollBack(t, r)
	}
	return true
}

// rollBack makes the last completed deployment PRIMARY again, under its own id, as ECS does
// ("rolling back to deployment X", then "(deployment X) deployment completed."): back in front
// with the tasks it still runs, or listed again if it had drained away. Its tasks behave as
// they did, whatever scenario was forced on the failed deployment.
func (s *service) rollBack(t time.Time, r *rules) {
	g := s.lastGood
	rest := []*deployment{}
	for _, d := range s.deployments {
		if d != g {
			rest = append(rest, d)
		}
	}
	s.deployments = append([]*deployment{g}, rest...)
	g.rollout, g.updatedAt = rolloutInProgress, t
	g.reason = fmt.Sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.", g.id)
	g.failed = 0
	s.steady = false
	r.log.Info("rolling back", "service", s.key.service, "deployment", g.id, "taskDefinition", g.td.arn)
}

func (s *service) schedule(t time.Time, r *rules) bool {
	p := s.primary()
	var started, stopping []*task

	if p.rollout != rolloutFailed { // a failed deployment launches nothing more
		need := s.desired - s.countsOf(p).kept
		if need > 0 {
			room := s.desired*s.config.maxPercent/100 - s.liveTasks()
			for range min(need, room) {
				started = append(started, s.launch(t, p, r))
			}
		}
		if need < 0 { // scale in: stop the newest tasks first
			for i := len(s.tasks) - 1; i >= 0 && need < 0; i-- {
				if tk := s.tasks[i]; tk.dep == p && tk.desiredStatus == statusRunning {
					stopping = append(stopping, tk)
					need++
				}
			}
		}
	}

	// Drain older deployments, oldest first, never going below minimumHealthyPercent of
	// running tasks. A PENDING old task serves nobody, so it stops at once.
	minHealthy := ceilDiv(s.desired*s.config.minHealthyPercent, 100)
	healthy := 0
	for _, tk := range s.tasks {
		if tk.healthy(t, r) {
			healthy++
		}
	}
	for i := len(s.deployments) - 1; i >= 1; i-- {
		for _, tk := range s.tasks {
			if tk.dep != s.deployments[i] || tk.desiredStatus != statusRunning {
				continue
			}
			if tk.healthy(t, r) {
				if healthy-1 < minHealthy {
					continue
				}
				healthy--
			}
			stopping = append(stopping, tk)
		}
	}

	for _, tk := range stopping {
		tk.desiredStatus, tk.stoppingAt, tk.stop = statusStopped, t, schedulerStop(p.id)
		tk.version++
		tk.dep.updatedAt = t
	}
	if len(started) > 0 {
		p.updatedAt = t
		msg := fmt.Sprintf("has started %d tasks: %s.", len(started), taskList(started))
		if s.unhealthy > 0 {
			msg += fmt.Sprintf(" Amazon ECS replaced %d tasks due to an unhealthy status.", s.unhealthy)
		}
		s.event(t, r, "%s", msg)
		s.unhealthy = 0
	}
	if len(stopping) > 0 {
		s.event(t, r, "has stopped %d running tasks: %s.", len(stopping), taskList(stopping))
	}
	return len(started) > 0 || len(stopping) > 0
}

func (s *service) launch(t time.Time, d *deployment, r *rules) *task {
	id := r.ids.taskID()
	tk := &task{
		id:            id,
		arn:           taskARN(s.key.scope, s.key.cluster, id),
		dep:           d,
		lastStatus:    statusPending,
		desiredStatus: statusRunning,
		createdAt:     t,
		version:       1,
	}
	s.tasks = append(s.tasks, tk)
	return tk
}

// liveTasks counts tasks that occupy capacity: everything not STOPPED yet.
func (s *service) liveTasks() int {
	n := 0
	for _, tk := range s.tasks {
		if tk.lastStatus != statusStopped {
			n++
		}
	}
	return n
}

// remove stops every task at once: DeleteService, after which the simulator no longer moves
// the service.
func (s *service) remove(t time.Time, r *rules) {
	p := s.primary()
	var stopped []*task
	for _, tk := range s.tasks {
		if tk.lastStatus == statusStopped {
			continue
		}
		if tk.desiredStatus == statusRunning {
			tk.desiredStatus, tk.stoppingAt, tk.stop = statusStopped, t, schedulerStop(p.id)
		}
		tk.lastStatus, tk.stoppedAt = statusStopped, t
		tk.version++
		stopped = append(stopped, tk)
	}
	if len(stopped) > 0 {
		s.event(t, r, "has stopped %d running tasks: %s.", len(stopped), taskList(stopped))
	}
	s.desired, s.deleted, s.steady = 0, true, false
}

// trimStopped forgets the oldest stopped tasks beyond maxStoppedTasks (ECS, too, only shows
// stopped tasks for a while).
func (s *service) trimStopped() {
	extra := -maxStoppedTasks
	for _, tk := range s.tasks {
		if tk.lastStatus == statusStopped {
			extra++
		}
	}
	if extra <= 0 {
		return
	}
	kept := s.tasks[:0]
	for _, tk := range s.tasks {
		if extra > 0 && tk.lastStatus == statusStopped {
			extra--
			continue
		}
		kept = append(kept, tk)
	}
	clear(s.tasks[len(kept):])
	s.tasks = kept
}

// taskList is ECS's "(task ID) (task ID)" enumeration in service events.
func taskList(ts []*task) string {
	parts := make([]string, len(ts))
	for i, tk := range ts {
		parts[i] = "(task " + tk.id + ")"
	}
	return strings.Join(parts, " ")
}

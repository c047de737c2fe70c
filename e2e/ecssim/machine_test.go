package ecssim

import (
	"log/slog"
	"testing"
	"time"
)

// These drive the state machine directly, without moto, for the rules the end-to-end tests do
// not reach cheaply.

func testRules(threshold int) *rules {
	return &rules{step: time.Second, threshold: threshold, ids: newIDGen(1), log: slog.New(slog.DiscardHandler)}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestService(desired int, cfg obj, sc scenario, r *rules) *service {
	s := newService(svcKey{scope{defaultAccount, defaultRegion}, "c1", "web"}, desired, parseDeployConfig(cfg), obj{}, t0)
	s.startDeployment(t0, &taskDef{arn: "td:1", containers: []tdContainer{{name: "app", image: "img"}}}, sc, r)
	s.schedule(t0, r)
	return s
}

func TestFailureThreshold(t *testing.T) {
	for _, c := range []struct{ configured, desired, want int }{
		{3, 100, 3}, // configured wins
		{0, 1, 3},   // ECS: at least 3
		{0, 10, 5},  // ECS: half the desired count
		{0, 11, 6},
		{0, 1000, 200}, // ECS: at most 200
	} {
		if got := testRules(c.configured).failureThreshold(c.desired); got != c.want {
			t.Errorf("threshold(configured %d, desired %d) = %d, want %d", c.configured, c.desired, got, c.want)
		}
	}
}

func TestScenarioOfImages(t *testing.T) {
	for image, want := range map[string]scenario{
		"nginx:1.27":                   scenarioOK,
		"repo/app:fail-pull":           scenarioFailPull,
		"repo/fail-exit-app:1":         scenarioFailExit,
		"repo/app:fail-secrets-v2":     scenarioFailSecrets,
		"repo/fail-exit:fail-pull-tag": scenarioFailPull, // pull failures come first, as on ECS
	} {
		if got := scenarioOf(&taskDef{containers: []tdContainer{{image: image}}}); got != want {
			t.Errorf("scenarioOf(%q) = %s, want %s", image, got, want)
		}
	}
}

// With maximumPercent 100 / minimumHealthyPercent 50 ECS replaces tasks in place: it never runs
// more than the desired count and never drops below half of it.
func TestRollingWithinPercentBounds(t *testing.T) {
	r := testRules(3)
	s := newTestService(4, obj{"maximumPercent": 100, "minimumHealthyPercent": 50}, scenarioOK, r)
	s.advance(t0.Add(2*time.Second), r)
	if p := s.primary(); p.rollout != rolloutCompleted {
		t.Fatalf("first deployment %s", p.rollout)
	}
	now := t0.Add(2 * time.Second)
	s.startDeployment(now, &taskDef{arn: "td:2"}, scenarioOK, r)
	s.schedule(now, r)
	s.lastTick = now
	for i := range 20 {
		healthy, live := 0, 0
		for _, tk := range s.tasks {
			if tk.lastStatus != statusStopped {
				live++
			}
			if tk.lastStatus == statusRunning && tk.desiredStatus == statusRunning {
				healthy++
			}
		}
		if live > 4 || healthy < 2 {
			t.Fatalf("step %d: %d live tasks (max 4), %d healthy (min 2)", i, live, healthy)
		}
		if s.primary().rollout == rolloutCompleted {
			return
		}
		now = now.Add(time.Second)
		s.advance(now, r)
	}
	t.Fatalf("rollout within 100%%/50%% did not complete in 20 steps: %s", s.primary().rollout)
}

// An idle service is not replayed step by step: a day later costs one step.
func TestIdleServiceSkipsAhead(t *testing.T) {
	r := testRules(3)
	s := newTestService(2, nil, scenarioOK, r)
	s.advance(t0.Add(2*time.Second), r)
	events := len(s.events)
	later := t0.Add(24 * time.Hour)
	start := time.Now()
	s.advance(later, r)
	if !s.lastTick.Equal(later) || len(s.events) != events {
		t.Errorf("idle advance: lastTick %s, %d new events", s.lastTick, len(s.events)-events)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("idle advance took %s", took)
	}
}

// A service failing forever keeps bounded history, even after a long unobserved stretch.
func TestFailingForeverStaysBounded(t *testing.T) {
	r := testRules(3)
	s := newTestService(2, nil, scenarioFailPull, r)
	s.advance(t0.Add(time.Hour), r)
	stopped := 0
	for _, tk := range s.tasks {
		if tk.lastStatus == statusStopped {
			stopped++
		}
	}
	if stopped != maxStoppedTasks || len(s.events) != maxEvents {
		t.Errorf("%d stopped tasks, %d events; want %d and %d", stopped, len(s.events), maxStoppedTasks, maxEvents)
	}
	if p := s.primary(); p.rollout != rolloutInProgress || p.failed < 2000 {
		t.Errorf("primary %s with %d failed tasks", p.rollout, p.failed)
	}
}

// The first deployment has nothing to roll back to: with rollback on, it just fails.
func TestFirstDeploymentFailsWithoutRollbackTarget(t *testing.T) {
	r := testRules(3)
	s := newTestService(2, obj{"deploymentCircuitBreaker": obj{"enable": true, "rollback": true}}, scenarioFailPull, r)
	s.advance(t0.Add(5*time.Second), r)
	if len(s.deployments) != 1 || s.primary().rollout != rolloutFailed {
		t.Errorf("%d deployments, primary %s; want 1, FAILED", len(s.deployments), s.primary().rollout)
	}
}

func TestThrottleSequence(t *testing.T) {
	s, err := New(Config{MotoURL: "http://127.0.0.1:1", Settings: Settings{Step: time.Second, ThrottleRatio: 1.0 / 3}})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range 6 {
		got = append(got, s.shouldThrottle("DescribeServices"))
	}
	if want := []bool{false, false, true, false, false, true}; !equalBools(got, want) {
		t.Errorf("ratio 1/3: %v, want %v", got, want)
	}
}

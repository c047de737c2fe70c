package ecssim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Settings are the simulator's knobs. They are set at start-up (flags of the binary) and can
// be changed at run time through POST /_ecssim/config; POST /_ecssim/reset restores the
// start-up values so one test's faults never leak into the next.
type Settings struct {
	// Step is how long one phase of the rollout takes: a task goes PENDING→RUNNING in one
	// step, a task told to stop is STOPPED one step later, and a deployment is declared
	// COMPLETED one step after the last old task stopped.
	Step time.Duration
	// FailureThreshold is how many failed tasks trip the deployment circuit breaker.
	// 0 (the default) means real ECS's rule: half the desired count, at least 3 and at most
	// 200.
	FailureThreshold int
	// HealthGrace is how long a task must have been RUNNING before it counts as healthy: the
	// load balancer health-check grace period plus the checks it must pass. A deployment is
	// COMPLETED only once every task it runs is healthy; fail-health tasks are stopped as
	// unhealthy one step after it.
	HealthGrace time.Duration
	// ThrottleRatio is the share of AWS calls answered with ThrottlingException (0..1).
	// It is deterministic, not random: 0.5 throttles every second matching call.
	ThrottleRatio float64
	// ThrottleNext throttles the next N matching calls, whatever ThrottleRatio says.
	ThrottleNext int
	// ThrottleOps limits throttling to these operation names (e.g. "DescribeServices");
	// empty means every AWS call.
	ThrottleOps []string
	// Latency is added to every AWS call before it is answered.
	Latency time.Duration
}

// DefaultSettings are a few seconds per phase, like a small Fargate service, and no faults.
func DefaultSettings() Settings {
	return Settings{Step: 3 * time.Second}
}

// Validate rejects settings that would stall or confuse the state machine.
func (s Settings) Validate() error {
	switch {
	case s.Step <= 0:
		return fmt.Errorf("step must be > 0, got %s", s.Step)
	case s.FailureThreshold < 0:
		return fmt.Errorf("failureThreshold must be >= 0, got %d", s.FailureThreshold)
	case s.ThrottleRatio < 0 || s.ThrottleRatio > 1:
		return fmt.Errorf("throttleRatio must be within 0..1, got %g", s.ThrottleRatio)
	case s.ThrottleNext < 0:
		return fmt.Errorf("throttleNext must be >= 0, got %d", s.ThrottleNext)
	case s.Latency < 0:
		return fmt.Errorf("latency must be >= 0, got %s", s.Latency)
	case s.HealthGrace < 0:
		return fmt.Errorf("healthGrace must be >= 0, got %s", s.HealthGrace)
	}
	return nil
}

// settingsJSON is the wire form of Settings: durations as Go duration strings ("300ms").
type settingsJSON struct {
	Step             string   `json:"step"`
	FailureThreshold int      `json:"failureThreshold"`
	ThrottleRatio    float64  `json:"throttleRatio"`
	ThrottleNext     int      `json:"throttleNext"`
	ThrottleOps      []string `json:"throttleOps"`
	Latency          string   `json:"latency"`
	HealthGrace      string   `json:"healthGrace"`
}

func (s Settings) MarshalJSON() ([]byte, error) {
	ops := s.ThrottleOps
	if ops == nil {
		ops = []string{}
	}
	return json.Marshal(settingsJSON{
		Step:             s.Step.String(),
		FailureThreshold: s.FailureThreshold,
		ThrottleRatio:    s.ThrottleRatio,
		ThrottleNext:     s.ThrottleNext,
		ThrottleOps:      ops,
		Latency:          s.Latency.String(),
		HealthGrace:      s.HealthGrace.String(),
	})
}

// settingsPatch is the body of POST /_ecssim/config: only the fields present change.
type settingsPatch struct {
	Step             *string   `json:"step"`
	FailureThreshold *int      `json:"failureThreshold"`
	ThrottleRatio    *float64  `json:"throttleRatio"`
	ThrottleNext     *int      `json:"throttleNext"`
	ThrottleOps      *[]string `json:"throttleOps"`
	Latency          *string   `json:"latency"`
	HealthGrace      *string   `json:"healthGrace"`
}

// apply returns s with the patch applied, or an error naming the bad field.
func (p settingsPatch) apply(s Settings) (Settings, error) {
	if p.Step != nil {
		d, err := time.ParseDuration(*p.Step)
		if err != nil {
			return s, fmt.Errorf("step: %w", err)
		}
		s.Step = d
	}
	if p.Latency != nil {
		d, err := time.ParseDuration(*p.Latency)
		if err != nil {
			return s, fmt.Errorf("latency: %w", err)
		}
		s.Latency = d
	}
	if p.HealthGrace != nil {
		d, err := time.ParseDuration(*p.HealthGrace)
		if err != nil {
			return s, fmt.Errorf("healthGrace: %w", err)
		}
		s.HealthGrace = d
	}
	if p.FailureThreshold != nil {
		s.FailureThreshold = *p.FailureThreshold
	}
	if p.ThrottleRatio != nil {
		s.ThrottleRatio = *p.ThrottleRatio
	}
	if p.ThrottleNext != nil {
		s.ThrottleNext = *p.ThrottleNext
	}
	if p.ThrottleOps != nil {
		s.ThrottleOps = append([]string(nil), (*p.ThrottleOps)...)
	}
	return s, s.Validate()
}

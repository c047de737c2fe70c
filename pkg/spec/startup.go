package spec

import "math"

// The start-up of a slow starter: health.grace, health.startup, and how each target says it.

// StartupFailures is the failureThreshold of a startup check run every period seconds that
// gives a container at least grace seconds: checks run at 0, p, 2p, …, so n failures stop it
// at (n-1)·p, and n-1 must cover the grace period. Clamped to int32, where Kubernetes
// stores it.
func StartupFailures(grace, period int) int {
	if period <= 0 {
		return 1
	}
	n := int64(grace+period-1)/int64(period) + 1
	return int(min(n, math.MaxInt32))
}

// StartupWindow is how long, in seconds, the app may take to start: grace when set, else what
// the startup check allows (its initial delay plus failures × interval), else 0. ECS has no
// startup check: this is its container health check's startPeriod and the load balancer's
// health-check grace period.
func (h *Health) StartupWindow() int {
	switch {
	case h == nil:
		return 0
	case h.Grace != "":
		return Seconds(h.Grace)
	case h.Startup != nil:
		s := h.Startup
		n := int64(Seconds(s.InitialDelay)) + int64(s.Failures)*int64(Seconds(s.Interval))
		return int(min(n, math.MaxInt32))
	}
	return 0
}

// defaultStartup fills the startup check from health: its timings and port, but neither the
// readiness check's initial delay nor its successes (Kubernetes takes only 1 for a startup
// probe). With grace, and no failures of its own, grace sizes its failures.
func defaultStartup(h *Health, ports []Port) {
	s := h.Startup
	own := s.Failures
	delay, successes := s.InitialDelay, s.Successes
	defaultHealth(s, h, ports)
	s.InitialDelay, s.Successes = delay, successes
	if own == 0 && h.Grace != "" {
		if d, err := ParseDuration(h.Grace); err == nil && d >= 0 {
			s.Failures = StartupFailures(Seconds(h.Grace), Seconds(s.Interval))
		}
	}
}

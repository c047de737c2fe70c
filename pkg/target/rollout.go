package target

import "time"

// Phase is where a rollout stands. Every rollout ends in exactly one terminal phase.
type Phase string

// Rollout phases (docs/architecture.md, "Rollout rules"): Pending → Progressing → one of
// the terminal phases.
const (
	Pending     Phase = "Pending"
	Progressing Phase = "Progressing"
	Succeeded   Phase = "Succeeded"
	Failed      Phase = "Failed"
	RolledBack  Phase = "RolledBack"
	TimedOut    Phase = "TimedOut"
	Canceled    Phase = "Canceled"
)

// Terminal reports whether the phase is a verdict.
func (p Phase) Terminal() bool {
	switch p {
	case Succeeded, Failed, RolledBack, TimedOut, Canceled:
		return true
	}
	return false
}

// Event is one step of a rollout as reporters print it (one JSON Lines object with -o json).
type Event struct {
	Time    time.Time `json:"time"`
	Target  string    `json:"target"`
	App     string    `json:"app"`
	Phase   Phase     `json:"phase"`
	Message string    `json:"message"`
	Desired int       `json:"desired"`
	Updated int       `json:"updated"`
	Ready   int       `json:"ready"`
}

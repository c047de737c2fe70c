package target

import (
	"context"
	"errors"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Exit codes of every command (docs/architecture.md, "Exit codes").
const (
	ExitOK          = 0   // success, or no differences
	ExitError       = 1   // API, auth or network error
	ExitInvalid     = 2   // invalid spec or usage
	ExitFailed      = 3   // rollout failed
	ExitRolledBack  = 4   // rollout failed and was rolled back
	ExitTimedOut    = 5   // rollout or command timed out
	ExitDiff        = 6   // diff found differences
	ExitInterrupted = 130 // Ctrl-C
)

// UsageError is a bad flag or argument: exit 2, like an invalid spec.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// VerdictError is a verdict that is not a success (Verdict.Err): it carries the rollout's
// terminal phase, and with it the exit code, out of a command.
type VerdictError struct {
	Phase   Phase
	Message string
}

func (e *VerdictError) Error() string { return e.Message }

// ExitCode maps an error from any command to its exit code.
func ExitCode(err error) int {
	var specErrs spec.Errors
	var usage *UsageError
	var verdict *VerdictError
	var timeout *TimeoutError
	var run *RunError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &timeout):
		return ExitTimedOut
	case errors.As(err, new(*InterruptError)):
		return ExitInterrupted
	case errors.As(err, &run):
		// shipit run: the one-off task's command's own exit code, or shipit's (run_task.go).
		return run.Code
	case errors.As(err, &specErrs), errors.As(err, &usage):
		return ExitInvalid
	case errors.As(err, &verdict):
		switch verdict.Phase {
		case RolledBack:
			return ExitRolledBack
		case TimedOut:
			return ExitTimedOut
		case Canceled:
			return ExitInterrupted
		case Succeeded:
			return ExitOK
		}
		return ExitFailed
	case errors.As(err, new(interface{ DiffExitCode() })):
		return ExitDiff
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitError
}

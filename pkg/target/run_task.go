package target

import (
	"context"
	"io"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// TaskRunner is a Session that can run a one-off task with the app's image, env, secrets, role
// and network (`shipit run`: a database migration before a deploy): an ECS RunTask of the
// app's task definition in the service's network, or a Kubernetes Job of the Deployment's pod
// template. It waits for the task to stop, streams its logs to opts.Logs, and returns how it
// ended. An interrupt or the command's time bound stops the task (StopTask, or the Job is
// deleted) before it returns; the result then says so.
type TaskRunner interface {
	RunTask(ctx context.Context, app *spec.App, opts RunOptions, r Reporter) (*RunResult, error)
}

// RunOptions are run's flags.
type RunOptions struct {
	// Command replaces the app container's command as Docker's CMD does (ECS's
	// containerOverrides[].command, Kubernetes' args); the entrypoint (the spec's command,
	// else the image's ENTRYPOINT) stays.
	Command []string
	// Keep keeps a finished Kubernetes Job and its pod instead of deleting them.
	Keep bool
	// Timeout is the command's time bound, for a bound the platform enforces itself (the
	// Job's activeDeadlineSeconds): the task must not outlive a shipit that was killed.
	Timeout time.Duration
	// Logs receives the container's log lines, each ending in a newline; nil discards them.
	Logs io.Writer
}

// RunStatus is how a one-off task ended.
type RunStatus string

// Run statuses and their exit codes (RunResult.ExitCode).
const (
	// RunSucceeded: the command exited 0.
	RunSucceeded RunStatus = "Succeeded"
	// RunFailed: the command exited with a code other than 0, which is shipit's exit code.
	RunFailed RunStatus = "Failed"
	// RunNotRun: the task stopped without an exit code of the app container (the image could
	// not be pulled, secrets could not be read, no capacity, no service account): exit 3.
	RunNotRun RunStatus = "NotRun"
	// RunTimedOut: --timeout ran out; the task was stopped: exit 5.
	RunTimedOut RunStatus = "TimedOut"
	// RunInterrupted: Ctrl-C or SIGTERM; the task was stopped: exit 130.
	RunInterrupted RunStatus = "Interrupted"
)

// RunResult is how a one-off task ended.
type RunResult struct {
	Target string    `json:"target"`
	App    string    `json:"app"`
	Status RunStatus `json:"status"`
	// Message says what happened, for people.
	Message string `json:"message"`
	// Task is the ECS task's ARN, or the Kubernetes Job as namespace/name.
	Task string `json:"task"`
	// Pod is the Job's pod (Kubernetes).
	Pod string `json:"pod,omitempty"`
	// Revision is the task definition revision that ran (family:rev, ECS).
	Revision  string   `json:"revision,omitempty"`
	Image     string   `json:"image"`
	Container string   `json:"container"`
	Command   []string `json:"command"`
	// ContainerExitCode is the app container's exit code; null when it has none (it never
	// ran, or the task was lost).
	ContainerExitCode *int `json:"containerExitCode"`
	// StopCode and StoppedReason say why the task stopped: ECS's stopCode and stoppedReason,
	// or the container's terminated reason and message (Kubernetes).
	StopCode      string `json:"stopCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`
	// Logs says where the logs came from, or why there were none.
	Logs string `json:"logs"`
	// Kept is set when the Kubernetes Job was kept (--keep).
	Kept bool `json:"kept,omitempty"`
}

// ExitCode is the exit code of `shipit run` for this result: the command's own exit code when
// it ran (0..255), else shipit's: 3 when it never ran, 5 when it timed out, 130 when
// interrupted.
func (r *RunResult) ExitCode() int {
	switch r.Status {
	case RunSucceeded:
		return ExitOK
	case RunFailed:
		if r.ContainerExitCode != nil {
			return *r.ContainerExitCode & 0xff
		}
		return ExitFailed
	case RunTimedOut:
		return ExitTimedOut
	case RunInterrupted:
		return ExitInterrupted
	}
	return ExitFailed
}

// Err is the error that carries the result's exit code out of the command; nil for a success.
func (r *RunResult) Err() error {
	if r == nil || r.Status == RunSucceeded {
		return nil
	}
	return &RunError{Code: r.ExitCode(), Message: r.Message}
}

// RunError is a one-off task that did not succeed: its exit code is the container's, or
// shipit's own (RunResult.ExitCode).
type RunError struct {
	Code    int
	Message string
}

func (e *RunError) Error() string { return e.Message }

// StoppedBy is the status of a run whose wait ctx ended: TimedOut when the command's time bound
// ran out, else Interrupted.
func StoppedBy(ctx context.Context) RunStatus {
	if OutOfTime(ctx, nil) != nil {
		return RunTimedOut
	}
	return RunInterrupted
}

package target

import (
	"context"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// LogReader is a Session that can read the app's logs, for `shipit logs`: on ECS from
// CloudWatch Logs (the awslogs streams of its tasks), on Kubernetes from the pod log API. It
// is optional, so that a target without logs still is a target; the command type-asserts it.
type LogReader interface {
	// Logs sends the app's log lines to sink: the lines there are, then, with Follow, new
	// ones until ctx ends. A source that cannot be read (a container logging through
	// FireLens, a pod whose log is gone) is told to sink.Note, never skipped in silence. Logs
	// calls sink from one goroutine at a time.
	Logs(ctx context.Context, app *spec.App, opts LogsOptions, sink LogSink) error
}

// LogsOptions are the flags of `shipit logs`.
type LogsOptions struct {
	// Follow keeps reading new lines (and new tasks or pods) until the context ends.
	Follow bool
	// Since, when > 0, leaves out lines older than that.
	Since time.Duration
	// Container, when set, reads only that container.
	Container string
	// Revision, when set, reads only the tasks (ECS: of that task definition revision, "7"
	// or "family:7") or pods (Kubernetes: of the ReplicaSet of that Deployment revision) of
	// that revision.
	Revision string
}

// LogLine is one line an app wrote. Task is set on ECS (the task id), Pod on Kubernetes.
type LogLine struct {
	Time      time.Time `json:"time"`
	Task      string    `json:"task,omitempty"`
	Pod       string    `json:"pod,omitempty"`
	Container string    `json:"container"`
	Message   string    `json:"message"`
}

// Source is where the line came from, as `kubectl logs --prefix` writes it: "pod/container"
// or "task/container".
func (l LogLine) Source() string {
	if l.Pod != "" {
		return l.Pod + "/" + l.Container
	}
	return l.Task + "/" + l.Container
}

// LogSink receives what LogReader.Logs reads.
type LogSink interface {
	// Line is one log line. An error (the reader went away) stops Logs, which returns it.
	Line(LogLine) error
	// Note is something about the sources people should know: a container whose logs
	// cannot be read here and why, a new pod or task that is now followed.
	Note(msg string)
}

package ecssim

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Log lines of the standalone tasks, written to CloudWatch Logs (moto's logs API) as the
// awslogs driver would: in the task definition's awslogs-group, in the stream
// "prefix/container/task-id" (ECS developer guide, "Using the awslogs log driver":
// awslogs-stream-prefix "associates a log stream with the specified prefix, the container
// name, and the ID of the Amazon ECS task"). What a container "prints" is the echo commands of
// its command override (runtask_model.go, commandOutput), written once the task has started.
// A task whose log group does not exist fails to start unless awslogs-create-group is set
// (loggroups.go).

// taskLog is the lines one container of a task wrote, and where they go.
type taskLog struct {
	region, group, stream string
	lines                 []string
	at                    time.Time
}

// logLines are the streams of the task's containers that log to awslogs: the driver creates
// each when its container starts, lines or not (Docker documentation, "Amazon CloudWatch Logs
// logging driver": the stream is created with the container, named by awslogs-stream or
// ECS's prefix); the deciding container's holds its echo lines.
func (rt *runTask) logLines(started time.Time) []taskLog {
	var out []taskLog
	for i, c := range rt.td.containers {
		tgt, ok := rt.logs[c.name]
		if !ok {
			continue
		}
		l := taskLog{region: rt.key.region, group: tgt.group, stream: tgt.prefix + "/" + c.name + "/" + rt.key.id, at: started}
		if i == rt.decider {
			l.lines = commandOutput(rt.command)
		}
		out = append(out, l)
	}
	return out
}

// writeRunLogs writes each task's lines to moto, without the simulator's lock.
func (s *Simulator) writeRunLogs(ctx context.Context, in http.Header, logs []taskLog) {
	for _, l := range logs {
		if err := s.writeTaskLogs(ctx, in, l); err != nil {
			s.log.Warn("run task log lines not written", "group", l.group, "stream", l.stream, "err", err)
		}
	}
}

// writeTaskLogs creates the stream (an existing one is fine) and puts the lines in it, one
// millisecond apart from the task's start.
func (s *Simulator) writeTaskLogs(ctx context.Context, in http.Header, l taskLog) error {
	create := obj{"logGroupName": l.group, "logStreamName": l.stream}
	if err := s.callRunLogs(ctx, in, "CreateLogStream", create, "ResourceAlreadyExistsException"); err != nil || len(l.lines) == 0 {
		return err
	}
	events := make([]any, 0, len(l.lines))
	for i, line := range l.lines {
		events = append(events, obj{"timestamp": l.at.UnixMilli() + int64(i), "message": line})
	}
	return s.callRunLogs(ctx, in, "PutLogEvents", obj{"logGroupName": l.group, "logStreamName": l.stream, "logEvents": events})
}

// logsScope rewrites a SigV4 credential scope's service to "logs": moto's server picks the
// backend from that scope, and the client signed its call for ECS.
var logsScope = regexp.MustCompile(`(Credential=[^/]+/\d{8}/[a-z0-9-]+/)[a-z0-9-]+(/aws4_request)`)

// callRunLogs makes one CloudWatch Logs call to moto (logs.go's callMotoLogs) with the
// client's credentials, their scope turned to logs; an error of code ok counts as success.
func (s *Simulator) callRunLogs(ctx context.Context, in http.Header, op string, body obj, ok ...string) error {
	auth := in.Get("Authorization")
	if auth == "" {
		auth = "AWS4-HMAC-SHA256 Credential=test/20260101/" + defaultRegion + "/logs/aws4_request, SignedHeaders=host, Signature=0"
	}
	h := http.Header{}
	h.Set("Authorization", logsScope.ReplaceAllString(auth, "${1}logs${2}"))
	if acct := in.Get("x-moto-account-id"); acct != "" {
		h.Set("x-moto-account-id", acct)
	}
	rep, err := s.callMotoLogs(ctx, h, op, body)
	if err != nil {
		return err
	}
	if rep.ok() || slices.Contains(ok, awsErrorCode(rep)) {
		return nil
	}
	return fmt.Errorf("moto logs %s: HTTP %d: %s", op, rep.status, rep.body)
}

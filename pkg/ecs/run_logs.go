// This file follows a one-off task's logs (shipit run) in CloudWatch Logs while it runs.

package ecs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// maxLogPages bounds the GetLogEvents pages one read takes, so a container that logs faster
// than shipit reads still lets the task's state be polled between reads.
const maxLogPages = 50

// taskLogs follows one container's awslogs stream: GetLogEvents from the head, then from each
// answer's nextForwardToken. The stream is "prefix/container/task-id" in the awslogs group
// (ECS developer guide, "Using the awslogs log driver": awslogs-stream-prefix "associates a log
// stream with the specified prefix, the container name, and the ID of the Amazon ECS task").
type taskLogs struct {
	api           logsAPI
	group, stream string
	out           io.Writer
	token         *string
	// found is set once the stream exists; lines counts what was printed.
	found bool
	lines int
	// off says why the logs are not followed ("" while they are).
	off string
}

// newTaskLogs follows the logs of container in task taskID, as td's log configuration sends
// them; off is set when they do not go to CloudWatch Logs in this region with a stream prefix.
func newTaskLogs(api logsAPI, td *ecs.RegisterTaskDefinitionInput, container, taskID, region string, out io.Writer) *taskLogs {
	l := &taskLogs{api: api, out: out}
	if out == nil {
		out = io.Discard
		l.out = out
	}
	var lc *types.LogConfiguration
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			lc = c.LogConfiguration
		}
	}
	switch {
	case lc == nil:
		l.off = "not streamed: container " + container + " has no log configuration"
	case lc.LogDriver != types.LogDriverAwslogs:
		l.off = fmt.Sprintf("not streamed: container %s logs through %s, not awslogs", container, lc.LogDriver)
	case lc.Options["awslogs-stream-prefix"] == "":
		l.off = "not streamed: without awslogs-stream-prefix the stream is named after the container's id"
	case lc.Options["awslogs-region"] != "" && lc.Options["awslogs-region"] != region:
		l.off = fmt.Sprintf("not streamed: the logs go to %s, not %s", lc.Options["awslogs-region"], region)
	default:
		l.group = lc.Options["awslogs-group"]
		l.stream = lc.Options["awslogs-stream-prefix"] + "/" + container + "/" + taskID
	}
	return l
}

// read prints every log event available now. A stream that does not exist yet (the container
// has not started, or not logged) is not an error; any other failure stops the following and
// is reported in describe, never failing the run.
func (l *taskLogs) read(ctx context.Context) {
	if l.off != "" {
		return
	}
	for range maxLogPages {
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(l.group), LogStreamName: aws.String(l.stream), NextToken: l.token}
		if l.token == nil {
			in.StartFromHead = aws.Bool(true)
		}
		out, err := l.api.GetLogEvents(ctx, in)
		var nf *logtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf), retryable(err), err != nil && ctx.Err() != nil:
			return // not there yet, or try again on the next read
		case err != nil:
			l.off = "stopped following: " + apiError("logs GetLogEvents", l.group+" "+l.stream, err).Error()
			return
		}
		l.found = true
		for _, e := range out.Events {
			fmt.Fprintln(l.out, strings.TrimRight(aws.ToString(e.Message), "\r\n"))
			l.lines++
		}
		// "You have reached the end of the stream when the returned token is the same as
		// the token you passed in" (CloudWatch Logs API reference, GetLogEvents).
		next := out.NextForwardToken
		end := next == nil || (l.token != nil && aws.ToString(next) == aws.ToString(l.token)) || len(out.Events) == 0
		if next != nil {
			l.token = next
		}
		if end {
			return
		}
	}
}

// describe says where the logs came from, or why there were none: RunResult.Logs.
func (l *taskLogs) describe() string {
	where := fmt.Sprintf("%s %s", l.group, l.stream)
	switch {
	case l.off != "" && l.group != "":
		return where + ": " + l.off
	case l.off != "":
		return l.off
	case !l.found:
		return where + ": no such stream (the container wrote nothing, or its logs have not reached CloudWatch Logs)"
	}
	return fmt.Sprintf("%s: %s", where, lineCount(l.lines))
}

// lineCount is "1 line", "2 lines".
func lineCount(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// This file reads the streams logs.go found: FilterLogEvents searches merged in time order,
// and, with --follow, polled again for what is new.

package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Following polls FilterLogEvents, as `aws logs tail --follow` does: StartLiveTail is an
// event stream that not every endpoint serving the CloudWatch Logs API has (moto has not).
const (
	// followLookback is how far before the newest line seen each poll searches again: the
	// awslogs drivers of several tasks send their batches independently, so a line can
	// arrive after a newer one from another task. Lines seen already are skipped by id.
	followLookback = 30 * time.Second
	// taskRefreshPolls is how often (in polls) --follow --revision looks for new tasks of
	// the revision (ECS replaces the ones that stop).
	taskRefreshPolls = 5
	// maxStreamNames is the most stream names one FilterLogEvents takes (its logStreamNames).
	maxStreamNames = 100
)

// logQuery is one FilterLogEvents search of a group: every stream under one prefix, or the
// listed streams; sources tell which container and task a stream is.
type logQuery struct {
	group   string
	prefix  string
	names   []string
	sources []logSource
}

// queries are the searches for a plan: one per source, or with --revision, its tasks'
// streams by name (at most maxStreamNames a search).
func (p *logPlan) queries(tasks []string) []logQuery {
	var out []logQuery
	if p.revision == "" {
		for _, src := range p.sources {
			out = append(out, logQuery{group: src.group, prefix: src.prefix, sources: []logSource{src}})
		}
		return out
	}
	var groups []string
	for _, src := range p.sources {
		if !slices.Contains(groups, src.group) {
			groups = append(groups, src.group)
		}
	}
	for _, g := range groups {
		var srcs []logSource
		var names []string
		for _, src := range p.sources {
			if src.group == g {
				srcs = append(srcs, src)
				for _, t := range tasks {
					names = append(names, src.prefix+t)
				}
			}
		}
		for chunk := range slices.Chunk(names, maxStreamNames) {
			out = append(out, logQuery{group: g, names: chunk, sources: srcs})
		}
	}
	return out
}

// line turns an event into a log line; false for a stream that is no task's stream of the
// query's containers.
func (q *logQuery) line(ev logtypes.FilteredLogEvent) (target.LogLine, bool) {
	stream := aws.ToString(ev.LogStreamName)
	for _, src := range q.sources {
		task, ok := strings.CutPrefix(stream, src.prefix)
		if ok && task != "" && !strings.Contains(task, "/") {
			return target.LogLine{Time: time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC(), Task: task,
				Container: src.container, Message: aws.ToString(ev.Message)}, true
		}
	}
	return target.LogLine{}, false
}

// tail reads the plan's streams from the start (--since) and, with --follow, polls for new
// lines until ctx ends.
func (s *Session) tail(ctx context.Context, app *spec.App, plan *logPlan, opts target.LogsOptions, sink target.LogSink) error {
	var start int64
	if opts.Since > 0 {
		start = s.now().Add(-opts.Since).UnixMilli()
	}
	t := &tailer{s: s, sink: sink, follow: opts.Follow, seen: map[string]int64{}, missing: map[string]bool{}}
	var tasks []string
	queries := func(first bool) ([]logQuery, error) {
		if plan.revision == "" {
			return plan.queries(nil), nil
		}
		ids, err := s.revisionTasks(ctx, app, plan.revision)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(tasks, id) {
				if !first {
					sink.Note(fmt.Sprintf("following task %s of %s too", id, plan.what))
				}
				tasks = append(tasks, id)
			}
		}
		if first && len(tasks) == 0 {
			msg := fmt.Sprintf("no task of %s is listed in %s (ECS lists a stopped task for at least an hour after it stops)", plan.what, s.where(app))
			if opts.Follow {
				msg += "; waiting for one"
			}
			sink.Note(msg)
		}
		return plan.queries(tasks), nil
	}
	qs, err := queries(true)
	if err != nil {
		return err
	}
	from := start
	for n := 1; ; n++ {
		if err := t.pass(ctx, qs, from); err != nil {
			return err
		}
		if !opts.Follow {
			return nil
		}
		timer := s.clock.NewTimer(s.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C():
		}
		from = max(start, t.newest-followLookback.Milliseconds())
		t.prune(from)
		if plan.revision != "" && n%taskRefreshPolls == 0 {
			if qs, err = queries(false); err != nil {
				return err
			}
		}
	}
}

// tailer reads searches in time order, once each line.
type tailer struct {
	s      *Session
	sink   target.LogSink
	follow bool
	// seen holds the ids of the lines printed (group/event id → timestamp) that a later poll
	// may find again; only when following. newest is the newest timestamp printed.
	seen    map[string]int64
	newest  int64
	missing map[string]bool // log groups already reported missing
}

// cursor walks one search's pages; buf is what is left of the current page.
type cursor struct {
	q     *logQuery
	pages *cloudwatchlogs.FilterLogEventsPaginator
	buf   []logtypes.FilteredLogEvent
	done  bool
}

// pass runs every search from the given time (ms, 0 for all) and sends the lines in time
// order across searches (each search's own are in time order: FilterLogEvents sorts by event
// timestamp, then ingestion time; CloudWatch Logs API reference).
func (t *tailer) pass(ctx context.Context, qs []logQuery, from int64) error {
	cursors := make([]*cursor, len(qs))
	for i := range qs {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(qs[i].group)}
		if qs[i].prefix != "" {
			in.LogStreamNamePrefix = aws.String(qs[i].prefix)
		} else {
			in.LogStreamNames = qs[i].names
		}
		if from > 0 {
			in.StartTime = aws.Int64(from)
		}
		cursors[i] = &cursor{q: &qs[i], pages: cloudwatchlogs.NewFilterLogEventsPaginator(t.s.logs, in,
			func(o *cloudwatchlogs.FilterLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })}
	}
	for {
		var next *cursor
		for _, c := range cursors {
			ok, err := t.fill(ctx, c)
			if err != nil {
				return err
			}
			if ok && (next == nil || aws.ToInt64(c.buf[0].Timestamp) < aws.ToInt64(next.buf[0].Timestamp)) {
				next = c
			}
		}
		if next == nil {
			return nil
		}
		ev := next.buf[0]
		next.buf = next.buf[1:]
		if err := t.send(next.q, ev); err != nil {
			return err
		}
	}
}

// fill makes sure c has an event at hand (a page may be empty while more follow); false
// when its search is done.
func (t *tailer) fill(ctx context.Context, c *cursor) (bool, error) {
	for len(c.buf) == 0 {
		if c.done || !c.pages.HasMorePages() {
			return false, nil
		}
		out, err := c.pages.NextPage(ctx)
		if isCode(err, "ResourceNotFoundException") {
			// No group yet: nothing has logged (shipit creates it on deploy). Say so once
			// rather than show nothing in silence.
			if !t.missing[c.q.group] {
				t.missing[c.q.group] = true
				t.sink.Note(fmt.Sprintf("log group %s does not exist in %s: nothing has logged there yet", c.q.group, t.s.region))
			}
			c.done = true
			return false, nil
		}
		if err != nil {
			return false, apiError("logs FilterLogEvents", "log group "+c.q.group, err)
		}
		c.buf = out.Events
	}
	return true, nil
}

// pruneEvery is how many new ids the seen set takes between prunings during a pass.
const pruneEvery = 4096

// send prints an event once.
func (t *tailer) send(q *logQuery, ev logtypes.FilteredLogEvent) error {
	ts := aws.ToInt64(ev.Timestamp)
	if t.follow {
		key := q.group + "/" + aws.ToString(ev.EventId)
		if _, ok := t.seen[key]; ok {
			return nil
		}
		t.seen[key] = ts
		if len(t.seen)%pruneEvery == 0 {
			t.prune(t.newest - followLookback.Milliseconds())
		}
	}
	t.newest = max(t.newest, ts)
	line, ok := q.line(ev)
	if !ok {
		return nil
	}
	return t.sink.Line(line)
}

// prune forgets the ids of lines older than from, which no later search returns.
func (t *tailer) prune(from int64) {
	for k, ts := range t.seen {
		if ts < from {
			delete(t.seen, k)
		}
	}
}

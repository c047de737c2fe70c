package ecssim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Container logs. ECS's awslogs driver sends what a task's containers print to CloudWatch
// Logs, one stream per container and task named "<awslogs-stream-prefix>/<container>/<task
// id>" (ECS developer guide, "Send Amazon ECS logs to CloudWatch", awslogs-stream-prefix).
// Simulated tasks run no process, so the simulator writes for them what a program would: a
// line when each container starts, and for fail-exit and fail-late the essential container's
// last line before it exits. The lines are stamped with the step's instant, so they depend only
// on the calls made and the clock, like the rest of the state.
//
// The state machine runs under the simulator's lock and makes no calls; it queues the lines
// (logStart, logExit), and flushLogs sends them to moto after the call that moved time, and
// before any CloudWatch Logs read, so a client never reads a log that is behind the tasks.
//
// moto's FilterLogEvents also differs from CloudWatch Logs in two ways the simulator mends:
// it ignores logStreamNamePrefix (every stream comes back) and, unless asked with the
// deprecated interleaved flag, returns stream after stream instead of in timestamp order,
// which CloudWatch Logs always does (API reference, FilterLogEvents: "interleaved ... As of
// June 17, 2019, this parameter is ignored and the value is assumed to be true").

// logsTargetPrefix starts the X-Amz-Target of every CloudWatch Logs call (awsJson1.1).
const logsTargetPrefix = "Logs_20140328."

// awslogsConfig is a container's awslogs log configuration, from its task definition.
type awslogsConfig struct {
	group, region, prefix string
	createGroup           bool
}

// awslogsOf reads a container definition's logConfiguration; nil for any other driver (the
// simulator writes no FireLens or splunk logs) or without a stream prefix (required on
// Fargate, and the only way the stream names a task).
func awslogsOf(c obj) *awslogsConfig {
	lc := child(c, "logConfiguration")
	if str(lc, "logDriver") != "awslogs" {
		return nil
	}
	opts := child(lc, "options")
	cfg := &awslogsConfig{group: str(opts, "awslogs-group"), region: str(opts, "awslogs-region"),
		prefix: str(opts, "awslogs-stream-prefix"), createGroup: str(opts, "awslogs-create-group") == "true"}
	if cfg.group == "" || cfg.prefix == "" {
		return nil
	}
	return cfg
}

// logRecord is one line waiting to be sent to moto.
type logRecord struct {
	account, region, group, stream string
	createGroup                    bool
	at                             time.Time
	message                        string
}

// logStart queues, for a task that just started, a line per container that logs to awslogs.
func (s *service) logStart(tk *task, t time.Time, r *rules) {
	td := tk.dep.td
	for _, c := range td.containers {
		s.queueLog(tk, c, t, r, fmt.Sprintf("ecssim: container %s started (task definition %s, image %s)", c.name, lastSegment(td.arn), c.image))
	}
}

// logExit queues the last line of the container whose exit stops a fail-exit or fail-late
// task.
func (s *service) logExit(tk *task, t time.Time, r *rules) {
	i := tk.stop.container
	if i < 0 || i >= len(tk.dep.td.containers) || tk.stop.exitCode == nil {
		return
	}
	s.queueLog(tk, tk.dep.td.containers[i], t, r, fmt.Sprintf("ecssim: container %s exiting with status %d (scenario %s)", tk.dep.td.containers[i].name, *tk.stop.exitCode, tk.dep.scenario))
}

func (s *service) queueLog(tk *task, c tdContainer, t time.Time, r *rules, msg string) {
	if c.logs == nil || r.logs == nil {
		return
	}
	region := c.logs.region
	if region == "" {
		region = s.key.region
	}
	*r.logs = append(*r.logs, logRecord{account: s.key.account, region: region, group: c.logs.group,
		stream: c.logs.prefix + "/" + c.name + "/" + tk.id, createGroup: c.logs.createGroup, at: t, message: msg})
}

// flushLogs sends the queued lines to moto. flushMu makes a read that flushes wait for a flush
// under way, so that whoever flushes first, every line queued before a read is in moto when
// the read is answered.
func (s *Simulator) flushLogs() {
	s.mu.Lock()
	empty := len(s.logOutbox) == 0
	s.mu.Unlock()
	if empty {
		return
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	recs := s.logOutbox
	s.logOutbox = nil
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One PutLogEvents per stream, its lines in time order, as the driver batches them.
	type streamKey struct{ account, region, group, stream string }
	var order []streamKey
	batches := map[streamKey][]logRecord{}
	for _, rec := range recs {
		k := streamKey{rec.account, rec.region, rec.group, rec.stream}
		if _, ok := batches[k]; !ok {
			order = append(order, k)
		}
		batches[k] = append(batches[k], rec)
	}
	for _, k := range order {
		b := batches[k]
		slices.SortStableFunc(b, func(x, y logRecord) int { return x.at.Compare(y.at) })
		if err := s.putLogs(ctx, b); err != nil {
			s.log.Warn("container log not written", "account", k.account, "region", k.region, "group", k.group, "stream", k.stream, "err", err)
		}
	}
}

// putLogs writes one stream's lines: the stream first (and the group, with
// awslogs-create-group, as the driver does). A task whose group is missing without
// awslogs-create-group never starts (loggroups.go); a group deleted while its tasks run leaves
// their later lines unwritten.
func (s *Simulator) putLogs(ctx context.Context, recs []logRecord) error {
	first := recs[0]
	call := func(op string, body obj) (*motoReply, error) {
		return s.callMotoLogs(ctx, logsHeader(first.account, first.region), op, body)
	}
	rep, err := call("CreateLogStream", obj{"logGroupName": first.group, "logStreamName": first.stream})
	if err == nil && awsErrorCode(rep) == "ResourceNotFoundException" && first.createGroup {
		if rep, err = call("CreateLogGroup", obj{"logGroupName": first.group}); err == nil && (rep.ok() || awsErrorCode(rep) == "ResourceAlreadyExistsException") {
			rep, err = call("CreateLogStream", obj{"logGroupName": first.group, "logStreamName": first.stream})
		}
	}
	if err != nil {
		return err
	}
	if !rep.ok() && awsErrorCode(rep) != "ResourceAlreadyExistsException" {
		return fmt.Errorf("CreateLogStream: HTTP %d: %s", rep.status, rep.body)
	}
	events := make([]any, len(recs))
	for i, rec := range recs {
		events[i] = obj{"timestamp": rec.at.UnixMilli(), "message": rec.message}
	}
	rep, err = call("PutLogEvents", obj{"logGroupName": first.group, "logStreamName": first.stream, "logEvents": events})
	if err != nil {
		return err
	}
	if !rep.ok() {
		return fmt.Errorf("PutLogEvents: HTTP %d: %s", rep.status, rep.body)
	}
	if o, err := decodeObj(rep.body); err == nil && len(child(o, "rejectedLogEventsInfo")) > 0 {
		// CloudWatch Logs takes no line older than 14 days: a manual clock far in the past.
		return fmt.Errorf("PutLogEvents rejected lines: %s", rep.body)
	}
	return nil
}

// logsHeader is what moto needs to place a call: the account, and the region in the SigV4
// credential scope (moto checks no signature).
func logsHeader(account, region string) http.Header {
	h := http.Header{}
	h.Set("x-moto-account-id", account)
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ecssim/20000101/"+region+"/logs/aws4_request, SignedHeaders=host, Signature=0")
	return h
}

// callMotoLogs sends a CloudWatch Logs call to moto with the given headers.
func (s *Simulator) callMotoLogs(ctx context.Context, in http.Header, op string, body obj) (*motoReply, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return s.callMotoAs(ctx, in, logsTargetPrefix, op, b)
}

// awsErrorCode is the error code of an awsJson error answer ("" for a success).
func awsErrorCode(rep *motoReply) string {
	if rep.ok() {
		return ""
	}
	if c := rep.header.Get("x-amzn-ErrorType"); c != "" {
		c, _, _ = strings.Cut(c, ":")
		return c
	}
	o, _ := decodeObj(rep.body)
	c := str(o, "__type")
	return c[strings.LastIndexByte(c, '#')+1:]
}

// catchUpLogs brings every service of the call's account up to now and sends the lines that
// queued: a log read sees what the tasks have printed by now, whichever API call came last.
func (s *Simulator) catchUpLogs(r *http.Request) {
	account := scopeOf(r).account
	now := s.now()
	s.mu.Lock()
	rl := s.rules()
	for key, srv := range s.services {
		if key.account == account {
			srv.advance(now, rl)
		}
	}
	s.mu.Unlock()
	s.flushLogs()
}

// logsCall handles a CloudWatch Logs call: every one is answered by moto once the logs have
// caught up; FilterLogEvents is mended as said above.
func (s *Simulator) logsCall(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), logsTargetPrefix)
	s.catchUpLogs(r)
	if op != "FilterLogEvents" {
		s.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxECSBody))
	if err != nil {
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "ecssim: "+err.Error())
		return
	}
	req, err := decodeObj(body)
	if err != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.proxy.ServeHTTP(w, r) // let moto word the complaint
		return
	}
	prefix, hasPrefix := req["logStreamNamePrefix"].(string)
	if hasPrefix && len(list(req, "logStreamNames")) > 0 {
		// API reference, FilterLogEvents: "If you specify a value for both
		// logStreamNamePrefix and logStreamNames, the action returns an
		// InvalidParameterException error."
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "logStreamNamePrefix and logStreamNames cannot both be specified")
		return
	}
	if hasPrefix {
		delete(req, "logStreamNamePrefix")
		names, rep, err := s.streamsWithPrefix(r, str(req, "logGroupName"), prefix)
		switch {
		case err != nil:
			s.motoDown(w, err)
			return
		case rep != nil:
			rep.relay(w) // moto's error: a missing group, say
			return
		case len(names) == 0:
			writeJSON(w, http.StatusOK, "", obj{"events": []any{}, "searchedLogStreams": []any{}})
			return
		}
		req["logStreamNames"] = names
	}
	req["interleaved"] = true
	rep, err := s.callMotoLogs(r.Context(), r.Header, "FilterLogEvents", req)
	if err != nil {
		s.motoDown(w, err)
		return
	}
	rep.relay(w)
}

// streamsWithPrefix lists a group's streams whose names start with prefix (moto's
// DescribeLogStreams does honour the prefix); rep is moto's answer when it is an error.
func (s *Simulator) streamsWithPrefix(r *http.Request, group, prefix string) ([]any, *motoReply, error) {
	var names []any
	in := obj{"logGroupName": group, "logStreamNamePrefix": prefix}
	for {
		rep, err := s.callMotoLogs(r.Context(), r.Header, "DescribeLogStreams", in)
		if err != nil {
			return nil, nil, err
		}
		if !rep.ok() {
			return nil, rep, nil
		}
		o, err := decodeObj(rep.body)
		if err != nil {
			return nil, nil, fmt.Errorf("moto DescribeLogStreams: %w", err)
		}
		for _, st := range list(o, "logStreams") {
			if st, ok := st.(obj); ok {
				names = append(names, str(st, "logStreamName"))
			}
		}
		next := str(o, "nextToken")
		if next == "" || next == str(in, "nextToken") {
			return names, nil, nil
		}
		in["nextToken"] = next
	}
}

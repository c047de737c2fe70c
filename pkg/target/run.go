package target

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A command runs under two limits: its time bound (--timeout, or a default for commands that
// only read) and the first interrupt (Ctrl-C or SIGTERM). The bound is hard: every call, write
// or not, stops when it runs out. An interrupt is soft: it stops every read and watch at once,
// but a write already under way is finished (see GuardWrites and WithoutInterrupt), so nothing
// is left half applied.

type runKey struct{}

// run is what a command context carries: the bound's context and the step it is in.
type run struct {
	bound       context.Context
	cancelBound context.CancelCauseFunc
	start       time.Time

	mu    sync.Mutex
	limit time.Duration
	timer *time.Timer
	// shared is set on a Fork whose timer is its command's (never stopped by the fork).
	shared bool
	step   string
}

// errBound is the cause of a command context whose time bound ran out.
var errBound = errors.New("the command's time bound ran out")

// TimeoutError is a command that ran out of its time bound (exit 5). Step names what it was
// doing then.
type TimeoutError struct {
	Limit time.Duration
	Step  string
	// Err is the error the command stopped with, if any.
	Err error
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("timed out after %s", e.Limit)
	if e.Step != "" {
		msg += " while " + e.Step
	}
	if !bare(e.Err) {
		// "timed out" already says the bound ran out; the cause at the end of a wrapped error
		// would say it twice
		msg += ": " + strings.TrimSuffix(e.Err.Error(), ": "+errBound.Error())
	}
	return msg
}

// bare reports whether err says nothing beyond "the context ended".
func bare(err error) bool {
	return err == nil || err == context.Canceled || err == context.DeadlineExceeded || err == errBound
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// CommandContext derives a command's context from the process context, which the first
// interrupt cancels. The returned context ends at the interrupt or when limit has passed
// since now (no limit when limit <= 0; SetLimit may set one later).
func CommandContext(process context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	rn := &run{start: time.Now()}
	rn.bound, rn.cancelBound = context.WithCancelCause(context.WithValue(context.WithoutCancel(process), runKey{}, rn))
	ctx, cancel := context.WithCancelCause(rn.bound)
	if process.Err() != nil {
		cancel(context.Cause(process))
	}
	stop := context.AfterFunc(process, func() { cancel(context.Cause(process)) })
	if limit > 0 {
		SetLimit(ctx, limit)
	}
	return ctx, func() {
		stop()
		cancel(context.Canceled)
		rn.mu.Lock()
		if rn.timer != nil {
			rn.timer.Stop()
		}
		rn.mu.Unlock()
		rn.cancelBound(context.Canceled)
	}
}

// SetLimit sets the time bound of ctx's command, counted from the command's start, unless it
// has one already (a --timeout given on the command line wins over a default known only once
// the spec is loaded).
func SetLimit(ctx context.Context, limit time.Duration) { SetLimitWithGrace(ctx, limit, 0) }

// SetLimitWithGrace is SetLimit for a command whose watch has limit itself: the command ends
// grace later at the latest (so the watch, which ran out first, reports its own verdict),
// and messages name limit.
func SetLimitWithGrace(ctx context.Context, limit, grace time.Duration) {
	rn := runOf(ctx)
	if rn == nil || limit <= 0 {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.timer != nil {
		return
	}
	rn.limit = limit
	rn.timer = time.AfterFunc(max(time.Until(rn.start.Add(limit+grace)), 0), func() { rn.cancelBound(errBound) })
}

// Limit returns the time bound of ctx's command and how much of it is left (0, 0 when it has
// none).
func Limit(ctx context.Context) (limit, left time.Duration) {
	rn := runOf(ctx)
	if rn == nil {
		return 0, 0
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.timer == nil {
		return 0, 0
	}
	return rn.limit, max(time.Until(rn.start.Add(rn.limit)), 0)
}

func runOf(ctx context.Context) *run {
	rn, _ := ctx.Value(runKey{}).(*run)
	return rn
}

// Step records what the command is doing now ("applying", "watching the rollout"), so that a
// time bound that runs out can say where it stopped. Steps after the bound ran out are not
// recorded, nor those after the interrupt (the step named is where it came).
func Step(ctx context.Context, step string) {
	if rn := runOf(ctx); rn != nil {
		rn.mu.Lock()
		defer rn.mu.Unlock()
		if rn.bound.Err() == nil && ctx.Err() == nil {
			rn.step = step
		}
	}
}

// OutOfTime returns the TimeoutError when ctx's command ran out of its time bound, else nil.
// err is the error the command stopped with (kept for its message).
func OutOfTime(ctx context.Context, err error) *TimeoutError {
	rn := runOf(ctx)
	if rn == nil || !errors.Is(context.Cause(rn.bound), errBound) {
		return nil
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return &TimeoutError{Limit: rn.limit, Step: rn.step, Err: err}
}

// Interrupted reports whether ctx ended because of an interrupt (not its time bound).
func Interrupted(ctx context.Context) bool {
	return ctx.Err() != nil && OutOfTime(ctx, nil) == nil
}

// WithoutInterrupt returns a context for finishing a write: it is not canceled by an
// interrupt but still ends with the command's time bound. Outside a command context it is
// context.WithoutCancel.
func WithoutInterrupt(ctx context.Context) context.Context {
	if rn := runOf(ctx); rn != nil {
		return rn.bound
	}
	return context.WithoutCancel(ctx)
}

type guardKey struct{}

type guard struct {
	mu      sync.Mutex
	writing bool
	ctx     context.Context
	user    context.Context
}

// GuardWrites returns a context for a step that reads first and may then write: an interrupt
// cancels it as long as nothing is being written, so reads (and the SDK's retries of them)
// stop at once; once BeginWrite has been called on it, an interrupt no longer cancels it and
// the writes run to their end. The time bound always applies.
func GuardWrites(ctx context.Context) (context.Context, context.CancelFunc) {
	g := &guard{user: ctx}
	gctx, cancel := context.WithCancelCause(context.WithValue(WithoutInterrupt(ctx), guardKey{}, g))
	g.ctx = gctx
	if ctx.Err() != nil {
		cancel(context.Cause(ctx))
	}
	stop := context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.writing {
			cancel(context.Cause(ctx))
		}
	})
	return gctx, func() { stop(); cancel(context.Canceled) }
}

// BeginWrite marks the first write of a GuardWrites context. It returns false when the
// context has already ended (interrupted before anything was written, or out of time): the
// caller must then not write. On any other context it reports whether ctx is still live.
func BeginWrite(ctx context.Context) bool {
	g, _ := ctx.Value(guardKey{}).(*guard)
	if g == nil {
		return ctx.Err() == nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writing {
		return true
	}
	if g.ctx.Err() != nil || g.user.Err() != nil {
		return false
	}
	g.writing = true
	return true
}

// CurrentStep is the step ctx's command is in, or "".
func CurrentStep(ctx context.Context) string {
	rn := runOf(ctx)
	if rn == nil {
		return ""
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.step
}

// InterruptError is a command that an interrupt stopped (exit 130) in a step where nothing
// was being written.
type InterruptError struct {
	Cause error // the interrupt (names the signal)
	Step  string
	Err   error
	// Wrote is set when the step was writing: part of it may be done.
	Wrote bool
}

// Prefix is "interrupted (SIGTERM) while <step>".
func (e *InterruptError) Prefix() string {
	msg := "interrupted"
	if e.Cause != nil && !errors.Is(e.Cause, context.Canceled) {
		msg = e.Cause.Error()
	}
	if e.Step != "" {
		msg += " while " + e.Step
	}
	return msg
}

func (e *InterruptError) Error() string {
	msg := e.Prefix()
	if e.Wrote {
		if !bare(e.Err) {
			msg += ": " + e.Err.Error()
		}
		return msg + "; part of it may be done"
	}
	return msg + "; nothing was written"
}

func (e *InterruptError) Unwrap() error { return e.Err }

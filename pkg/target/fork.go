package target

import (
	"context"
	"time"
)

// Fork returns the context of one of several jobs a command runs at once (one app of a
// multi-app deploy). The job has the command's interrupt and, when the command has a time
// bound (--timeout), that bound, counted from the command's start; but it records steps of
// its own, so a job that is interrupted or runs out of time names what it was doing, not what
// another job was. A command without a bound leaves each job free to SetLimit its own (a
// deploy's default bound comes from the app's rollout.timeout), counted from the job's start:
// time spent waiting for a turn does not count.
//
// Outside a command context, Fork is CommandContext without a limit.
func Fork(ctx context.Context) (context.Context, context.CancelFunc) {
	parent := runOf(ctx)
	if parent == nil {
		return CommandContext(ctx, 0)
	}
	rn := &run{start: time.Now()}
	parent.mu.Lock()
	if parent.timer != nil {
		// The command's bound is the job's: same start, same limit, and the parent's timer,
		// which this job must never stop (shared).
		rn.start, rn.limit, rn.timer, rn.shared = parent.start, parent.limit, parent.timer, true
	}
	parent.mu.Unlock()
	rn.bound, rn.cancelBound = context.WithCancelCause(context.WithValue(context.WithoutCancel(ctx), runKey{}, rn))
	jctx, cancel := context.WithCancelCause(rn.bound)
	// The interrupt, the command's bound or the end of the command ends the job. When the
	// bound ran out (the parent's bound ended first: ctx derives from it), the job's bound
	// ends with it, before the job does, so OutOfTime on the job sees it the moment the job's
	// context is done.
	end := func() {
		if parent.bound.Err() != nil {
			rn.cancelBound(context.Cause(parent.bound))
		}
		cancel(context.Cause(ctx))
	}
	stop := context.AfterFunc(ctx, end)
	if ctx.Err() != nil {
		end()
	}
	return jctx, func() {
		stop()
		cancel(context.Canceled)
		rn.mu.Lock()
		if rn.timer != nil && !rn.shared {
			rn.timer.Stop()
		}
		rn.mu.Unlock()
		rn.cancelBound(context.Canceled)
	}
}

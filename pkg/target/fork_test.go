package target

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Jobs of a command with a time bound share it, but each names its own step when it runs out.
func TestForkSharesTheBoundWithStepsOfItsOwn(t *testing.T) {
	ctx, cancel := CommandContext(context.Background(), 80*time.Millisecond)
	defer cancel()
	a, cancelA := Fork(ctx)
	defer cancelA()
	b, cancelB := Fork(ctx)
	defer cancelB()
	Step(a, "watching a")
	Step(b, "applying b")
	if l, _ := Limit(a); l != 80*time.Millisecond {
		t.Errorf("a job's limit %s, want the command's", l)
	}
	SetLimit(a, time.Hour) // a default known later never replaces the command's bound
	<-a.Done()
	<-b.Done()
	for job, want := range map[context.Context]string{a: "timed out after 80ms while watching a", b: "timed out after 80ms while applying b"} {
		te := OutOfTime(job, nil)
		if te == nil || te.Error() != want {
			t.Errorf("got %v, want %q", te, want)
		}
		if Interrupted(job) {
			t.Errorf("%q counted as an interrupt", want)
		}
	}
	if CurrentStep(ctx) != "" {
		t.Errorf("the command's own step is %q: jobs' steps leaked into it", CurrentStep(ctx))
	}
}

// An interrupt ends every job at once; a write under way (WithoutInterrupt) is not cut.
func TestForkInterrupt(t *testing.T) {
	process, interrupt := context.WithCancelCause(context.Background())
	ctx, cancel := CommandContext(process, 0)
	defer cancel()
	job, cancelJob := Fork(ctx)
	defer cancelJob()
	Step(job, "watching")
	interrupt(errors.New("interrupted (SIGTERM)"))
	<-job.Done()
	if !Interrupted(job) || OutOfTime(job, nil) != nil {
		t.Fatal("the job did not see an interrupt")
	}
	if context.Cause(job).Error() != "interrupted (SIGTERM)" {
		t.Errorf("cause %v", context.Cause(job))
	}
	if WithoutInterrupt(job).Err() != nil {
		t.Error("an interrupt ended the job's writes")
	}
	if CurrentStep(job) != "watching" {
		t.Errorf("step %q", CurrentStep(job))
	}
}

// Without a command bound, a job's SetLimit bounds that job alone, counted from its own start.
func TestForkOwnLimit(t *testing.T) {
	ctx, cancel := CommandContext(context.Background(), 0)
	defer cancel()
	time.Sleep(30 * time.Millisecond) // the command started earlier: this must not count
	a, cancelA := Fork(ctx)
	defer cancelA()
	b, cancelB := Fork(ctx)
	defer cancelB()
	SetLimit(a, 50*time.Millisecond)
	if l, left := Limit(a); l != 50*time.Millisecond || left <= 40*time.Millisecond {
		t.Errorf("a: limit %s, left %s", l, left)
	}
	Step(a, "watching a")
	<-a.Done()
	if te := OutOfTime(a, nil); te == nil || te.Error() != "timed out after 50ms while watching a" {
		t.Errorf("a: %v", te)
	}
	if b.Err() != nil || ctx.Err() != nil {
		t.Errorf("one job's bound ended another (%v) or the command (%v)", b.Err(), ctx.Err())
	}
	if l, _ := Limit(b); l != 0 {
		t.Errorf("b got a's limit %s", l)
	}
}

// A job forked after the interrupt is over before it starts.
func TestForkAfterInterrupt(t *testing.T) {
	process, interrupt := context.WithCancelCause(context.Background())
	ctx, cancel := CommandContext(process, 0)
	defer cancel()
	interrupt(errors.New("interrupted (SIGINT)"))
	<-ctx.Done()
	job, cancelJob := Fork(ctx)
	defer cancelJob()
	if job.Err() == nil || !Interrupted(job) {
		t.Errorf("job err %v, interrupted %v", job.Err(), Interrupted(job))
	}
}

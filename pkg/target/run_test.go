package target

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The time bound ends the command context with a TimeoutError naming the step it came in;
// steps after it are not recorded.
func TestCommandContextTimeBound(t *testing.T) {
	ctx, cancel := CommandContext(context.Background(), 50*time.Millisecond)
	defer cancel()
	Step(ctx, "applying")
	<-ctx.Done()
	Step(ctx, "watching")
	te := OutOfTime(ctx, nil)
	if te == nil || te.Step != "applying" || te.Error() != "timed out after 50ms while applying" {
		t.Fatalf("got %v", te)
	}
	if Interrupted(ctx) {
		t.Error("a time bound counted as an interrupt")
	}
	if ExitCode(te) != ExitTimedOut {
		t.Errorf("exit %d", ExitCode(te))
	}
}

// A limit known only later (the spec's rollout.timeout) counts from the command's start, and
// never replaces one given on the command line.
func TestSetLimit(t *testing.T) {
	ctx, cancel := CommandContext(context.Background(), 0)
	defer cancel()
	if l, _ := Limit(ctx); l != 0 {
		t.Fatalf("limit %s before any was set", l)
	}
	SetLimit(ctx, time.Hour)
	SetLimit(ctx, time.Millisecond)
	if l, left := Limit(ctx); l != time.Hour || left <= 59*time.Minute {
		t.Errorf("limit %s, left %s", l, left)
	}
}

// An interrupt cancels the command context, but not WithoutInterrupt's, which still ends
// with the time bound.
func TestInterruptAndWithoutInterrupt(t *testing.T) {
	process, interrupt := context.WithCancelCause(context.Background())
	ctx, cancel := CommandContext(process, 200*time.Millisecond)
	defer cancel()
	Step(ctx, "reading")
	interrupt(errors.New("interrupted (SIGTERM)"))
	<-ctx.Done()
	Step(ctx, "later")
	if !Interrupted(ctx) || OutOfTime(ctx, nil) != nil {
		t.Fatal("not seen as an interrupt")
	}
	if CurrentStep(ctx) != "reading" {
		t.Errorf("step %q", CurrentStep(ctx))
	}
	w := WithoutInterrupt(ctx)
	if w.Err() != nil {
		t.Fatal("WithoutInterrupt ended with the interrupt")
	}
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("WithoutInterrupt outlived the time bound")
	}
	e := &InterruptError{Cause: context.Cause(ctx), Step: CurrentStep(ctx)}
	if e.Error() != "interrupted (SIGTERM) while reading; nothing was written" || ExitCode(e) != ExitInterrupted {
		t.Errorf("%q exit %d", e.Error(), ExitCode(e))
	}
}

// GuardWrites: an interrupt before BeginWrite cancels the guarded context (reads stop at
// once) and BeginWrite then refuses; after BeginWrite, an interrupt no longer cancels it.
func TestGuardWrites(t *testing.T) {
	t.Run("interrupt before the first write", func(t *testing.T) {
		process, interrupt := context.WithCancel(context.Background())
		ctx, cancel := CommandContext(process, 0)
		defer cancel()
		g, stop := GuardWrites(ctx)
		defer stop()
		interrupt()
		select {
		case <-g.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the guarded context outlived the interrupt before any write")
		}
		if BeginWrite(g) {
			t.Error("BeginWrite allowed a write after the interrupt")
		}
	})
	t.Run("interrupt during a write", func(t *testing.T) {
		process, interrupt := context.WithCancel(context.Background())
		ctx, cancel := CommandContext(process, 0)
		defer cancel()
		g, stop := GuardWrites(ctx)
		defer stop()
		if !BeginWrite(g) {
			t.Fatal("BeginWrite refused on a live context")
		}
		interrupt()
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond)
		if g.Err() != nil || !BeginWrite(g) {
			t.Error("the interrupt canceled a write under way")
		}
	})
	t.Run("already interrupted", func(t *testing.T) {
		process, interrupt := context.WithCancel(context.Background())
		interrupt()
		ctx, cancel := CommandContext(process, 0)
		defer cancel()
		g, stop := GuardWrites(ctx)
		defer stop()
		if BeginWrite(g) {
			t.Error("BeginWrite allowed a write on an interrupted command")
		}
	})
}

func TestTimeoutErrorKeepsWhatTheCommandSaid(t *testing.T) {
	e := &TimeoutError{Limit: time.Second, Step: "applying", Err: errors.New("apply x: boom\\napplied before the failure: a")}
	if !strings.Contains(e.Error(), "applied before the failure") {
		t.Errorf("%q", e.Error())
	}
}

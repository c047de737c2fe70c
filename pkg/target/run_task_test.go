package target

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRunExitCode: a run exits with its command's exit code when the command ran, and with
// shipit's own codes otherwise; ExitCode reads it back through any wrapping.
func TestRunExitCode(t *testing.T) {
	code := func(n int) *int { return &n }
	for _, c := range []struct {
		res  RunResult
		want int
	}{
		{RunResult{Status: RunSucceeded, ContainerExitCode: code(0)}, 0},
		{RunResult{Status: RunFailed, ContainerExitCode: code(3)}, 3},
		{RunResult{Status: RunFailed, ContainerExitCode: code(137)}, 137},
		{RunResult{Status: RunFailed}, ExitFailed},
		{RunResult{Status: RunNotRun}, ExitFailed},
		{RunResult{Status: RunTimedOut}, ExitTimedOut},
		{RunResult{Status: RunInterrupted}, ExitInterrupted},
	} {
		t.Run(string(c.res.Status), func(t *testing.T) {
			if got := c.res.ExitCode(); got != c.want {
				t.Errorf("ExitCode() = %d, want %d", got, c.want)
			}
			err := c.res.Err()
			if c.want == 0 {
				if err != nil {
					t.Errorf("Err() = %v for a success", err)
				}
				return
			}
			if got := ExitCode(fmt.Errorf("run: %w", err)); got != c.want {
				t.Errorf("ExitCode(Err()) = %d, want %d", got, c.want)
			}
		})
	}
}

// TestStoppedBy tells a run stopped by its time bound from one stopped by an interrupt.
func TestStoppedBy(t *testing.T) {
	process, interrupt := context.WithCancel(context.Background())
	ctx, cancel := CommandContext(process, 0)
	interrupt()
	<-ctx.Done()
	if got := StoppedBy(ctx); got != RunInterrupted {
		t.Errorf("interrupted: %s", got)
	}
	cancel()

	ctx, cancel = CommandContext(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if got := StoppedBy(ctx); got != RunTimedOut {
		t.Errorf("out of time: %s", got)
	}
}

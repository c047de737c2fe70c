package cmdutil

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Interrupt is the cause of a context canceled by SIGINT or SIGTERM.
type Interrupt struct{ Signal os.Signal }

func (i Interrupt) Error() string { return "interrupted (" + SignalName(i.Signal) + ")" }

// SignalName is how messages name a signal.
func SignalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// NotifyInterrupt returns a context that the first SIGINT (Ctrl-C) or SIGTERM (what a CI
// runner sends on cancel) cancels, the two alike, with an Interrupt as its cause. A second
// one exits at once with 130 after one line on errOut. stop releases the signals.
func NotifyInterrupt(errOut io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(Interrupt{Signal: s})
		case <-done:
			return
		}
		select {
		case s := <-ch:
			fmt.Fprintf(errOut, "\n%s again: exiting at once (exit 130); check what is live with shipit status\n", SignalName(s))
			exit(ExitInterruptedNow)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// ExitInterruptedNow is the exit code of a second interrupt.
const ExitInterruptedNow = 130

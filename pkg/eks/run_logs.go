// This file streams a one-off Job's container logs (shipit run), as kubectl logs -f does.

package eks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// runLogStream streams one container's logs (kubectl logs -f) to out, from a goroutine, once.
// A cluster that cannot serve them (no kubelet behind the node, as on a simulated one) is
// said, never a failure of the run.
type runLogStream struct {
	out io.Writer

	mu      sync.Mutex
	started bool
	from    string // "pod P, container C"
	lines   int
	err     error
	cancel  context.CancelFunc
	done    chan struct{}
}

// start streams once (later calls do nothing).
func (l *runLogStream) start(ctx context.Context, open func(context.Context) (io.ReadCloser, error), pod, container string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return
	}
	l.started = true
	l.from = fmt.Sprintf("pod %s, container %s", pod, container)
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel, l.done = cancel, make(chan struct{})
	out := l.out
	if out == nil {
		out = io.Discard
	}
	go func() {
		defer close(l.done)
		stream, err := open(lctx)
		if err != nil && lctx.Err() != nil {
			err = errors.New("the cluster did not serve them in time")
		}
		if err != nil {
			l.fail(err)
			return
		}
		defer stream.Close()
		sc := bufio.NewScanner(stream)
		sc.Buffer(make([]byte, 64<<10), maxLogLineBytes)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			l.mu.Lock()
			l.lines++
			l.mu.Unlock()
		}
		if err := sc.Err(); err != nil && lctx.Err() == nil {
			l.fail(err)
		}
	}()
}

func (l *runLogStream) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

// finish waits up to grace for the stream to end (it ends when the container has exited),
// then stops it.
func (l *runLogStream) finish(grace time.Duration) {
	l.mu.Lock()
	done, cancel := l.done, l.cancel
	l.mu.Unlock()
	if done == nil {
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	cancel()
	<-done
}

// describe says where the logs came from, or why there were none: RunResult.Logs.
func (l *runLogStream) describe() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var se *apierrors.StatusError
	switch {
	case !l.started:
		return "none: the container never started"
	case l.err != nil && errors.As(l.err, &se):
		return fmt.Sprintf("%s: no logs available: %s", l.from, se.ErrStatus.Message)
	case l.err != nil:
		return fmt.Sprintf("%s: no logs available: %v", l.from, l.err)
	}
	return fmt.Sprintf("%s: %s", l.from, lineCount(l.lines))
}

// lineCount is "1 line", "2 lines".
func lineCount(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

package deploy

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// RunMany deploys the apps of several specs (-f repeated, or directories) at once, in one
// process: every spec is loaded and validated first (one invalid spec and nothing is
// deployed), then at most --max-parallel apps deploy at a time, each exactly as a single
// deploy would (its own apply, watch, automatic rollback, time bound and interrupt handling),
// sharing one session per region or cluster where the target allows it
// (target.SessionSharer). Progress is one stream with a prefix (or, in JSON, a file) per app;
// at the end a summary lists every app's verdict, and the exit code is the worst of the apps'
// (target.WorstExit). --timeout bounds the whole command; without it each app has the bound a
// single deploy of it would have, counted from its own start.
func RunMany(ctx context.Context, o *Options) error {
	target.SetLimitWithGrace(ctx, o.Timeout, cmdutil.WatchGrace)
	if err := o.Global.CheckOutput(); err != nil {
		return err
	}
	if o.DryRun {
		return &target.UsageError{Msg: "--dry-run takes one spec: run shipit diff -f FILE for each of them"}
	}
	if o.MaxParallel < 1 {
		return &target.UsageError{Msg: fmt.Sprintf("--max-parallel %d: deploy at least 1 app at a time", o.MaxParallel)}
	}
	t, err := o.Targets.Lookup(o.Target)
	if err != nil {
		return err
	}
	images, err := cmdutil.ParseImages(o.Images)
	if err != nil {
		return err
	}
	files, err := cmdutil.ExpandSpecFiles(o.Global.SpecFiles())
	if err != nil {
		return err
	}
	jobs, err := o.loadAll(ctx, t, files, images)
	if err != nil {
		return err
	}
	b := &batch{o: o, t: t, jobs: jobs, sessions: &sessions{t: t, opts: o.Global.ConnectOptions(), by: map[string]*sharedSession{}}}
	b.setOutput()
	b.run(ctx)
	return b.finish()
}

// job is one app of the batch and, once it ran, how it ended.
type job struct {
	file  string
	app   *spec.App
	label string
	// reporter gets the app's progress; errOut its notes (text only).
	reporter target.Reporter
	errOut   io.Writer

	started bool
	took    time.Duration
	// verdict is how the deploy ended; nil when an error stopped it (err).
	verdict *target.Verdict
	err     error
}

// batch is a many-app deploy under way.
type batch struct {
	o        *Options
	t        target.Target
	jobs     []*job
	sessions *sessions
}

func (b *batch) now() time.Time {
	if b.o.now != nil {
		return b.o.now()
	}
	return time.Now()
}

// setOutput gives every app its reporter and note writer on the one progress stream.
func (b *batch) setOutput() {
	g, ios := b.o.Global, b.o.IO
	errStream := &sharedStream{w: ios.ErrOut}
	width := labelWidth(b.jobs)
	color := g.Color(ios.IsErrOutTTY())
	var jsonStream *sharedStream
	if g.JSON() {
		jsonStream = &sharedStream{w: ios.Out}
	}
	for _, j := range b.jobs {
		pw := &prefixWriter{s: errStream, prefix: padRight(j.label, width) + " | "}
		j.errOut = pw
		if jsonStream != nil {
			j.reporter = &jsonAppReporter{s: jsonStream, file: j.file}
		} else {
			j.reporter = target.NewTextReporter(pw, false, color)
		}
	}
}

// run deploys the apps, at most --max-parallel at once, starting them in the order of the
// specs. Once the command is interrupted or out of time, the apps that have not started never
// do; those under way stop as a single deploy does.
func (b *batch) run(ctx context.Context) {
	turn := fmt.Sprintf("waiting for its turn (--max-parallel %d)", b.o.MaxParallel)
	slots := make(chan struct{}, b.o.MaxParallel)
	var wg sync.WaitGroup
	for _, j := range b.jobs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			b.notStarted(ctx, j, turn)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			b.deploy(ctx, j)
		}()
	}
	wg.Wait()
}

// deploy deploys one app as Run does, in a job context of its own (its steps, its bound).
func (b *batch) deploy(ctx context.Context, j *job) {
	ctx, cancel := target.Fork(ctx)
	defer cancel()
	j.started = true
	start := b.now()
	target.SetLimit(ctx, cmdutil.DeployBound(j.app.RolloutTimeout()))
	v, err := b.deployApp(ctx, j)
	j.took = b.now().Sub(start)
	text := !b.o.Global.JSON()
	if err != nil {
		if v, err = stoppedVerdict(ctx, b.t.Name(), j.app, err); v == nil {
			j.err = err
			if text {
				fmt.Fprintf(j.errOut, "error: %s\n", err)
			}
			return
		}
		// The verdict already names the bound or the interrupt (unlike PrintVerdict, no
		// SettleVerdict here: it would name the bound twice).
		if text {
			fmt.Fprint(j.errOut, checkLive(b.t.Name(), j.file))
		}
		j.verdict = v
		return
	}
	nameInterrupt(ctx, v)
	if (v.Phase == target.Canceled || target.OutOfTime(ctx, nil) != nil) && text {
		fmt.Fprint(j.errOut, interruptedNote(ctx, v, b.t.Name(), j.file))
	}
	cmdutil.SettleVerdict(ctx, v)
	j.verdict = v
}

func (b *batch) deployApp(ctx context.Context, j *job) (*target.Verdict, error) {
	s, err := b.sessions.get(ctx, j.app)
	if err != nil {
		return nil, err
	}
	return s.Deploy(ctx, j.app, b.o.deployOptions(), j.reporter)
}

// notStarted is the verdict of an app whose turn never came: nothing of it was written.
func (b *batch) notStarted(ctx context.Context, j *job, turn string) {
	v := &target.Verdict{Target: b.t.Name(), App: j.app.Name}
	if te := target.OutOfTime(ctx, nil); te != nil {
		te.Step = turn
		v.Phase, v.Message = target.TimedOut, te.Error()+"; nothing was written"
	} else {
		v.Phase, v.Message = target.Canceled, (&target.InterruptError{Cause: context.Cause(ctx), Step: turn}).Error()
	}
	j.verdict = v
}

// finish prints the summary and returns the worst app's error (already printed), which
// carries the exit code.
func (b *batch) finish() error {
	g, ios := b.o.Global, b.o.IO
	rows := make([]appResult, len(b.jobs))
	for i, j := range b.jobs {
		rows[i] = resultOf(j, b.t.Name())
	}
	var err error
	if g.JSON() {
		err = printSummaryJSON(ios.Out, rows)
	} else {
		err = printSummaryTable(ios.Out, rows, g.Color(ios.IsOutTTY()))
	}
	if err != nil {
		// The exit code still tells the worst verdict, even to a reader that went away.
		fmt.Fprintf(ios.ErrOut, "could not print the summary: %v\n", err)
	}
	if w := worst(rows); w != nil {
		return cmdutil.Silent(w.err)
	}
	return nil
}

// sessions connects apps to the target, once per session key when the target shares
// sessions (target.SessionSharer): the first app of a key connects, the others wait for it.
type sessions struct {
	t    target.Target
	opts target.ConnectOptions
	mu   sync.Mutex
	by   map[string]*sharedSession
}

type sharedSession struct {
	done chan struct{}
	s    target.Session
	err  error
}

func (c *sessions) get(ctx context.Context, app *spec.App) (target.Session, error) {
	target.Step(ctx, "connecting to "+c.t.Name())
	key := ""
	if sh, ok := c.t.(target.SessionSharer); ok {
		key = sh.SessionKey(app, c.opts)
	}
	if key == "" {
		return c.t.Connect(ctx, app, c.opts)
	}
	c.mu.Lock()
	sh, ok := c.by[key]
	if !ok {
		sh = &sharedSession{done: make(chan struct{})}
		c.by[key] = sh
		c.mu.Unlock()
		sh.s, sh.err = c.t.Connect(ctx, app, c.opts)
		close(sh.done)
		return sh.s, sh.err
	}
	c.mu.Unlock()
	select {
	case <-sh.done:
		return sh.s, sh.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

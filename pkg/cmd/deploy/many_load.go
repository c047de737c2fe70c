package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// loadAll loads and validates every spec for the target before anything is deployed: one
// invalid spec stops the whole batch, so a batch is never half applied because of a typo.
// The errors of every invalid file come back together (spec.Errors, each with its file, line
// and field). Warnings are printed as a single deploy prints them.
//
// An --image NAME=REF override applies to every app that has a container NAME; one that no
// app has is a usage error (it would otherwise be dropped without a word).
func (o *Options) loadAll(ctx context.Context, t target.Target, files []string, images map[string]string) ([]*job, error) {
	var jobs []*job
	var errs spec.Errors
	used := map[string]bool{}
	for _, file := range files {
		app, err := o.loadOne(ctx, t, file, images, used)
		if err != nil {
			if ctx.Err() != nil {
				// Interrupted or out of time while reading (a FIFO nobody writes to).
				return nil, cmdutil.Stopped(ctx, err)
			}
			errs = append(errs, asSpecErrors(file, err)...)
			continue
		}
		jobs = append(jobs, &job{file: file, app: app})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, name := range slices.Sorted(maps.Keys(images)) {
		if !used[name] {
			return nil, &target.UsageError{Msg: fmt.Sprintf("--image %s=%s: no app has a container named %q", name, images[name], name)}
		}
	}
	labelJobs(jobs)
	return jobs, nil
}

// loadOne reads, loads (with the --image overrides the app has a container for, which it
// marks used) and validates one spec for the target.
func (o *Options) loadOne(ctx context.Context, t target.Target, file string, images map[string]string, used map[string]bool) (*spec.App, error) {
	target.Step(ctx, "reading the spec "+file)
	data, err := cmdutil.ReadSpecFile(ctx, file, o.IO.In)
	if err != nil {
		return nil, err
	}
	target.Step(ctx, "loading the spec "+file)
	doc, err := spec.ParseDocument(file, data)
	if err != nil {
		return nil, err
	}
	opts := spec.Options{Environment: o.Global.Env, Getenv: o.Global.Getenv, Target: t.Name()}
	app, err := doc.Load(opts)
	if err != nil {
		return nil, err
	}
	mine := map[string]string{}
	for _, c := range containers(app) {
		if ref, ok := images[c]; ok {
			mine[c], used[c] = ref, true
		}
	}
	if len(mine) > 0 {
		opts.Images = mine
		if app, err = doc.Load(opts); err != nil {
			return nil, err
		}
	}
	errs, warns := app.Validate(t.Name())
	cmdutil.PrintDiagnostics(o.IO.ErrOut, "warning: ", append(app.Warnings(), warns...))
	if len(errs) > 0 {
		return nil, errs
	}
	return app, nil
}

// containers are the names --image may override in app: the app's (and its container's, when
// that has a name of its own), its sidecars' and its init steps'.
func containers(app *spec.App) []string {
	names := []string{app.Name, app.MainContainer()}
	for _, list := range [][]spec.Sidecar{app.Sidecars, app.Init} {
		for _, s := range list {
			names = append(names, s.Name)
		}
	}
	return names
}

// asSpecErrors is a spec's loading error as spec errors: a spec that cannot be read (a
// permission, an I/O error) is as unusable as one that does not parse.
func asSpecErrors(file string, err error) spec.Errors {
	var errs spec.Errors
	if errors.As(err, &errs) {
		return errs
	}
	return spec.Errors{{File: file, Message: err.Error()}}
}

// labelJobs names each app in the progress lines and the summary: its name, or, when two
// specs deploy apps of the same name (to two namespaces, say), its file.
func labelJobs(jobs []*job) {
	count := map[string]int{}
	for _, j := range jobs {
		count[j.app.Name]++
	}
	for _, j := range jobs {
		j.label = j.app.Name
		if count[j.app.Name] > 1 {
			j.label = j.file
		}
	}
}

// labelWidth is the width of the longest label, for aligned prefixes.
func labelWidth(jobs []*job) int {
	w := 0
	for _, j := range jobs {
		w = max(w, len([]rune(j.label)))
	}
	return w
}

// padRight pads s with spaces to width runes.
func padRight(s string, width int) string {
	if n := len([]rune(s)); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

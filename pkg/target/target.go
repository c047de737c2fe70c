// Package target is what both backends speak: the Target interface the CLI drives, the
// rollout phases and events, and the exit codes of every command.
package target

import "github.com/shipit-dev/shipit/pkg/spec"

// Target is one deploy target (ECS or EKS). The CLI picks an implementation by name and
// never switches on the target beyond that.
type Target interface {
	// Name is the --target value: "ecs" or "eks".
	Name() string
	// Render turns a spec validated for this target into its API objects, with no network.
	Render(app *spec.App, opts RenderOptions) (*Rendering, error)
}

// RenderOptions are render inputs from flags rather than from the spec.
type RenderOptions struct {
	Region string
}

// Rendering is a target's render in the forms the CLI prints or writes.
type Rendering struct {
	// Files are what --output-dir writes, in order.
	Files []File
	// Text is what `shipit render` prints to stdout.
	Text []byte
	// Document is what `-o json` prints.
	Document any
}

// File is one rendered file.
type File struct {
	Name string
	Data []byte
}

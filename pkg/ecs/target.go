package ecs

import (
	"bytes"
	"encoding/json"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Target is the ECS implementation of target.Target.
type Target struct{}

// Name is "ecs".
func (Target) Name() string { return spec.TargetECS }

// Render renders the task definition, service and scaling files.
func (Target) Render(app *spec.App, opts target.RenderOptions) (*target.Rendering, error) {
	r, err := Render(app, RenderOptions{Region: opts.Region, DefaultRegion: opts.DefaultRegion})
	if err != nil {
		return nil, err
	}
	files, err := r.Files()
	if err != nil {
		return nil, err
	}
	out := &target.Rendering{Files: files, Document: r.Document()}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out.Document); err != nil {
		return nil, err
	}
	out.Text = buf.Bytes()
	return out, nil
}

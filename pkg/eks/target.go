package eks

import (
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// ManifestFile is the name `shipit render --target eks --output-dir` writes.
const ManifestFile = "kubernetes.yaml"

// Target is the Kubernetes implementation of target.Target.
type Target struct{}

// Name is "eks".
func (Target) Name() string { return spec.TargetEKS }

// Render renders the manifest: YAML for files and text, a v1 List for JSON.
func (Target) Render(app *spec.App, _ target.RenderOptions) (*target.Rendering, error) {
	objs, err := Render(app)
	if err != nil {
		return nil, err
	}
	y, err := Manifest(objs)
	if err != nil {
		return nil, err
	}
	list, err := List(objs)
	if err != nil {
		return nil, err
	}
	return &target.Rendering{Files: []target.File{{Name: ManifestFile, Data: y}}, Text: y, Document: list}, nil
}

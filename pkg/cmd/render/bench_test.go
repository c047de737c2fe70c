package render

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Render throughput: load + validate + render of the sidecar/EFS example (the largest).
func BenchmarkLoadAndRender(b *testing.B) {
	for _, tgt := range []target.Target{ecs.Target{}, eks.Target{}} {
		b.Run(tgt.Name(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				app, err := spec.Load("../../../examples/sidecar-efs/shipit.yaml", spec.Options{Getenv: noEnv})
				if err != nil {
					b.Fatal(err)
				}
				if errs, _ := app.Validate(tgt.Name()); len(errs) > 0 {
					b.Fatal(errs)
				}
				if _, err := tgt.Render(app, target.RenderOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package ecs

import (
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.SessionSharer = Target{}

// SessionKey is the region Connect picks (--region, else ecs.region, else the SDK's chain,
// which is the same for every app of one command): apps in one region share one AWS
// configuration and its clients. A Session keeps no per-app state.
func (Target) SessionKey(app *spec.App, opts target.ConnectOptions) string {
	region := opts.Region
	if region == "" {
		region = app.ECS.Region
	}
	return "region=" + region
}

// Package factory builds the cmdutil.Factory that the shipit binary runs with: the process's
// streams and the real targets. Tests build their own Factory with a fake target instead.
package factory

import (
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// Targets are the targets shipit ships with, by --target name.
func Targets() cmdutil.Targets {
	return cmdutil.Targets{
		spec.TargetECS: ecs.Target{},
		spec.TargetEKS: eks.Target{},
	}
}

// New returns the Factory of a shipit process on io.
func New(io *cmdutil.IOStreams) *cmdutil.Factory {
	return &cmdutil.Factory{IOStreams: io, Global: &cmdutil.GlobalOptions{}, Targets: Targets()}
}

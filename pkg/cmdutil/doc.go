// Package cmdutil holds what every command shares: IO streams, the global flags, loading the
// spec they name, and printing results in text or JSON.
//
// Commands are built from a Factory (streams, global flags, targets), cli/cli style: main
// uses pkg/cmd/factory, tests pkg/cmdutil/cmdtest with a fake target.
package cmdutil

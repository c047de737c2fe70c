// Command shipit deploys one app spec to AWS ECS (Fargate) or Kubernetes on EKS.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

func main() { os.Exit(run(os.Args[1:], cmdutil.System(), os.Exit)) }

// run is shipit with its arguments and streams. Ctrl-C and SIGTERM (what a CI runner sends on
// cancel) are handled alike, at every step: the first stops at once where nothing is written,
// lets a write under way finish otherwise, and shipit says what it applied and how to check it
// (exit 130). A second one exits at once, through exit.
func run(args []string, io *cmdutil.IOStreams, exit func(int)) int {
	// A reader that goes away (`shipit deploy | head`) must not kill shipit half way through
	// an apply, nor leave its deploy lock behind: writes then fail, and shipit goes on.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := cmdutil.NotifyInterrupt(io.ErrOut, exit)
	defer stop()
	return root.Execute(ctx, io, args)
}

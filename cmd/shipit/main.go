// Command shipit deploys one app spec to AWS ECS (Fargate) or Kubernetes on EKS.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

func main() {
	// Ctrl-C (or SIGTERM from a CI runner) cancels the context: a watch stops, says what was
	// applied and how to check it, and shipit exits 130. A second Ctrl-C kills at once.
	// A reader that goes away (`shipit deploy | head`) must not kill shipit half way through
	// an apply, nor leave its deploy lock behind: writes then fail, and shipit goes on.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(root.Execute(ctx, cmdutil.System(), os.Args[1:]))
}

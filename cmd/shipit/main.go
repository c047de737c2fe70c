// Command shipit deploys one app spec to AWS ECS (Fargate) or Kubernetes on EKS.
package main

import (
	"os"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

func main() {
	os.Exit(root.Execute(cmdutil.System(), os.Args[1:]))
}

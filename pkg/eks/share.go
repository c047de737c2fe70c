package eks

import (
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.SessionSharer = Target{}

// SessionKey is the cluster Connect picks (restConfig's rules: eks.cluster through EKS when
// no kubeconfig flag is given, else the kubeconfig context: --context, else eks.context, else
// the current one): apps on one cluster share one client. A Session keeps no per-app state.
func (Target) SessionKey(app *spec.App, opts target.ConnectOptions) string {
	if app.EKS.Cluster != "" && opts.Kubeconfig == "" && opts.Context == "" {
		return "cluster=" + app.EKS.Cluster
	}
	context := opts.Context
	if context == "" {
		context = app.EKS.Context
	}
	return "context=" + context
}

package target

import "github.com/shipit-dev/shipit/pkg/spec"

// SessionSharer is a Target whose sessions several apps can share: one command deploying many
// apps connects once per key (one AWS configuration per region, one Kubernetes client per
// cluster) instead of once per app, which is most of what a deploy costs in CPU besides
// waiting. A Session of such a target keeps no state of its own between calls (every call
// takes its app) and is safe for concurrent use.
type SessionSharer interface {
	// SessionKey says which session app needs: apps with equal keys are connected once, with
	// the first of them. "" means the app gets a session of its own.
	SessionKey(app *spec.App, opts ConnectOptions) string
}

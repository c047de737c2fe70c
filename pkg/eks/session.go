package eks

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// FieldManager is shipit's name in server-side apply's managedFields.
const FieldManager = "shipit"

// Session is a connection to one cluster.
type Session struct {
	cs    kubernetes.Interface
	dyn   dynamic.Interface
	disc  discovery.DiscoveryInterface
	where string
	now   func() time.Time
}

// Connect builds the clients; it makes no request.
func (Target) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	cfg, where, err := restConfig(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	return NewSession(cfg, where)
}

// NewSession builds a session from a client config.
func NewSession(cfg *rest.Config, where string) (*Session, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "shipit"
	// Rollouts make bursts of small reads; client-go's default of 5 QPS throttles them.
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Session{cs: cs, dyn: dyn, disc: cs.Discovery(), where: where, now: time.Now}, nil
}

func (s *Session) event(app *spec.App, phase target.Phase, msg string) target.Event {
	return target.Event{Time: s.now(), Target: spec.TargetEKS, App: app.Name, Phase: phase, Message: msg}
}

// noter reports a note as a Pending event.
func (s *Session) noter(app *spec.App, r target.Reporter) func(string) {
	return func(msg string) { r.Report(s.event(app, target.Pending, msg)) }
}

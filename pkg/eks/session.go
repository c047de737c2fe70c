package eks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// FieldManager is shipit's name in server-side apply's managedFields.
const FieldManager = "shipit"

// Session is a connection to one cluster.
type Session struct {
	cs kubernetes.Interface
	// watchCS is cs without the per-request timeout, for the informers' long watches (a
	// request timeout would cut every watch stream short); nil means cs.
	watchCS kubernetes.Interface
	dyn     dynamic.Interface
	disc    discovery.DiscoveryInterface
	where   string
	// clock tells the time and times the deploy lock's renewals (a fake one in tests); nil
	// means the real one.
	clock clock.WithTicker
}

// clk is the session's clock.
func (s *Session) clk() clock.WithTicker {
	if s.clock == nil {
		return clock.RealClock{}
	}
	return s.clock
}

// now is the session's clock's time.
func (s *Session) now() time.Time { return s.clk().Now() }

// Connect builds the clients; it makes no request.
func (Target) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	cfg, where, err := restConfig(ctx, app, opts)
	if err != nil {
		return nil, err
	}
	s, err := NewSession(cfg, where, opts.RequestTimeout)
	if err != nil {
		return nil, err
	}
	if err := s.checkServer(ctx, cfg.Host); err != nil {
		return nil, err
	}
	return s, nil
}

// checkServer makes sure the endpoint is a Kubernetes API server (GET /version answers with
// a version), so that a server answering 404 to everything is an error that says so, never
// "not deployed".
func (s *Session) checkServer(ctx context.Context, host string) error {
	type result struct {
		info *version.Info
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		info, err := s.disc.ServerVersion()
		ch <- result{info, err}
	}()
	select {
	case <-ctx.Done():
		return fmt.Errorf("reaching the Kubernetes API server at %s: %w", host, context.Cause(ctx))
	case r := <-ch:
		switch {
		case r.err != nil && (apierrors.IsNotFound(r.err) || apierrors.IsUnexpectedServerError(r.err) || isNotAPIResponse(r.err)):
			return fmt.Errorf("%s (%s) does not answer like a Kubernetes API server (GET /version: %v); check --kubeconfig, --context or eks.cluster", host, s.where, r.err)
		case r.err != nil:
			return fmt.Errorf("reaching the Kubernetes API server at %s (%s): %w", host, s.where, r.err)
		case r.info == nil || r.info.GitVersion == "":
			return fmt.Errorf("%s (%s) does not answer like a Kubernetes API server (GET /version has no version); check --kubeconfig, --context or eks.cluster", host, s.where)
		}
	}
	return nil
}

// isNotAPIResponse reports a response that is no Kubernetes answer at all (HTML, plain text).
func isNotAPIResponse(err error) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	code := st.Status().Code
	return code == 404 || code == 405 || code == 400
}

// NewSession builds a session from a client config. requestTimeout bounds each request (as
// kubectl's --request-timeout does), but not the informers' watches, which client-go bounds
// itself (each watch asks the server to end it after a few minutes, then starts another).
func NewSession(cfg *rest.Config, where string, requestTimeout time.Duration) (*Session, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "shipit"
	// Rollouts make bursts of small reads; client-go's default of 5 QPS throttles them.
	cfg.QPS, cfg.Burst = 50, 100
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: target.DialTimeout, KeepAlive: 30 * time.Second}
		if requestTimeout > 0 {
			d.Timeout = min(d.Timeout, requestTimeout)
		}
		cfg.Dial = d.DialContext
	}
	watchCfg := rest.CopyConfig(cfg)
	cfg.Timeout = requestTimeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	watchCS, err := kubernetes.NewForConfig(watchCfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Session{cs: cs, watchCS: watchCS, dyn: dyn, disc: cs.Discovery(), where: where, clock: clock.RealClock{}}, nil
}

// watchClient is the client for informers.
func (s *Session) watchClient() kubernetes.Interface {
	if s.watchCS != nil {
		return s.watchCS
	}
	return s.cs
}

func (s *Session) event(app *spec.App, phase target.Phase, msg string) target.Event {
	return target.NewEvent(s.now(), spec.TargetEKS, app.Name, phase, msg)
}

// noter reports a note as a Pending event.
func (s *Session) noter(app *spec.App, r target.Reporter) func(string) {
	return func(msg string) { r.Report(s.event(app, target.Pending, msg)) }
}

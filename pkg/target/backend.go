package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// What both backends share when they apply, watch and roll back. The backends differ in what
// they call and watch; the rules below are the same for both.
//
// The watch contract. A backend's watch follows one rollout and returns (Decision, nil) for
// every verdict it reaches, Failed included, and a non-nil error only when it could not
// observe the rollout at all (an API error that is not throttling, an informer that could not
// start). The two are kept apart on purpose: a Failed decision means "this rollout failed" and
// may start an automatic rollback, while an error means "the rollout's fate is unknown", which
// must never roll anything back; the command reports it as an error (exit 1) and names what
// was applied.

// ErrInterrupted reports an interrupt that came before anything was written: the deploy
// ends Canceled with nothing applied.
var ErrInterrupted = errors.New("interrupted before anything was written")

// RolloutTimeout is the watch's time limit: the --timeout flag when given, else the spec's
// rollout.timeout (its default included).
func RolloutTimeout(flag time.Duration, app *spec.App) time.Duration {
	if flag > 0 {
		return flag
	}
	return app.RolloutTimeout()
}

// NewEvent is an event of app on tgt at the given time.
func NewEvent(at time.Time, tgt, app string, phase Phase, msg string) Event {
	return Event{Time: at, Target: tgt, App: app, Phase: phase, Message: msg}
}

// WithCounts is e with a watch's counts: the desired count, the new revision's tasks or pods,
// and those of them that are ready.
func (e Event) WithCounts(desired, updated, ready int) Event {
	e.Desired, e.Updated, e.Ready = desired, updated, ready
	return e
}

// AutoRollback describes the watch of an automatic rollback, for AfterAutoRollback.
type AutoRollback struct {
	// Failed is the failed rollout's message; To names what was rolled back to ("web:3",
	// "revision 2"); Where is where the rollback goes on when the watch is interrupted ("ECS",
	// "the cluster"); Counted is what the ready count counts ("running", "ready").
	Failed, To, Where, Counted string
	// The rollback watch's verdict.
	Phase          Phase
	Message        string
	Desired, Ready int
}

// AfterAutoRollback sets a verdict's phase and message from the watch of the automatic
// rollback that followed a failed rollout: RolledBack (exit 4) when the rollback completed,
// Canceled when its watch was interrupted, else Failed with both reasons.
func AfterAutoRollback(v *Verdict, a AutoRollback) {
	switch a.Phase {
	case Succeeded:
		v.Phase = RolledBack
		v.Message = fmt.Sprintf("%s; rolled back to %s (%d/%d %s)", a.Failed, a.To, a.Ready, a.Desired, a.Counted)
	case Canceled:
		v.Phase = Canceled
		// "interrupted" alone: the command names the signal and the step it came in
		v.Message = fmt.Sprintf("%s; interrupted; the rollback to %s goes on in %s", a.Failed, a.To, a.Where)
	default:
		v.Phase = Failed
		v.Message = fmt.Sprintf("%s; the rollback to %s did not finish either: %s", a.Failed, a.To, a.Message)
	}
}

// defaultAWSMaxAttempts is the SDK retryer's attempts per call unless configured.
const defaultAWSMaxAttempts = 8

// LoadAWSConfig builds the AWS SDK configuration both backends use: credentials from the
// default chain (or --profile), the region (--region, else the spec's region, else the chain:
// a flag beats the spec, the spec beats the environment), every request bounded (dial, TLS
// handshake, response headers, each attempt) and the retryer's attempts raised. It makes no
// request. An unknown region is a usage error whose message is noRegion.
func LoadAWSConfig(ctx context.Context, opts ConnectOptions, specRegion, noRegion string) (aws.Config, error) {
	loadOpts := []func(*config.LoadOptions) error{config.WithHTTPClient(AWSHTTPClient(opts.RequestTimeout))}
	region := opts.Region
	if region == "" {
		region = specRegion
	}
	if region != "" {
		loadOpts = append(loadOpts, config.WithRegion(region))
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if cfg.RetryMaxAttempts == 0 {
		// A rollout is a few writes and many polls: ride out a throttling storm rather than
		// fail a deploy half-way (AWS_MAX_ATTEMPTS or max_attempts in the profile still win).
		cfg.RetryMaxAttempts = defaultAWSMaxAttempts
	}
	if cfg.Region == "" {
		return aws.Config{}, &UsageError{Msg: noRegion}
	}
	return cfg, nil
}

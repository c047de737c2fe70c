package target

import (
	"context"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Target is one deploy target (ECS or EKS). The CLI picks an implementation by name and
// never switches on the target beyond that.
type Target interface {
	// Name is the --target value: "ecs" or "eks".
	Name() string
	// Render turns a spec validated for this target into its API objects, with no network.
	Render(app *spec.App, opts RenderOptions) (*Rendering, error)
	// Connect builds the API clients for an app (credentials, region, cluster). It makes no
	// change anywhere.
	Connect(ctx context.Context, app *spec.App, opts ConnectOptions) (Session, error)
}

// Session is a connected target: the commands that talk to the live system.
type Session interface {
	// Deploy applies the app and, unless NoWait, watches the rollout to a verdict.
	Deploy(ctx context.Context, app *spec.App, opts DeployOptions, r Reporter) (*Verdict, error)
	// Status describes what is live.
	Status(ctx context.Context, app *spec.App) (*Status, error)
	// Diff compares the render with what is live, normalised.
	Diff(ctx context.Context, app *spec.App) (*DiffResult, error)
	// Rollback returns to the previous (or a given) revision and watches it.
	Rollback(ctx context.Context, app *spec.App, opts RollbackOptions, r Reporter) (*Verdict, error)
	// Destroy removes what shipit created for the app; Plan lists it without deleting.
	Destroy(ctx context.Context, app *spec.App, opts DestroyOptions, r Reporter) (*DestroyResult, error)
}

// RenderOptions are render inputs from flags rather than from the spec.
type RenderOptions struct {
	// Region is --region: it beats the spec's own region (ecs.region).
	Region string
	// DefaultRegion is used when neither --region nor the spec names a region (AWS_REGION
	// for render, a stand-in for validate's offline render).
	DefaultRegion string
}

// ConnectOptions are the access flags.
type ConnectOptions struct {
	Region     string
	Profile    string
	Kubeconfig string
	Context    string
	// RequestTimeout bounds each API request; 0 means none.
	RequestTimeout time.Duration
}

// DeployOptions are deploy's flags.
type DeployOptions struct {
	NoWait bool
	// Timeout overrides rollout.timeout when > 0.
	Timeout time.Duration
	// ForceConflicts takes over fields another manager owns (EKS server-side apply).
	ForceConflicts bool
}

// RollbackOptions are rollback's flags.
type RollbackOptions struct {
	// To is the revision to return to; empty means the previous one.
	To      string
	Timeout time.Duration
	NoWait  bool
}

// DestroyOptions are destroy's flags.
type DestroyOptions struct {
	// Plan only lists what would be deleted.
	Plan bool
	// PurgeLogs also deletes the ECS log group.
	PurgeLogs bool
}

// Verdict is how a deploy or rollback ended.
type Verdict struct {
	Target   string `json:"target"`
	App      string `json:"app"`
	Phase    Phase  `json:"phase"`
	Message  string `json:"message"`
	Revision string `json:"revision,omitempty"`
	Image    string `json:"image,omitempty"`
	Desired  int    `json:"desired"`
	Ready    int    `json:"ready"`
	// Unchanged is true when the live app already matched the spec and nothing was written.
	Unchanged bool `json:"unchanged,omitempty"`
	// Applied lists what was written, for the record and for Ctrl-C messages.
	Applied []string `json:"applied,omitempty"`
	// RolledBackTo is the revision an automatic or circuit-breaker rollback returned to.
	RolledBackTo string `json:"rolledBackTo,omitempty"`
	// FailedRevision is the revision whose rollout failed, was rolled back or timed out, as
	// `shipit logs --revision` takes it (ECS: the task definition revision number;
	// Kubernetes: the Deployment revision).
	FailedRevision string `json:"failedRevision,omitempty"`
	// Hint is the command that shows FailedRevision's logs (set when the verdict is printed).
	Hint string `json:"hint,omitempty"`
}

// Err turns a verdict that is not a success into the error that carries its exit code.
func (v *Verdict) Err() error {
	if v == nil || v.Phase == Succeeded {
		return nil
	}
	return &VerdictError{Phase: v.Phase, Message: v.Message}
}

// Status is what is live for an app.
type Status struct {
	Target    string `json:"target"`
	App       string `json:"app"`
	Exists    bool   `json:"exists"`
	Where     string `json:"where"`
	Revision  string `json:"revision,omitempty"`
	Image     string `json:"image,omitempty"`
	Digest    string `json:"digest,omitempty"`
	Desired   int    `json:"desired"`
	Updated   int    `json:"updated"`
	Ready     int    `json:"ready"`
	Available int    `json:"available"`
	SpecHash  string `json:"specHash,omitempty"`
	// InProgress names a shipit deploy, rollback or destroy that holds the app now.
	InProgress string `json:"inProgress,omitempty"`
	// DisruptionBudget sums up the app's PodDisruptionBudget (Kubernetes): what it asks and
	// how many pods may be evicted now.
	DisruptionBudget string           `json:"disruptionBudget,omitempty"`
	Conditions       []string         `json:"conditions,omitempty"`
	Rollouts         []LiveDeployment `json:"rollouts,omitempty"`
	Events           []string         `json:"events,omitempty"`
}

// LiveDeployment is one deployment (ECS) or ReplicaSet (Kubernetes) that is live.
type LiveDeployment struct {
	ID       string `json:"id"`
	Revision string `json:"revision"`
	Status   string `json:"status"`
	Desired  int    `json:"desired"`
	Running  int    `json:"running"`
	Pending  int    `json:"pending,omitempty"`
	// RolloutState is ECS's rolloutState of the deployment (IN_PROGRESS, COMPLETED, FAILED);
	// empty for a ReplicaSet.
	RolloutState string `json:"rolloutState,omitempty"`
}

// DiffResult is a normalised unified diff between the render and what is live.
type DiffResult struct {
	Changed bool   `json:"changed"`
	Diff    string `json:"diff"`
}

// DestroyResult lists what destroy removed (or, with Plan, would remove).
type DestroyResult struct {
	Deleted []string `json:"deleted"`
	Kept    []string `json:"kept,omitempty"`
}

// Rendering is a target's render in the forms the CLI prints or writes.
type Rendering struct {
	// Files are what --output-dir writes, in order.
	Files []File
	// Text is what `shipit render` prints to stdout.
	Text []byte
	// Document is what `-o json` prints.
	Document any
}

// File is one rendered file.
type File struct {
	Name string
	Data []byte
}

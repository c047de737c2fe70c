package target

import (
	"context"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// HistoryReader is a Session that can list the revisions shipit deployed for an app, for
// `shipit history`. It is optional: the command asks for it and says so when a target lacks it.
type HistoryReader interface {
	History(ctx context.Context, app *spec.App, opts HistoryOptions) (*History, error)
}

// HistoryOptions are history's flags.
type HistoryOptions struct {
	// Limit is how many revisions to list, newest first; 0 lists them all. The live
	// revisions are listed even when older than the limit.
	Limit int
}

// History is what an app has deployed on a target, newest first. `shipit history -o json`
// prints Revisions alone, a list.
type History struct {
	Target string
	App    string
	// Where names the cluster (and region or namespace), for the heading.
	Where     string
	Revisions []Revision
	// More is true when the limit left older revisions out.
	More bool
}

// Revision states: what a revision is doing now. A revision that runs nothing has none.
const (
	// RevisionLive is the revision the app runs, rolled out completely.
	RevisionLive = "live"
	// RevisionRollingOut is the live revision while its rollout goes on.
	RevisionRollingOut = "rolling out"
	// RevisionFailed is the live revision whose rollout failed (and was not rolled back).
	RevisionFailed = "failed"
	// RevisionDraining is an older revision whose tasks or pods are still being replaced.
	RevisionDraining = "draining"
)

// Revision is one revision of an app: an ECS task definition revision, or the ReplicaSet of
// a Deployment revision.
type Revision struct {
	// Revision is what `shipit rollback --to` takes: family:rev on ECS, the Deployment's
	// revision number on Kubernetes.
	Revision string `json:"revision"`
	// Live is true for the revision the service or Deployment points at now.
	Live bool `json:"live"`
	// State is RevisionLive, RevisionRollingOut or RevisionFailed for the live revision,
	// RevisionDraining for an older one still running, else empty.
	State string `json:"state,omitempty"`
	// Image is the app container's image, with its digest when the revision pins one.
	Image string `json:"image"`
	// Containers are every container's image, the app container first.
	Containers []ContainerImage `json:"containers"`
	// Deployed is when the revision was first deployed: the task definition's registration
	// (ECS), the ReplicaSet's creation (Kubernetes). Zero when the API does not say.
	Deployed time.Time `json:"deployed,omitzero"`
	// SpecHash is the hash of the spec the revision was deployed from (spec.HashAnnotation);
	// empty for a revision shipit did not deploy.
	SpecHash string `json:"specHash,omitempty"`
	// ID is the API's name for it: the task definition ARN, replicaset/<name>.
	ID string `json:"id"`
}

// ContainerImage is one container of a revision and its image.
type ContainerImage struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

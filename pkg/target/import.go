package target

import "context"

// LiveReader is a Target that can read a running app that shipit did not deploy, for `shipit
// import`: it returns the app's own definitions in the shapes its API documents (ECS:
// describe-task-definition and describe-services output; Kubernetes: the objects as YAML),
// so a live import and a file import go through the same converter.
type LiveReader interface {
	ReadLive(ctx context.Context, ref LiveRef, opts ConnectOptions) ([]Document, error)
}

// LiveRef names a running app: an ECS service, or a Kubernetes Deployment.
type LiveRef struct {
	Cluster    string // ECS cluster (name or ARN)
	Service    string // ECS service
	Namespace  string // Kubernetes namespace (default: the kubeconfig context's)
	Deployment string // Kubernetes Deployment
}

// Document is one definition read from a file or from a live system.
type Document struct {
	// Name is where it came from: a file name, or "ecs:describe-services cluster/service".
	Name string
	Data []byte
}

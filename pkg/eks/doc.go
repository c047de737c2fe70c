// Package eks is shipit's Kubernetes backend (EKS or any cluster): it implements
// target.Target and target.Session on client-go.
//
// Render turns a spec into k8s.io/api objects, offline. Deploy takes the app's deploy lock (a
// Lease), applies the objects with server-side apply (field manager "shipit"), prunes what the
// spec no longer renders, and watches the rollout with informers; Evaluate decides, with the
// rule of `kubectl rollout status` plus fail-fast on stuck pods. Access is a kubeconfig, or an
// EKS cluster name (DescribeCluster and an IAM token).
//
// See docs/architecture.md, "Rollout rules" and "Access".
package eks

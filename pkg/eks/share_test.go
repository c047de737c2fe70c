package eks

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Apps share a session exactly when Connect would reach the same cluster for them.
func TestSessionKey(t *testing.T) {
	app := func(cluster, context string) *spec.App {
		return &spec.App{EKS: spec.EKS{Cluster: cluster, Context: context, Namespace: "other"}}
	}
	for _, tc := range []struct {
		name   string
		a, b   *spec.App
		opts   target.ConnectOptions
		shared bool
	}{
		{"same current context, other namespaces", app("", ""), app("", ""), target.ConnectOptions{}, true},
		{"other eks.context", app("", "a"), app("", "b"), target.ConnectOptions{}, false},
		{"--context beats eks.context", app("", "a"), app("", "b"), target.ConnectOptions{Context: "c"}, true},
		{"same eks.cluster", app("prod", ""), app("prod", ""), target.ConnectOptions{}, true},
		{"other eks.cluster", app("prod", ""), app("staging", ""), target.ConnectOptions{}, false},
		{"--kubeconfig beats eks.cluster", app("prod", ""), app("staging", ""), target.ConnectOptions{Kubeconfig: "kc"}, true},
		{"eks.cluster is not a context", app("prod", ""), app("", "prod"), target.ConnectOptions{}, false},
	} {
		ka, kb := Target{}.SessionKey(tc.a, tc.opts), Target{}.SessionKey(tc.b, tc.opts)
		if (ka == kb) != tc.shared || ka == "" {
			t.Errorf("%s: %q vs %q: shared %v, want %v", tc.name, ka, kb, ka == kb, tc.shared)
		}
	}
}

package ecs

import (
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Apps share a session exactly when Connect would pick the same region for them.
func TestSessionKey(t *testing.T) {
	app := func(region string) *spec.App { return &spec.App{ECS: spec.ECS{Region: region}} }
	for _, tc := range []struct {
		a, b   *spec.App
		flag   string
		shared bool
	}{
		{app("us-east-1"), app("us-east-1"), "", true},
		{app("us-east-1"), app("eu-west-1"), "", false},
		{app("us-east-1"), app("eu-west-1"), "ap-northeast-2", true}, // --region beats the spec
		{app(""), app(""), "", true},                                 // both from the SDK's chain
		{app(""), app("us-east-1"), "", false},
	} {
		opts := target.ConnectOptions{Region: tc.flag}
		ka, kb := Target{}.SessionKey(tc.a, opts), Target{}.SessionKey(tc.b, opts)
		if (ka == kb) != tc.shared || ka == "" {
			t.Errorf("%q vs %q (--region %q): shared %v, want %v", ka, kb, tc.flag, ka == kb, tc.shared)
		}
	}
}

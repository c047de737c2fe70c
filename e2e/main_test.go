//go:build e2e

// Package e2e holds the end-to-end tests, run against the local sandbox (e2e/sandbox):
//
//	go test -tags e2e ./e2e/...
//
// TestMain reuses a running sandbox or starts one for the run (see package harness).
package e2e

import (
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

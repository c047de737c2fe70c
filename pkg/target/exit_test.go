package target

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("AccessDenied"), 1},
		{spec.Errors{{File: "f", Message: "m"}}, 2},
		{fmt.Errorf("wrapped: %w", spec.Errors{{File: "f"}}), 2},
		{&UsageError{Msg: "x"}, 2},
		{&VerdictError{Phase: Failed}, 3},
		{&VerdictError{Phase: RolledBack}, 4},
		{&VerdictError{Phase: TimedOut}, 5},
		{&VerdictError{Phase: Canceled}, 130},
		{fmt.Errorf("watch: %w", context.Canceled), 130},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

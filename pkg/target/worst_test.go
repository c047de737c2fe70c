package target

import "testing"

// The documented order, worst first: interrupted, invalid, error, failed, timed out, rolled
// back, diff, ok.
func TestWorstExit(t *testing.T) {
	order := []int{ExitInterrupted, ExitInvalid, ExitError, ExitFailed, ExitTimedOut, ExitRolledBack, ExitDiff, ExitOK}
	for i, worse := range order {
		for _, milder := range order[i+1:] {
			if !WorseExit(worse, milder) || WorseExit(milder, worse) {
				t.Errorf("%d should be worse than %d", worse, milder)
			}
			if got := WorstExit(milder, worse, milder); got != worse {
				t.Errorf("WorstExit(%d, %d) = %d", milder, worse, got)
			}
		}
	}
	for _, tc := range []struct {
		codes []int
		want  int
	}{
		{nil, ExitOK},
		{[]int{0, 0}, ExitOK},
		{[]int{0, 4, 3, 5}, ExitFailed},
		{[]int{3, 1}, ExitError},
		{[]int{3, 130, 2}, ExitInterrupted},
		{[]int{0, 42}, 42},
	} {
		if got := WorstExit(tc.codes...); got != tc.want {
			t.Errorf("WorstExit(%v) = %d, want %d", tc.codes, got, tc.want)
		}
	}
}

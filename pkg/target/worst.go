package target

// Many apps deployed by one command end in one exit code: the worst of theirs. Worst first
// (docs/architecture.md, "Exit codes"):
//
//	130 interrupted: the run itself was stopped (Ctrl-C, a CI cancel); that is what the
//	    caller must hear first, whatever the apps did before
//	2   invalid spec or usage: shipit was asked something it cannot do
//	1   error: an app's fate is unknown (API, auth, network; part of it may be applied)
//	3   rollout failed and left failing
//	5   timed out: the rollout's fate is not known yet
//	4   rolled back: failed, but the previous revision runs again
//	6   diff found differences
//	0   success
//
// Codes shipit does not define rank above all of these (they cannot be judged milder).
var exitSeverity = map[int]int{
	ExitOK:          0,
	ExitDiff:        1,
	ExitRolledBack:  2,
	ExitTimedOut:    3,
	ExitFailed:      4,
	ExitError:       5,
	ExitInvalid:     6,
	ExitInterrupted: 7,
}

// WorseExit reports whether exit code a is worse than b (in the order above).
func WorseExit(a, b int) bool { return severity(a) > severity(b) }

// WorstExit is the worst of the codes; ExitOK for none.
func WorstExit(codes ...int) int {
	worst := ExitOK
	for _, c := range codes {
		if WorseExit(c, worst) {
			worst = c
		}
	}
	return worst
}

func severity(code int) int {
	if s, ok := exitSeverity[code]; ok {
		return s
	}
	return len(exitSeverity)
}

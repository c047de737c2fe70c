package harness

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// EnvPodLog names the file kwok serves as the log of every container of the sandbox
// (e2e/sandbox/README.md, "Pod logs"), written to .sandbox/env by up.sh.
const EnvPodLog = "SHIPIT_E2E_POD_LOG"

// PrintToPods appends a line to the sandbox's container log, as a container would print it
// (the CRI log format kwok reads: time, stream, tag, message). Every pod of every test shares
// the file: look for a line of your own.
func PrintToPods(t testing.TB, msg string) {
	t.Helper()
	f, err := os.OpenFile(mustEnv(t, EnvPodLog), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("sandbox pod log: %v", err)
	}
	defer f.Close()
	// One write of one line: appends from tests running side by side do not interleave.
	if _, err := fmt.Fprintf(f, "%s stdout F %s\n", time.Now().UTC().Format(time.RFC3339Nano), msg); err != nil {
		t.Fatalf("sandbox pod log: %v", err)
	}
}

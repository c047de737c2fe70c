// Package target is what both backends speak: the Target interface the CLI drives, the
// rollout phases and events, the reporter, and the exit codes of every command.
//
// See docs/architecture.md, "The interfaces", "Rollout rules" and "Exit codes".
package target

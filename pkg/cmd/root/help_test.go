package root

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
)

// TestEveryCommandHasExamples walks the whole command tree, cobra's help and completion
// commands included, and fails for a command without examples, or with examples that do not
// run the command they document.
func TestEveryCommandHasExamples(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	root := NewCmd(e.Factory)
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		seen++
		if c.HasParent() {
			if c.Example == "" {
				t.Errorf("%s: no examples (cobra's Example)", c.CommandPath())
			}
			for _, line := range strings.Split(c.Example, "\n") {
				if !strings.HasPrefix(line, "  ") || !strings.Contains(line, c.CommandPath()) {
					t.Errorf("%s: example %q does not run %s (or is not indented as cobra prints examples)", c.CommandPath(), line, c.CommandPath())
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	// shipit, 15 commands, help, completion and its 4 shells.
	if seen != 22 {
		t.Errorf("walked %d commands, want 22", seen)
	}
}

// TestHelpShowsExamples: a command's --help prints its examples.
func TestHelpShowsExamples(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	if code := ExecuteFactory(context.Background(), e.Factory, []string{"status", "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	want := "Examples:\n  shipit status --target ecs\n  shipit status --target eks --env production -f deploy/shipit.yaml\n  shipit status --target ecs --region eu-west-1 -o json | jq .revision\n"
	if !strings.Contains(e.Out.String(), want) {
		t.Errorf("status --help:\n%s\nwant it to hold:\n%s", e.Out, want)
	}
}

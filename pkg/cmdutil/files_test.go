package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/target"
)

// The global -f takes one file: a second, different one is an error naming both.
func TestFileFlagOnce(t *testing.T) {
	run := func(args ...string) (*GlobalOptions, error) {
		g := &GlobalOptions{}
		cmd := &cobra.Command{Use: "status", RunE: func(*cobra.Command, []string) error { return nil }, SilenceErrors: true, SilenceUsage: true}
		FileFlag(cmd.Flags(), g)
		if g.File != "shipit.yaml" {
			t.Fatalf("default %q", g.File)
		}
		cmd.SetArgs(args)
		return g, cmd.Execute()
	}
	// The same file twice is one file.
	if g, err := run("-f", "a.yaml", "--file", "a.yaml"); err != nil || g.File != "a.yaml" {
		t.Fatalf("err %v, file %q", err, g.File)
	}
	_, err := run("-f", "b.yaml", "-f", "c.yaml")
	want := `invalid argument "c.yaml" for "-f, --file" flag: -f given twice (b.yaml and c.yaml): this command takes one spec file (only deploy takes several)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// deploy's -f repeats; the first one given replaces the default, and File is the first.
func TestDeployFilesFlag(t *testing.T) {
	g := &GlobalOptions{File: "shipit.yaml"}
	cmd := &cobra.Command{Use: "deploy", RunE: func(*cobra.Command, []string) error { return nil }}
	DeployFilesFlag(cmd, g)
	if got := g.SpecFiles(); !slices.Equal(got, []string{"shipit.yaml"}) {
		t.Fatalf("default %v", got)
	}
	if f := cmd.Flags().Lookup("file"); f.DefValue != "[shipit.yaml]" || f.Shorthand != "f" {
		t.Errorf("flag %+v", f)
	}
	cmd.SetArgs([]string{"-f", "a.yaml", "-f", "apps/", "--file", "b.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := g.SpecFiles(); !slices.Equal(got, []string{"a.yaml", "apps/", "b.yaml"}) || g.File != "a.yaml" {
		t.Errorf("files %v, file %q", got, g.File)
	}
}

// ManySpecs: several -f, or one directory.
func TestManySpecs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		files []string
		want  bool
	}{
		{nil, false},
		{[]string{"a.yaml"}, false},
		{[]string{"-"}, false},
		{[]string{filepath.Join(dir, "missing.yaml")}, false},
		{[]string{dir}, true},
		{[]string{"a.yaml", "b.yaml"}, true},
	} {
		g := &GlobalOptions{File: "shipit.yaml", Files: tc.files}
		if len(tc.files) > 0 {
			g.File = tc.files[0]
		}
		if got := g.ManySpecs(); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.files, got, tc.want)
		}
	}
}

// A directory is every shipit.yaml below it, in path order, skipping dot-directories; files
// stay in the order given.
func TestExpandSpecFiles(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"b/shipit.yaml", "a/shipit.yaml", "a/z/shipit.yaml", "a/other.yaml", ".git/shipit.yaml", "c/.hidden/shipit.yaml", "empty/README"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := func(p string) string { return filepath.Join(root, p) }
	got, err := ExpandSpecFiles([]string{in("a/other.yaml"), root, "-"})
	want := []string{in("a/other.yaml"), in("a/shipit.yaml"), in("a/z/shipit.yaml"), in("b/shipit.yaml"), "-"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v\nwant %v", got, err, want)
	}
	// A missing file stays: loading it reports it with the other files' errors.
	if got, err := ExpandSpecFiles([]string{in("nope.yaml")}); err != nil || !slices.Equal(got, []string{in("nope.yaml")}) {
		t.Errorf("missing file: %v, %v", got, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{in("empty")}, "-f " + in("empty") + ": no shipit.yaml below this directory (directories starting with a dot are not searched)"},
		{[]string{in("a"), in("a/z/shipit.yaml")}, in("a/z/shipit.yaml") + " is given twice (by -f " + in("a") + " and -f " + in("a/z/shipit.yaml") + "): each spec deploys once"},
		{[]string{"x.yaml", "./x.yaml"}, "./x.yaml is given twice (by -f x.yaml and -f ./x.yaml): each spec deploys once"},
		{[]string{"-", "-"}, "-f - is given twice: each spec deploys once"},
	} {
		_, err := ExpandSpecFiles(tc.args)
		var usage *target.UsageError
		if !errors.As(err, &usage) || err.Error() != tc.want {
			t.Errorf("%v: got %v\nwant usage error %s", tc.args, err, tc.want)
		}
	}
}

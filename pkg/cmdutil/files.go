package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shipit-dev/shipit/pkg/target"
)

// The spec files a command reads: -f. Every command takes one; deploy takes several, and
// directories (DeployFilesFlag).

// DefaultSpecFile is -f's default, and the file -f DIR finds below DIR.
const DefaultSpecFile = "shipit.yaml"

// FileFlag adds the global -f/--file: one spec file. Two different ones are a usage error
// (exit 2) rather than "the last one wins", which would run the command on one file without
// a word about the other.
func FileFlag(fs *pflag.FlagSet, g *GlobalOptions) {
	g.File = DefaultSpecFile
	fs.VarP(&fileFlag{g: g}, "file", "f", "the spec file")
}

type fileFlag struct {
	g   *GlobalOptions
	set bool
}

func (f *fileFlag) String() string { return f.g.File }
func (f *fileFlag) Type() string   { return "string" }

func (f *fileFlag) Set(v string) error {
	if f.set && v != f.g.File {
		return fmt.Errorf("-f given twice (%s and %s): this command takes one spec file (only deploy takes several)", f.g.File, v)
	}
	f.g.File, f.set = v, true
	return nil
}

// DeployFilesFlag adds deploy's own -f/--file, which replaces the global one for deploy: it
// may be repeated, and may name directories. The values are Global.Files; Global.File is the
// first (the default, until one is given, is Global.File as it was).
func DeployFilesFlag(cmd *cobra.Command, g *GlobalOptions) {
	cmd.Flags().VarP(&filesFlag{g: g, def: g.File}, "file", "f",
		"a spec file, or a directory: every "+DefaultSpecFile+" below it (repeatable: several apps deploy at once)")
	if err := cmd.MarkFlagFilename("file", "yaml", "yml"); err != nil {
		panic(err) // the flag was just added
	}
}

type filesFlag struct {
	g   *GlobalOptions
	def string
	set bool
}

func (f *filesFlag) String() string {
	if !f.set {
		return "[" + f.def + "]"
	}
	return "[" + strings.Join(f.g.Files, ",") + "]"
}

func (f *filesFlag) Type() string { return "stringArray" }

func (f *filesFlag) Set(v string) error {
	if !f.set {
		f.g.File, f.g.Files, f.set = v, nil, true
	}
	f.g.Files = append(f.g.Files, v)
	return nil
}

// SpecFiles are the -f values of a command that takes several (deploy): Global.Files, or
// Global.File alone when -f was not repeated.
func (g *GlobalOptions) SpecFiles() []string {
	if len(g.Files) == 0 {
		return []string{g.File}
	}
	return g.Files
}

// ManySpecs reports whether -f names more than one spec file or a directory: the command then
// works on many apps at once (and prints as it does for many, even when a directory holds one).
func (g *GlobalOptions) ManySpecs() bool {
	files := g.SpecFiles()
	if len(files) > 1 {
		return true
	}
	st, err := os.Stat(files[0])
	return files[0] != "-" && err == nil && st.IsDir()
}

// ExpandSpecFiles turns -f values into spec files, in the order given: a file stays as it is
// (a missing one too: loading it says so, with the other files' errors); a directory becomes
// every DefaultSpecFile below it, in lexical order of their paths, so a run is the same on
// every machine. Directories whose names start with a dot (.git, .terraform) are not entered,
// and symbolic links to directories are not followed. "-" (standard input) may be given once.
// A directory without a spec, or a file named twice (directly and through its directory, say),
// is a usage error: deploying one app twice at once would only race with itself.
func ExpandSpecFiles(args []string) ([]string, error) {
	var files []string
	seen := map[string]string{} // absolute path → the -f value it came from
	add := func(file, from string) error {
		key := file
		if file != "-" {
			if abs, err := filepath.Abs(file); err == nil {
				key = abs
			}
		}
		if prev, dup := seen[key]; dup {
			if prev == from {
				return &target.UsageError{Msg: fmt.Sprintf("-f %s is given twice: each spec deploys once", from)}
			}
			return &target.UsageError{Msg: fmt.Sprintf("%s is given twice (by -f %s and -f %s): each spec deploys once", file, prev, from)}
		}
		seen[key] = from
		files = append(files, file)
		return nil
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if arg == "-" || err != nil || !st.IsDir() {
			if err := add(arg, arg); err != nil {
				return nil, err
			}
			continue
		}
		before := len(files)
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Name() != DefaultSpecFile {
				return nil
			}
			return add(path, arg)
		})
		var usage *target.UsageError
		switch {
		case errors.As(err, &usage):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("-f %s: %w", arg, err)
		case len(files) == before:
			return nil, &target.UsageError{Msg: fmt.Sprintf("-f %s: no %s below this directory (directories starting with a dot are not searched)", arg, DefaultSpecFile)}
		}
	}
	return files, nil
}

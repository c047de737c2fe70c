// Package version is `shipit version`.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

// Version is stamped at build time with -ldflags "-X …/version.Version=v1.2.3".
var Version = "dev"

// Info is what `shipit version -o json` prints.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Get reads the version and the VCS revision Go embedded in the binary.
func Get() Info {
	info := Info{Version: Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				info.Commit = s.Value[:12]
			}
		}
	}
	return info
}

// NewCmd builds the cobra command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	io, g := f.IOStreams, f.Global
	return &cobra.Command{
		Use:     "version",
		Short:   "Print shipit's version",
		Example: "  shipit version\n  shipit version -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.CheckOutput(); err != nil {
				return err
			}
			info := Get()
			if g.JSON() {
				return cmdutil.PrintJSON(io.Out, info)
			}
			commit := ""
			if info.Commit != "" {
				commit = " (" + info.Commit + ")"
			}
			_, err := fmt.Fprintf(io.Out, "shipit %s%s %s %s/%s\n", info.Version, commit, info.Go, info.OS, info.Arch)
			return err
		},
	}
}

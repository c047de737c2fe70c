package cmdutil

import (
	"flag"
	"io"
	"strconv"

	"k8s.io/klog/v2"
)

// QuietKlog keeps client-go's internal logging (klog) off the terminal: shipit reports what
// matters itself (a watch that cannot reach the API server shows up as a progress line).
// With -vv and more, klog writes to w for debugging.
func QuietKlog(w io.Writer, verbosity int) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	if verbosity >= 2 {
		_ = fs.Set("v", strconv.Itoa(verbosity))
		klog.SetOutput(w)
		return
	}
	klog.SetOutput(io.Discard)
}

package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/shipit-dev/shipit/pkg/target"
)

// WriteNewFile writes a spec a command made (init's starter, import's result) to file, never
// over someone's file unless force: an existing file is a usage error naming flag, the option
// that picks another file.
func WriteNewFile(file string, data []byte, force bool, flag string) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags |= os.O_EXCL // never replace someone's spec by accident
	}
	f, err := os.OpenFile(file, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &target.UsageError{Msg: fmt.Sprintf("%s exists: pass --force to replace it, or %s another file", file, flag)}
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

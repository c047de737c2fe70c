package root

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

// Every way a spec can come in (a file, a symlink, stdin, a pipe, a FIFO) is read once, and
// every input that is not a spec (too big, endless, missing, a directory, broken bytes) fails
// fast with exit 2 and a message that says where and why, without echoing the input.
func TestSpecInputs(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "shipit.yaml")
	if err := os.WriteFile(specFile, []byte(good+"environments:\n  staging: {replicas: 2}\n  production: {replicas: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(specFile, link); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte(good+"env:\n  BIG: \""+strings.Repeat("x", 2<<20)+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	longName := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(longName, []byte(strings.Replace(good, "name: web", "name: "+strings.Repeat("n", 900_000), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	badUTF8 := filepath.Join(dir, "utf8.yaml")
	if err := os.WriteFile(badUTF8, []byte(good+"labels:\n  team: w\xffb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(dir, "dup.yaml")
	if err := os.WriteFile(dup, []byte(good+"labels:\n  team: a\n  team: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	amp := filepath.Join(dir, "amp.yaml")
	if err := os.WriteFile(amp, []byte(good+"env:\n  A: \""+strings.Repeat("${BIG}", 3000)+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		file string
		// stdin, when set, is what the command reads on standard input.
		stdin io.Reader
		// feed, when set, writes the spec into the FIFO while the command runs.
		feed bool
		// env is set in the process environment for the case.
		env    map[string]string
		code   int
		stderr string // a regexp stderr must match
		out    string // what stdout must hold
	}{
		{name: "file", file: specFile, code: 0, out: "valid for ecs (base, production, staging)"},
		{name: "symlink to the spec", file: link, code: 0, out: "valid for"},
		{name: "stdin as -", file: "-", stdin: strings.NewReader(good + "environments: {a: {}, b: {}}\n"), code: 0, out: "(base, a, b)"},
		{name: "pipe", file: "-", stdin: pipeOf(t, good+"environments: {a: {}}\n"), code: 0, out: "(base, a)"},
		{name: "FIFO", file: fifo, feed: true, code: 0, out: "valid for"},
		{name: "missing file", file: filepath.Join(dir, "nope.yaml"), code: 2, stderr: `nope\.yaml: no such file \(pass the spec with -f FILE, or create one with shipit init\)`},
		{name: "directory", file: dir, code: 2, stderr: `is a directory, not a spec file \(pass the spec file with -f`},
		{name: "/dev/zero", file: "/dev/zero", code: 2, stderr: `/dev/zero: the spec is larger than 1 MiB`},
		{name: "huge file", file: huge, code: 2, stderr: `huge\.yaml: the spec is larger than 1 MiB`},
		{name: "invalid UTF-8", file: badUTF8, code: 2, stderr: `utf8\.yaml:12:10: byte 0xff is not UTF-8`},
		{name: "duplicate key", file: dup, code: 2, stderr: `dup\.yaml:13:3: key "team" is written twice in this mapping \(first on line 12\)`},
		{name: "expansion amplification", file: amp, env: map[string]string{"BIG": strings.Repeat("v", 128<<10)}, code: 2, stderr: `amp\.yaml:12:6: env\.A: expanding \$\{…\} makes the spec larger than 1 MiB`},
		{name: "a long bad value is not echoed whole", file: longName, code: 2, stderr: `long\.yaml:2:7: name: "n+…\(9000\d\d bytes\) \(shorten it`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.feed {
				go func() {
					f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
					if err != nil {
						return
					}
					defer f.Close()
					_, _ = f.WriteString(good)
				}()
			}
			var out, errOut bytes.Buffer
			in := c.stdin
			if in == nil {
				in = strings.NewReader("")
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			code := Execute(context.Background(), &cmdutil.IOStreams{In: in, Out: &out, ErrOut: &errOut},
				[]string{"validate", "-f", c.file})
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %.500s", code, c.code, errOut.String())
			}
			if c.stderr != "" && !regexp.MustCompile(c.stderr).MatchString(errOut.String()) {
				e := errOut.String()
				t.Errorf("stderr %.300q…%q, want it to match %s", e, e[max(0, len(e)-300):], c.stderr)
			}
			if !strings.Contains(out.String(), c.out) {
				t.Errorf("stdout %q, want it to hold %q", out.String(), c.out)
			}
			if errOut.Len() > 4096 {
				t.Errorf("stderr is %d bytes: an error must not echo the input", errOut.Len())
			}
			if took > 5*time.Second {
				t.Errorf("took %s", took)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
}

// pipeOf returns the read end of an OS pipe that carries s and is then closed.
func pipeOf(t *testing.T, s string) io.Reader {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = w.WriteString(s)
		w.Close()
	}()
	t.Cleanup(func() { r.Close() })
	return r
}

package deploy

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"

	"github.com/shipit-dev/shipit/pkg/target"
)

// One progress view for many apps: every app reports to a writer of its own, and those
// writers share one stream and its lock, so lines of different apps never mix within a line.
// People get each line prefixed with the app's label (aligned); machines get JSON Lines whose
// events carry the app (as every deploy's do) and the spec file. A live, redrawn line is never
// used here: with several apps at once only whole lines stay readable.

// sharedStream is one output stream that many apps write whole lines to.
type sharedStream struct {
	mu sync.Mutex
	w  io.Writer
}

// prefixWriter writes every line written to it to the stream, prefixed; a line without its
// newline yet waits for the rest.
type prefixWriter struct {
	s      *sharedStream
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := append([]byte(p.prefix), p.buf[:i+1]...)
		p.buf = p.buf[i+1:]
		if _, err := p.s.w.Write(line); err != nil {
			return len(b), err
		}
	}
}

// jsonAppReporter prints an app's events as JSON Lines with its spec file added.
type jsonAppReporter struct {
	s    *sharedStream
	file string
}

func (r *jsonAppReporter) Report(e target.Event) {
	b, _ := json.Marshal(struct {
		target.Event
		File string `json:"file"`
	}{e, r.file})
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	_, _ = r.s.w.Write(append(b, '\n'))
}

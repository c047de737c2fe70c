package starter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// FromDockerfile reads what a spec can take from a Dockerfile: the first EXPOSEd TCP port and
// the HEALTHCHECK command of the last stage (the image that runs). Line continuations are
// joined; anything else is left to the image.
func FromDockerfile(data []byte) (port int, health []string) {
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	for _, l := range lines {
		word, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM": // a new stage: only the last one runs
			port, health = 0, nil
		case "EXPOSE":
			if port != 0 {
				continue
			}
			for _, f := range strings.Fields(rest) {
				p, proto, _ := strings.Cut(f, "/")
				if n, err := strconv.Atoi(p); err == nil && n > 0 && n <= 65535 && (proto == "" || strings.EqualFold(proto, "tcp")) {
					port = n
					break
				}
			}
		case "HEALTHCHECK":
			health = healthCommand(rest)
		}
	}
	return port, health
}

// healthCommand is HEALTHCHECK's command as an exec list (health.command runs it without a
// shell on both targets): the shell form through /bin/sh -c, as Docker runs it; nil for NONE.
func healthCommand(rest string) []string {
	// Options (--interval=…) come before CMD.
	for strings.HasPrefix(rest, "--") {
		_, after, ok := strings.Cut(rest, " ")
		if !ok {
			return nil
		}
		rest = strings.TrimSpace(after)
	}
	word, cmd, _ := strings.Cut(rest, " ")
	if !strings.EqualFold(word, "CMD") {
		return nil // NONE, or not a form we know
	}
	cmd = strings.TrimSpace(cmd)
	if strings.HasPrefix(cmd, "[") {
		var list []string
		if json.Unmarshal([]byte(cmd), &list) == nil && len(list) > 0 {
			return list
		}
	}
	if cmd == "" {
		return nil
	}
	return []string{"/bin/sh", "-c", cmd}
}

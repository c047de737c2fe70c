package root

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil"
)

const good = `version: 1
name: web
image: 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/web:1
port: 80
cpu: 0.5
memory: 1Gi
ecs:
  region: ap-northeast-2
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

func execute(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(context.Background(), &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return code, out.String(), errOut.String()
}

func write(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// errLine is file:line:col: field: message.
var errLine = regexp.MustCompile(`^\S+shipit\.yaml:\d+:\d+: [\w.\[\]]+: .+$`)

// TestInvalidSpecsExit2 is the list: each bad spec exits 2 with file:line:col: field:
// message, for validate and for render.
func TestInvalidSpecsExit2(t *testing.T) {
	t.Setenv("SHIPIT_TEST_UNSET", "")
	cases := map[string]struct {
		src, target, field string
	}{
		"typo":             {good + "replcas: 3\n", "ecs", "replcas"},
		"fargate size":     {strings.Replace(good, "memory: 1Gi", "memory: 512Mi", 1), "ecs", "memory"},
		"unset var":        {strings.Replace(good, "web:1", "web:${SHIPIT_TEST_UNSET}", 1), "ecs", "image"},
		"missing name":     {strings.Replace(good, "name: web\n", "", 1), "eks", "name"},
		"k8s secret":       {good + "secrets: {S: 'k8s:web/s'}\n", "ecs", "secrets.S"},
		"sidecar overflow": {good + "sidecars: [{name: log, image: x, cpu: 0.5, memory: 1Gi}]\n", "ecs", "sidecars"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := write(t, c.src)
			for _, args := range [][]string{{"validate", "-f", p}, {"render", "--target", c.target, "-f", p}} {
				code, out, stderr := execute(t, args...)
				if code != 2 {
					t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, code, stderr)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if !errLine.MatchString(lines[0]) || !strings.Contains(lines[0], ": "+c.field+": ") {
					t.Errorf("%v: stderr %q, want file:line:col: %s: message", args, stderr, c.field)
				}
				if out != "" {
					t.Errorf("%v: wrote to stdout on error: %q", args, out)
				}
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	p := write(t, good)
	for _, args := range [][]string{
		{"render", "-f", p},                        // no --target
		{"render", "--target", "lambda", "-f", p},  // unknown target
		{"render", "--target", "ecs", "--bogus"},   // unknown flag
		{"render", "--target", "ecs", "-o", "xml"}, // bad output format
		{"validate", "-f", p, "--env", "nope"},     // unknown environment
		{"render", "--target", "ecs", "-f", p, "--image", "noequals"},
		{"render", "--target", "ecs", "-f", p, "extra-argument"},
		{"deploy", "extra-argument"},
		{"bogus-command"},
	} {
		if code, _, stderr := execute(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	// A missing spec is a usage problem (exit 2), with a hint; exit 1 is for API errors.
	if code, _, stderr := execute(t, "validate", "-f", filepath.Join(t.TempDir(), "missing.yaml")); code != 2 || !strings.Contains(stderr, "shipit init") {
		t.Errorf("missing file: exit %d, want 2 with a hint (%s)", code, stderr)
	}
}

// With -o json, every command says what is wrong with the spec: on stderr for people, and as
// a JSON result on stdout for machines.
func TestJSONOutputCarriesSpecErrors(t *testing.T) {
	p := write(t, good+"replcas: 3\n")
	for _, cmd := range []string{"render", "deploy", "diff", "status"} {
		code, out, stderr := execute(t, cmd, "--target", "ecs", "-f", p, "-o", "json")
		var res struct {
			Error    string
			ExitCode int
			Errors   []struct{ Field string }
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Errorf("%s -o json: stdout is not JSON: %q", cmd, out)
		}
		if code != 2 || !strings.Contains(stderr, "replcas: unknown field") || res.ExitCode != 2 || len(res.Errors) != 1 || res.Errors[0].Field != "replcas" {
			t.Errorf("%s -o json: exit %d, stdout %q, stderr %q", cmd, code, out, stderr)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	p := write(t, good+"replcas: 3\n")
	code, out, _ := execute(t, "validate", "-f", p, "-o", "json")
	if code != 2 || !strings.Contains(out, `"valid": false`) || !strings.Contains(out, `"field": "replcas"`) || !strings.Contains(out, `"line": 11`) {
		t.Errorf("exit %d, out:\n%s", code, out)
	}
	p = write(t, good)
	code, out, _ = execute(t, "validate", "-f", p, "-o", "json")
	if code != 0 || !strings.Contains(out, `"valid": true`) {
		t.Errorf("exit %d, out:\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := execute(t, "version", "-o", "json")
	if code != 0 || !strings.Contains(out, `"version": "dev"`) {
		t.Errorf("exit %d, out %s", code, out)
	}
}

// A mistyped subcommand is a usage error (exit 2) with cobra's suggestion; shipit alone
// prints its help.
func TestUnknownCommand(t *testing.T) {
	code, out, stderr := execute(t, "deploi")
	if code != 2 || out != "" || !strings.Contains(stderr, `error: unknown command "deploi" for "shipit"; did you mean deploy?`) {
		t.Errorf("exit %d stdout %q stderr %q", code, out, stderr)
	}
	code, out, _ = execute(t, "-o", "json", "frobnicate")
	var res map[string]any
	if code != 2 || json.Unmarshal([]byte(out), &res) != nil || res["exitCode"] != float64(2) {
		t.Errorf("json: exit %d stdout %q", code, out)
	}
	code, out, _ = execute(t)
	if code != 0 || !strings.Contains(out, "Exit codes:") {
		t.Errorf("no arguments: exit %d stdout %q", code, out)
	}
}

// validate -o json lists the spec errors in its result, which carries the failure fields: one
// JSON object, nothing else printed (root adds no second one).
func TestValidateJSONErrorsPrintedOnce(t *testing.T) {
	p := write(t, good+"replcas: 3\n")
	code, out, stderr := execute(t, "validate", "-o", "json", "-f", p)
	var res map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if code != 2 || stderr != "" || dec.Decode(&res) != nil || dec.More() || res["exitCode"] != float64(2) || strings.Count(out, `"field": "replcas"`) != 1 {
		t.Errorf("exit %d stdout %q stderr %q", code, out, stderr)
	}
}

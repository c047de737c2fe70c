package root

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: prod-cluster
  cluster: {server: "https://127.0.0.1:1"}
- name: dev-cluster
  cluster: {server: "https://127.0.0.1:2"}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: me}
- name: dev
  context: {cluster: dev-cluster, user: me}
- name: dev-admin
  context: {cluster: dev-cluster, user: admin}
current-context: dev
users:
- name: me
  user: {token: "x"}
- name: admin
  user: {token: "y"}
`

const withEnvironments = cmdtest.Spec + `environments:
  staging: {replicas: 1}
  production: {replicas: 3}
  prod-eu: {replicas: 3}
`

// TestCompletion: Tab completes --target from the registry, -o's formats, --env from the
// spec -f names and --context from the kubeconfig, through cobra's __complete (what the
// scripts of `shipit completion` call); never file names for them, YAML files for -f.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(kubeconfig, "name: prod\n", "name: other\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string // after __complete; FILE is the spec's path
		want string
	}{
		{"target", []string{"deploy", "--target", ""}, "ecs\neks\n:4\n"},
		{"target typed", []string{"render", "--target", "e"}, "ecs\neks\n:4\n"},
		{"target prefix", []string{"rollback", "--target", "ek"}, "eks\n:4\n"},
		{"target of validate", []string{"validate", "--target", ""}, "ecs\neks\n:4\n"},
		{"target of lint", []string{"lint", "--target", ""}, "ecs\neks\n:4\n"},
		{"target of cost", []string{"cost", "--target", ""}, "ecs\neks\n:4\n"},
		{"output", []string{"status", "-o", ""}, "text\tfor people\njson\tfor machines: one JSON result (deploy and rollback: JSON Lines, then the verdict)\n:4\n"},
		{"output typed", []string{"diff", "--output", "j"}, "json\tfor machines: one JSON result (deploy and rollback: JSON Lines, then the verdict)\n:4\n"},
		{"env", []string{"deploy", "-f", "FILE", "--env", ""}, "prod-eu\nproduction\nstaging\n:4\n"},
		{"env typed", []string{"validate", "-f", "FILE", "--env", "prod"}, "prod-eu\nproduction\n:4\n"},
		{"env of a missing spec", []string{"deploy", "-f", filepath.Join(dir, "missing.yaml"), "--env", ""}, ":4\n"},
		{"context from KUBECONFIG", []string{"status", "--context", ""}, "dev\tcluster dev-cluster\ndev-admin\tcluster dev-cluster\nprod\tcluster prod-cluster\n:4\n"},
		{"context typed", []string{"status", "--context", "dev-"}, "dev-admin\tcluster dev-cluster\n:4\n"},
		{"context from --kubeconfig", []string{"deploy", "--kubeconfig", other, "--context", ""}, "dev\tcluster dev-cluster\ndev-admin\tcluster dev-cluster\nother\tcluster prod-cluster\n:4\n"},
		{"context from a missing --kubeconfig", []string{"deploy", "--kubeconfig", filepath.Join(dir, "missing"), "--context", ""}, ":4\n"},
		{"file", []string{"deploy", "-f", ""}, "yaml\nyml\n:8\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := cmdtest.New(t, "ecs", "")
			e.Factory.Targets["eks"] = targettest.New("eks")
			if err := os.WriteFile(e.File, []byte(withEnvironments), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"__complete"}
			for _, a := range c.args {
				if a == "FILE" {
					a = e.File
				}
				args = append(args, a)
			}
			if code := ExecuteFactory(context.Background(), e.Factory, args); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if e.Out.String() != c.want {
				t.Errorf("%v:\n%q\nwant\n%q", c.args, e.Out.String(), c.want)
			}
		})
	}
}

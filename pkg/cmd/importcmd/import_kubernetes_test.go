package importcmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmd/root"
	"github.com/shipit-dev/shipit/pkg/cmdutil"
	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
	"github.com/shipit-dev/shipit/pkg/target/targettest"
)

// A Deployment with a Service, and a ConfigMap shipit does not render.
const k8sManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{name: http, containerPort: 80}]
          resources:
            limits: {cpu: 500m, memory: 256Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data: {MODE: prod}
`

const k8sSpec = "# yaml-language-server: $schema=https://shipit.dev/schema/shipit-v1.json\n" +
	"# Imported by `shipit import` from %s.\n" +
	"# Not carried (1): the spec has no way to say these; they are listed by `shipit import` too.\n" +
	"#   - ConfigMap/web-config: shipit renders no v1 ConfigMap (%s:30): keep applying it as it is\n" +
	`version: 1
name: web
image: nginx:1.27
ports:
  - name: http
    port: 80
cpu: 500m
memory: 256Mi
replicas: 2
labels:
  app: web
rollout:
  maxSurge: 25%%
  maxUnavailable: 25%%
eks:
  selector:
    app: web
  # What the fields above cannot say, so that the render is the original object for object:
  # a deploy of this spec changes nothing that runs (a changed pod template would restart
  # every pod). Drop a patch to take shipit's default instead, e.g. limits = requests, no
  # privilege escalation, the RuntimeDefault seccomp profile.
  patches:
    - kind: Deployment
      patch:
        spec:
          template:
            metadata:
              labels:
                app.kubernetes.io/managed-by: null
                app.kubernetes.io/name: null
            spec:
              containers:
                - name: web
                  resources:
                    requests: null
                  securityContext: null
              securityContext: null
`

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func hasSuffix(s, suffix string) bool { return strings.HasSuffix(s, suffix) }

func writeManifest(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(file, []byte(k8sManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestImportKubernetesFile: the spec on stdout, what is not carried on stderr, exit 0.
func TestImportKubernetesFile(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	file := writeManifest(t)
	code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", file})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, e.ErrOut)
	}
	if want := sprintf(k8sSpec, file, file); e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
	if want := "not carried: ConfigMap/web-config: shipit renders no v1 ConfigMap (" + file + ":30): keep applying it as it is\n"; e.ErrOut.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", e.ErrOut, want)
	}
}

// TestImportKubernetesJSON: -o json is one object: from, target, the spec as text, and lost.
func TestImportKubernetesJSON(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	file := writeManifest(t)
	code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", file, "-o", "json"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, e.ErrOut)
	}
	want := "{\n  \"from\": " + quote(file) + ",\n  \"target\": \"eks\",\n  \"spec\": " + quote(sprintf(k8sSpec, file, file)) + ",\n" +
		"  \"lost\": [\n    {\n      \"field\": \"ConfigMap/web-config\",\n      \"reason\": " +
		quote("shipit renders no v1 ConfigMap ("+file+":30): keep applying it as it is") + "\n    }\n  ]\n}\n"
	if e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
	if e.ErrOut.Len() != 0 {
		t.Errorf("stderr: %s", e.ErrOut)
	}
}

// TestImportKubernetesToFile: -o FILE writes the spec and says what to do next; an existing
// file is kept (exit 2) unless --force.
func TestImportKubernetesToFile(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	file := writeManifest(t)
	out := filepath.Join(t.TempDir(), "shipit.yaml")
	if code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", file, "-o", out}); code != 0 {
		t.Fatalf("exit %d\n%s", code, e.ErrOut)
	}
	if want := "wrote " + out + " for web (from " + file + ", 1 not carried); next: shipit validate -f " + out + " --target eks\n"; e.Out.String() != want {
		t.Errorf("stdout %q, want %q", e.Out, want)
	}
	if b, _ := os.ReadFile(out); string(b) != sprintf(k8sSpec, file, file) {
		t.Errorf("file:\n%s", b)
	}
	e = cmdtest.New(t, "eks", "")
	if code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", file, "-o", out}); code != target.ExitInvalid {
		t.Errorf("existing file: exit %d, want 2", code)
	}
	if want := "error: " + out + " exists: pass --force to replace it, or -o another file\n"; !hasSuffix(e.ErrOut.String(), want) {
		t.Errorf("stderr %q, want it to end with %q", e.ErrOut, want)
	}
	e = cmdtest.New(t, "eks", "")
	if code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", file, "-o", out, "--force"}); code != 0 {
		t.Errorf("--force: exit %d\n%s", code, e.ErrOut)
	}
}

// liveTarget is a fake target that reads a live app: it records what it was asked for.
type liveTarget struct {
	*targettest.Target
	docs []target.Document
	ref  target.LiveRef
	opts target.ConnectOptions
}

func (l *liveTarget) ReadLive(_ context.Context, ref target.LiveRef, opts target.ConnectOptions) ([]target.Document, error) {
	l.ref, l.opts = ref, opts
	return l.docs, nil
}

// TestImportKubernetesLive: --target eks --namespace --deployment reads through the target's
// LiveReader with the access flags, and imports what it returns.
func TestImportKubernetesLive(t *testing.T) {
	e := cmdtest.New(t, "eks", "")
	lt := &liveTarget{Target: e.Target, docs: []target.Document{{Name: "Deployment/web in namespace shop (context prod)", Data: []byte(k8sManifest)}}}
	e.Factory.Targets = cmdutil.Targets{"eks": lt}
	code := root.ExecuteFactory(context.Background(), e.Factory, []string{"import", "--target", "eks", "-n", "shop", "--deployment", "web", "--context", "prod", "--kubeconfig", "/kube/config"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, e.ErrOut)
	}
	if lt.ref != (target.LiveRef{Namespace: "shop", Deployment: "web"}) || lt.opts.Context != "prod" || lt.opts.Kubeconfig != "/kube/config" {
		t.Errorf("ref %+v opts %+v", lt.ref, lt.opts)
	}
	from := "Deployment/web in namespace shop (context prod)"
	if want := sprintf(k8sSpec, from, from); e.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.Out, want)
	}
}

// TestImportKubernetesUsage: files and a live app at once, and a target that cannot read a
// live app, are usage errors (exit 2).
func TestImportKubernetesUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "web.yaml", "--target", "eks"}, "error: import reads files or a live app, not both: drop the files or --target\n"},
		{[]string{"import", "--target", "eks", "--deployment", "web"}, "error: --target eks cannot import a live app\n"},
		{[]string{"import", "missing.yaml"}, "error: open missing.yaml: no such file or directory\n"},
	} {
		e := cmdtest.New(t, "eks", "")
		if code := root.ExecuteFactory(context.Background(), e.Factory, c.args); code != target.ExitInvalid {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if e.ErrOut.String() != c.want {
			t.Errorf("%v: stderr %q, want %q", c.args, e.ErrOut, c.want)
		}
	}
}

//go:build e2e

// Package netfault runs the real shipit binary against endpoints that are not what they
// should be: a TCP listener that accepts connections and never answers, a TLS listener that
// completes the handshake and never answers, and a server that answers 404 to everything.
// Every command must end within its time bound (plus a little) with a clear message and the
// documented exit code. The listeners are started by the tests; no sandbox is needed.
package netfault

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var shipitBin string

func TestMain(m *testing.M) {
	// SHIPIT_NETFAULT_BIN runs the tests against another build (e.g. an older one, to see
	// them fail).
	if bin := os.Getenv("SHIPIT_NETFAULT_BIN"); bin != "" {
		shipitBin = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "shipit-netfault")
	if err != nil {
		panic(err)
	}
	shipitBin = filepath.Join(dir, "shipit")
	if out, err := exec.Command("go", "build", "-o", shipitBin, "../../cmd/shipit").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building shipit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const spec = `version: 1
name: web
image: nginx:1.27
port: 80
ecs:
  region: us-east-1
  executionRole: arn:aws:iam::123456789012:role/exec
  subnets: [subnet-0abc]
`

// silentTCP accepts connections and never reads or writes; it returns its address.
func silentTCP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// server starts a TLS server with handler; it returns its URL and its certificate as PEM.
func server(t *testing.T, handler http.Handler) (string, []byte) {
	t.Helper()
	s := httptest.NewUnstartedServer(handler)
	s.EnableHTTP2 = false
	s.StartTLS()
	t.Cleanup(s.Close)
	return s.URL, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// silentTLS completes TLS handshakes and never answers a request.
func silentTLS(t *testing.T) (string, []byte) {
	t.Helper()
	done := make(chan struct{})
	url, ca := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done) })
	return url, ca
}

// endpoint is where a command is pointed: the URL and the CA that signs it (nil: none).
type endpoint struct {
	name string
	url  string
	ca   []byte
}

// env is a clean environment for shipit: test credentials, the AWS endpoint, and a
// kubeconfig for the Kubernetes endpoint.
func env(t *testing.T, ep endpoint) []string {
	t.Helper()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cluster := "    server: " + ep.url + "\n"
	if ep.ca != nil {
		caFile := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(caFile, ep.ca, 0o600); err != nil {
			t.Fatal(err)
		}
		cluster += "    certificate-authority: " + caFile + "\n"
	} else {
		cluster += "    insecure-skip-tls-verify: true\n"
	}
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n" + cluster +
		"users:\n- name: u\n  user: {token: test}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n"
	if err := os.WriteFile(kubeconfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	e := []string{
		"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "CI=true",
		"KUBECONFIG=" + kubeconfig,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + ep.url,
	}
	if ep.ca != nil {
		caFile := filepath.Join(dir, "ca.pem")
		e = append(e, "AWS_CA_BUNDLE="+caFile)
	}
	return e
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// run runs shipit and kills it (failing the test) if it has not ended by limit.
func run(t *testing.T, environ []string, limit time.Duration, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	specFile := filepath.Join(dir, "shipit.yaml")
	if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(shipitBin, append(args, "-f", specFile)...)
	cmd.Env = environ
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("shipit %s still running after %s; stderr:\n%s", strings.Join(args, " "), limit, errOut.String())
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
}

// commands are the commands that talk to a live target, each with its arguments.
var commands = [][]string{
	{"deploy"},
	{"status"},
	{"diff"},
	{"destroy", "--yes"},
}

// Against a listener that never answers, every command of both targets ends within --timeout
// plus 5 s, with exit 5 and a message naming the bound and the step it stopped in.
func TestNeverAnsweringEndpoints(t *testing.T) {
	tcp := silentTCP(t)
	tlsURL, tlsCA := silentTLS(t)
	endpoints := []endpoint{
		{name: "tcp-http", url: "http://" + tcp},
		{name: "tcp-https", url: "https://" + tcp},
		{name: "tls", url: tlsURL, ca: tlsCA},
	}
	const bound = 3 * time.Second
	for _, ep := range endpoints {
		for _, tgt := range []string{"ecs", "eks"} {
			if tgt == "eks" && ep.name == "tcp-http" {
				continue // a plain-HTTP API server is not a case kubeconfigs describe
			}
			for _, c := range commands {
				t.Run(ep.name+"/"+tgt+"/"+c[0], func(t *testing.T) {
					t.Parallel()
					args := append(append([]string{}, c...), "--target", tgt, "--timeout", bound.String())
					r := run(t, env(t, ep), bound+5*time.Second, args...)
					if r.code != 5 {
						t.Errorf("exit %d, want 5; stdout %q stderr %q", r.code, r.stdout, r.stderr)
					}
					if !strings.Contains(r.stderr+r.stdout, "timed out after 3s while ") {
						t.Errorf("no message naming the bound and the step; stdout %q stderr %q", r.stdout, r.stderr)
					}
					if r.took > bound+5*time.Second {
						t.Errorf("took %s", r.took)
					}
				})
			}
		}
	}
}

// --request-timeout alone (the default time bound of status being minutes) ends a request
// to an API server that never answers: client-go does not retry it.
func TestRequestTimeoutAlone(t *testing.T) {
	url, ca := silentTLS(t)
	r := run(t, env(t, endpoint{url: url, ca: ca}), 2*time.Second+5*time.Second, "status", "--target", "eks", "--request-timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "reaching the Kubernetes API server at "+url) || !(strings.Contains(r.stderr, "deadline exceeded") || strings.Contains(r.stderr, "Timeout exceeded")) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// A deploy that runs out of time prints its verdict object with -o json: TimedOut, the step,
// nothing applied.
func TestTimedOutDeployJSON(t *testing.T) {
	url, ca := silentTLS(t)
	for _, tgt := range []string{"ecs", "eks"} {
		t.Run(tgt, func(t *testing.T) {
			t.Parallel()
			r := run(t, env(t, endpoint{url: url, ca: ca}), 8*time.Second, "deploy", "--target", tgt, "--timeout", "3s", "-o", "json")
			var v struct {
				Target, App, Phase, Message string
				Applied                     []string
			}
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatalf("stdout is not a verdict object: %q (stderr %q)", r.stdout, r.stderr)
			}
			if r.code != 5 || v.Phase != "TimedOut" || v.Target != tgt || v.App != "web" || !strings.Contains(v.Message, "timed out after 3s while ") || len(v.Applied) != 0 {
				t.Errorf("exit %d, verdict %+v", r.code, v)
			}
		})
	}
}

// An endpoint that answers 404 to everything is not the API: an error that says so (exit 1),
// never "not deployed".
func TestNotTheAPI(t *testing.T) {
	url, ca := server(t, http.NotFoundHandler())
	for _, c := range []struct {
		target, want string
	}{
		{"eks", "does not answer like a Kubernetes API server"},
		{"ecs", "does not answer like the AWS API"},
	} {
		for _, cmd := range [][]string{{"status"}, {"diff"}, {"destroy", "--yes"}, {"deploy"}} {
			t.Run(c.target+"/"+cmd[0], func(t *testing.T) {
				t.Parallel()
				r := run(t, env(t, endpoint{url: url, ca: ca}), 60*time.Second, append(cmd, "--target", c.target, "--timeout", "30s")...)
				if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stdout+r.stderr, "not deployed") {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", r.code, r.stdout, r.stderr, c.want)
				}
			})
		}
	}
}

// start runs shipit in the background; wait returns its result, failing the test if it has not
// ended within limit.
func start(t *testing.T, environ []string, specFile string, args ...string) (*exec.Cmd, func(limit time.Duration) result) {
	t.Helper()
	cmd := exec.Command(shipitBin, append(args, "-f", specFile)...)
	cmd.Env = environ
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, func(limit time.Duration) result {
		t0 := time.Now()
		select {
		case <-done:
		case <-time.After(limit):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("shipit still running %s after the signal; stderr:\n%s", limit, errOut.String())
		}
		return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String(), took: time.Since(t0)}
	}
}

// SIGTERM is handled exactly like Ctrl-C (SIGINT) where nothing is written yet: while the
// spec is read (a FIFO nobody writes to) and while the SDK or client-go waits on an API that
// never answers (its retries included). The first signal stops shipit at once with exit 130,
// a message naming the signal and the step, and, with -o json, a verdict object.
func TestSignalsBeforeAnythingIsWritten(t *testing.T) {
	url, ca := silentTLS(t)
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		name := map[os.Signal]string{syscall.SIGTERM: "SIGTERM", os.Interrupt: "SIGINT"}[sig]
		for _, c := range []struct {
			step, target string
			fifo         bool
			want         string
		}{
			{step: "reading the spec", target: "ecs", fifo: true, want: "interrupted (" + name + ") while reading the spec"},
			{step: "ecs API", target: "ecs", want: "interrupted (" + name + ") while reading the live service"},
			{step: "eks API", target: "eks", want: "interrupted (" + name + ") while connecting to eks"},
		} {
			for _, output := range []string{"text", "json"} {
				t.Run(name+"/"+c.step+"/"+output, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					specFile := filepath.Join(dir, "shipit.yaml")
					if c.fifo {
						if err := syscall.Mkfifo(specFile, 0o600); err != nil {
							t.Fatal(err)
						}
					} else if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
						t.Fatal(err)
					}
					cmd, wait := start(t, env(t, endpoint{url: url, ca: ca}), specFile, "deploy", "--target", c.target, "-o", output)
					time.Sleep(3 * time.Second) // well into the step, however busy the machine
					if err := cmd.Process.Signal(sig); err != nil {
						t.Fatal(err)
					}
					r := wait(5 * time.Second)
					if r.code != 130 {
						t.Errorf("exit %d, want 130; stdout %q stderr %q", r.code, r.stdout, r.stderr)
					}
					text := r.stderr + r.stdout
					if output == "json" {
						var v struct{ Phase, Message, Target string }
						if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Phase != "Canceled" || v.Target != c.target {
							t.Errorf("stdout is not a Canceled verdict: %q (%v)", r.stdout, err)
						}
						text = v.Message
					}
					if !strings.Contains(text, c.want) || !strings.Contains(text, "nothing was written") {
						t.Errorf("message %q, want %q and that nothing was written", text, c.want)
					}
				})
			}
		}
	}
}

// A second signal exits at once, whatever shipit is doing.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	url, ca := silentTLS(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "shipit.yaml")
	if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, wait := start(t, env(t, endpoint{url: url, ca: ca}), specFile, "status", "--target", "eks")
	time.Sleep(time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Process.Signal(syscall.SIGINT)
	r := wait(5 * time.Second)
	if r.code != 130 {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// Package harness runs end-to-end tests against the local sandbox (e2e/sandbox): a real
// Kubernetes control plane with kwok nodes, and moto behind the ECS rollout simulator.
//
// A test package calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// Main reuses a sandbox that is already up (make sandbox-up / e2e/sandbox/up.sh) and leaves it
// running; otherwise it starts one with up.sh and stops it with down.sh after the tests (also
// on Ctrl-C). Set SHIPIT_E2E_KEEP_SANDBOX=1 to leave a sandbox that Main started running, and
// SHIPIT_E2E_KEEP_NAMESPACES=1 to keep the namespaces of Namespace for inspection.
//
// e2e tests mostly wait on servers, so Main raises go test's -parallel default (GOMAXPROCS,
// 2 on a small machine) to 8; an explicit -parallel wins.
//
// The helpers read the sandbox from the environment that Main loads from .sandbox/env
// (SHIPIT_E2E_KUBECONFIG, SHIPIT_E2E_AWS_ENDPOINT, ...); Main also exports KUBECONFIG,
// AWS_ENDPOINT_URL, static AWS credentials and the region, so code under test talks to the
// sandbox through the ordinary variables.
package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Environment variables written to .sandbox/env by up.sh and read by the helpers.
const (
	EnvKubeconfig   = "SHIPIT_E2E_KUBECONFIG"
	EnvAWSEndpoint  = "SHIPIT_E2E_AWS_ENDPOINT"
	EnvMotoEndpoint = "SHIPIT_E2E_MOTO_ENDPOINT"
)

// Main runs the package's tests against the sandbox and exits with their result.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "8")
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	envFile := filepath.Join(sandboxDir(root), "env")

	started := false
	env, err := loadEnv(envFile)
	if err == nil {
		err = healthy(env)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: no running sandbox (%v): starting one with e2e/sandbox/up.sh\n", err)
		started = true
		t0 := time.Now()
		if err := script(root, "up.sh"); err != nil {
			fmt.Fprintln(os.Stderr, "harness: e2e/sandbox/up.sh:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "harness: sandbox up in %.1fs\n", time.Since(t0).Seconds())
		if env, err = loadEnv(envFile); err == nil {
			err = healthy(env)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "harness: sandbox still not healthy after up.sh:", err)
			stopSandbox(root)
			return 1
		}
	} else {
		fmt.Fprintln(os.Stderr, "harness: using the running sandbox (left running afterwards)")
	}
	for k, v := range env {
		os.Setenv(k, v)
	}

	if started && os.Getenv("SHIPIT_E2E_KEEP_SANDBOX") == "" {
		// The sandbox's daemons run in sessions of their own: a Ctrl-C does not reach them, so
		// stop them here before exiting.
		var once sync.Once
		stop := func() { once.Do(func() { stopSandbox(root) }) }
		defer stop()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			s := <-sig
			fmt.Fprintf(os.Stderr, "harness: %v: stopping the sandbox\n", s)
			interrupt() // ends running kubectl commands (and their watches) first
			stop()
			os.Exit(1)
		}()
	}
	return m.Run()
}

func stopSandbox(root string) {
	if err := script(root, "down.sh"); err != nil {
		fmt.Fprintln(os.Stderr, "harness: e2e/sandbox/down.sh:", err)
	}
}

// script runs e2e/sandbox/NAME with its output on stderr (so that it shows in go test -v and
// in CI logs, and never mixes with the test2json stream on stdout).
func script(root, name string) error {
	cmd := exec.Command("bash", filepath.Join(root, "e2e", "sandbox", name))
	cmd.Dir = root
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// repoRoot is the nearest folder above the working directory (go test runs in the package's
// folder) that holds e2e/sandbox/up.sh.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "e2e", "sandbox", "up.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e/sandbox/up.sh not found above the working directory")
		}
		dir = parent
	}
}

func sandboxDir(root string) string {
	if d := os.Getenv("SHIPIT_SANDBOX_DIR"); d != "" {
		return d
	}
	return filepath.Join(root, ".sandbox")
}

var exportLine = regexp.MustCompile(`^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// loadEnv reads the `export NAME=value` lines of .sandbox/env (values optionally in single
// quotes, as up.sh writes them).
func loadEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := exportLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v := m[2]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		env[m[1]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{EnvKubeconfig, EnvAWSEndpoint} {
		if env[k] == "" {
			return nil, fmt.Errorf("%s: no %s", path, k)
		}
	}
	return env, nil
}

// healthy checks the endpoints of env: the apiserver's /readyz, moto, and the simulator.
func healthy(env map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := newClientset(env[EnvKubeconfig])
	if err != nil {
		return err
	}
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		return fmt.Errorf("kube-apiserver not ready: %w", err)
	}
	aws, moto := env[EnvAWSEndpoint], env[EnvMotoEndpoint]
	if moto != "" {
		if err := httpGet(ctx, moto+"/moto-api/data.json"); err != nil {
			return fmt.Errorf("moto: %w", err)
		}
	}
	if aws != moto {
		if err := httpGet(ctx, aws+"/_ecssim/healthz"); err != nil {
			return fmt.Errorf("ecssim: %w", err)
		}
	}
	return nil
}

func httpGet(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func mustEnv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: the sandbox is not set up (call harness.Main from TestMain, or . .sandbox/env)", name)
	}
	return v
}

// Kubeconfig is the path of the sandbox's admin kubeconfig.
func Kubeconfig(t testing.TB) string {
	t.Helper()
	return mustEnv(t, EnvKubeconfig)
}

var clientsets sync.Map // kubeconfig path -> kubernetes.Interface

func newClientset(kubeconfig string) (kubernetes.Interface, error) {
	if cs, ok := clientsets.Load(kubeconfig); ok {
		return cs.(kubernetes.Interface), nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.UserAgent = "shipit-e2e"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	actual, _ := clientsets.LoadOrStore(kubeconfig, cs)
	return actual.(kubernetes.Interface), nil
}

// Clientset is a client-go clientset for the sandbox, as its admin.
func Clientset(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := newClientset(Kubeconfig(t))
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	return cs
}

// Namespace creates a namespace of its own for the test and waits until its default
// ServiceAccount exists (pods are refused until then). It is deleted when the test ends,
// passed or failed; on failure its objects and events are logged first.
func Namespace(t testing.TB) string {
	t.Helper()
	cs := Clientset(t)
	name := namespaceName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"shipit.dev/e2e": "true"},
	}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	kubeconfig := Kubeconfig(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if t.Failed() {
			out, err := kubectl(ctx, kubeconfig, "", "-n", name, "get", "all,events", "-o", "wide")
			t.Logf("namespace %s at failure:\n%s%v", name, out, errOrEmpty(err))
		}
		if os.Getenv("SHIPIT_E2E_KEEP_NAMESPACES") != "" {
			t.Logf("keeping namespace %s (SHIPIT_E2E_KEEP_NAMESPACES)", name)
			return
		}
		err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", name, err)
		}
	})
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: no default service account after 30s: %v", name, err)
	}
	return name
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// namespaceName makes a DNS label from the test's name plus a random suffix.
func namespaceName(test string) string {
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(test), "-"), "-")
	if len(base) > 45 {
		base = strings.TrimRight(base[:45], "-")
	}
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "e2e-" + base + "-" + string(b)
}

// Kubectl runs the real kubectl against the sandbox and returns its standard output; the error,
// if any, carries its standard error (e.g. "exceeded its progress deadline").
func Kubectl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	// Not t.Context(): that is already canceled when a t.Cleanup runs (uncordon, say).
	return kubectl(context.WithoutCancel(t.Context()), Kubeconfig(t), "", args...)
}

// KubectlInput is Kubectl with stdin, for `kubectl apply -f -`.
func KubectlInput(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	return kubectl(context.WithoutCancel(t.Context()), Kubeconfig(t), stdin, args...)
}

// interrupted is cancelled when Main stops the sandbox on a signal.
var interrupted, interrupt = context.WithCancel(context.Background())

func kubectl(ctx context.Context, kubeconfig, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(interrupted, cancel)()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// eksApp writes a spec for one app in namespace ns; extra is appended verbatim.
func eksApp(t *testing.T, ns, image, extra string) string {
	t.Helper()
	src := fmt.Sprintf(`version: 1
name: web
image: %s
port: 80
cpu: 0.25
memory: 512Mi
replicas: 3
env: {APP_ENV: e2e}
eks: {namespace: %s}
%s`, image, ns, extra)
	p := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rewrite copies a spec with one change into a new file.
func rewrite(t *testing.T, path, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("rewrite %s: %v (holds %q: %v)", path, err, old, strings.Contains(string(b), old))
	}
	p := filepath.Join(t.TempDir(), "shipit.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runShipit runs the real binary against the sandbox's cluster.
func runShipit(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return runShipitCmd(t, exec.CommandContext(ctx, shipit(t), args...), nil)
}

// syncBuffer is a bytes.Buffer a test may read while the process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runShipitCmd(t *testing.T, cmd *exec.Cmd, started func(*exec.Cmd, *syncBuffer)) result {
	t.Helper()
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "KUBECONFIG="+harness.Kubeconfig(t), "CI=true")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if started != nil {
		started(cmd, &errOut)
	}
	err := cmd.Wait()
	res := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("shipit %v: %v", cmd.Args, err)
	}
	t.Logf("shipit %s → exit %d in %s\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), res.code, res.took.Round(time.Millisecond), res.stdout, res.stderr)
	return res
}

func kubectlOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := harness.Kubectl(t, args...)
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(out)
}

func replicaSets(t *testing.T, ns string) int {
	t.Helper()
	out := kubectlOut(t, "-n", ns, "get", "rs", "-l", "app.kubernetes.io/name=web", "-o", "name")
	if out == "" {
		return 0
	}
	return len(strings.Split(out, "\n"))
}

func TestEKSDeployUpdateAndNoChange(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "")

	r := runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 0 || !strings.Contains(r.stdout, "Succeeded") || !strings.Contains(r.stderr, "[3/3 updated, 3/3 ready]") {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas} {.spec.template.spec.containers[0].image}"); got != "3/3 registry.local/web:v1" {
		t.Errorf("kubectl after first deploy: %q", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}"); got != "shipit/Apply" {
		t.Errorf("field manager: %q, want shipit/Apply", got)
	}

	// Update: a new image rolls out as revision 2.
	spec = eksApp(t, ns, "registry.local/web:v2", "")
	r = runShipit(t, "deploy", "--target", "eks", "-f", spec, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"phase":"Progressing"`) || !strings.Contains(r.stdout, `"phase": "Succeeded"`) || !strings.Contains(r.stdout, `"revision": "2"`) {
		t.Fatalf("update: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "rollout", "status", "deploy/web", "--timeout=5s"); !strings.Contains(got, "successfully rolled out") {
		t.Errorf("kubectl rollout status: %q", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v2" {
		t.Errorf("image after update: %q", got)
	}

	// No change: nothing written, no new ReplicaSet, verdict at once.
	before := replicaSets(t, ns)
	gen := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.generation}")
	r = runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 0 || !strings.Contains(r.stderr, "nothing applied") || !strings.Contains(r.stdout, "nothing changed") {
		t.Fatalf("no-change deploy: exit %d", r.code)
	}
	if after := replicaSets(t, ns); after != before {
		t.Errorf("no-change deploy: %d ReplicaSets, had %d", after, before)
	}
	if g := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.generation}"); g != gen {
		t.Errorf("no-change deploy wrote the Deployment: generation %s → %s", gen, g)
	}
	if r.took > 10*time.Second {
		t.Errorf("no-change deploy took %s", r.took)
	}

	// status and diff read the same thing back.
	r = runShipit(t, "status", "--target", "eks", "-f", spec)
	if r.code != 0 || !strings.Contains(r.stdout, "revision:  2") || !strings.Contains(r.stdout, "3 ready") {
		t.Errorf("status: exit %d", r.code)
	}
	if r = runShipit(t, "diff", "--target", "eks", "-f", spec); r.code != 0 {
		t.Errorf("diff with nothing changed: exit %d", r.code)
	}
	r = runShipit(t, "diff", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v3", ""))
	if r.code != 6 || !strings.Contains(r.stdout, "-        image: registry.local/web:v2") || !strings.Contains(r.stdout, "+        image: registry.local/web:v3") || strings.Contains(r.stdout, "managedFields") {
		t.Errorf("diff with a new image: exit %d", r.code)
	}
}

func TestEKSAutoscaledAppKeepsHPAReplicas(t *testing.T) {
	ns := harness.Namespace(t)
	extra := "autoscale: {min: 2, max: 6, cpu: 70}\n"
	spec := eksApp(t, ns, "registry.local/web:v1", extra)
	// autoscale with replicas 3 is fine (3 within 2–6); the Deployment carries no replicas.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "hpa", "web", "-o", "jsonpath={.spec.minReplicas}-{.spec.maxReplicas} {.spec.scaleTargetRef.name}"); got != "2-6 web" {
		t.Errorf("hpa: %q", got)
	}
	// The HPA (here: kubectl, as the HPA would) scales to 5; a new deploy must not reset it.
	kubectlOut(t, "-n", ns, "scale", "deploy/web", "--replicas=5")
	spec2 := strings.Replace(spec, "APP_ENV: e2e", "APP_ENV: e2e-2", 1)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec2); r.code != 0 {
		t.Fatalf("second deploy: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); got != "5" {
		t.Errorf("replicas after deploy = %s, want 5 (the autoscaler's)", got)
	}
}

// TestEKSSwitchingAutoscaling: fixed count → autoscaling keeps the live replicas (server-side
// apply alone would drop the field and fall back to 1); autoscaling → fixed count deletes the
// HPA and takes spec.replicas over without a conflict; an object the spec no longer has (the
// Service, after expose: none) is deleted.
func TestEKSSwitchingAutoscaling(t *testing.T) {
	ns := harness.Namespace(t)
	replicas := func() string {
		return kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.status.readyReplicas}")
	}
	fixed4 := rewrite(t, eksApp(t, ns, "registry.local/web:v1", ""), "replicas: 3", "replicas: 4")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", fixed4); r.code != 0 || replicas() != "4 4" {
		t.Fatalf("fixed 4: exit %d, replicas %q", r.code, replicas())
	}
	auto := eksApp(t, ns, "registry.local/web:v1", "autoscale: {min: 2, max: 6, cpu: 70}\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", auto)
	if r.code != 0 || !strings.Contains(r.stderr, "autoscaling from now on: the 4 live replicas stay") {
		t.Fatalf("into autoscaling: exit %d", r.code)
	}
	if got := replicas(); got != "4 4" {
		t.Errorf("into autoscaling: replicas %q, want 4 kept", got)
	}
	// No ReplicaSet ever scaled below 4: the Deployment never fell back to 1.
	if ev := kubectlOut(t, "-n", ns, "get", "events", "--field-selector", "reason=ScalingReplicaSet", "-o", "jsonpath={.items[*].message}"); strings.Contains(ev, "to 1 from") || strings.Contains(ev, "down replica set web-") {
		t.Errorf("scaled down on the switch: %s", ev)
	}
	// The HPA (here kubectl, through the scale subresource as the HPA does) scales to 5.
	kubectlOut(t, "-n", ns, "scale", "deploy/web", "--replicas=5")

	r = runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", ""))
	if r.code != 0 || !strings.Contains(r.stderr, "deleted what the spec no longer has: HorizontalPodAutoscaler/web") {
		t.Fatalf("out of autoscaling: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "hpa", "-o", "name"); got != "" {
		t.Errorf("HPA left: %s", got)
	}
	// A scale-down is done for the rollout rule (as for kubectl) before the status counts
	// the pods that are going away; wait for them to go.
	waitFor(t, 30*time.Second, func() bool { return replicas() == "3 3" })
	// shipit now owns spec.replicas alone: changing it is no conflict with anyone.
	r = runShipit(t, "deploy", "--target", "eks", "-f", fixed4)
	if r.code != 0 || replicas() != "4 4" {
		t.Fatalf("fixed 4 again: exit %d, replicas %q", r.code, replicas())
	}
	owners := kubectlOut(t, "-n", ns, "get", "deploy", "web", "--show-managed-fields", "-o", "jsonpath={range .metadata.managedFields[*]}{.manager}:{.fieldsV1.f:spec.f:replicas}{\"\\n\"}{end}")
	for _, line := range strings.Split(owners, "\n") {
		if m, f, _ := strings.Cut(line, ":"); f != "" && m != "shipit" {
			t.Errorf("spec.replicas still owned by %s", m)
		}
	}

	// A failed rollout prunes nothing: the automatic rollback returns to pods that may need
	// what the new spec dropped.
	r = runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:crash-loop", "expose: none\n"))
	if r.code != 4 {
		t.Fatalf("failing deploy without the Service: exit %d, want 4 (rolled back)", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "svc", "-o", "name"); got != "service/web" {
		t.Errorf("a failed deploy pruned the Service: %q", got)
	}
	noService := eksApp(t, ns, "registry.local/web:v1", "expose: none\n")
	if d := runShipit(t, "diff", "--target", "eks", "-f", noService); d.code != 6 || !strings.Contains(d.stdout, "--- live/Service/web") || !strings.Contains(d.stdout, "-kind: Service") {
		t.Errorf("diff: exit %d, want 6 showing the Service going away", d.code)
	}
	r = runShipit(t, "deploy", "--target", "eks", "-f", noService)
	if r.code != 0 || !strings.Contains(r.stderr, "deleted what the spec no longer has: Service/web") {
		t.Fatalf("expose: none: exit %d, want the Service deleted", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "svc", "-o", "name"); got != "" {
		t.Errorf("Service left: %s", got)
	}
}

func TestEKSBadImageFailsFast(t *testing.T) {
	ns := harness.Namespace(t)
	// autoRollback off: the verdict is Failed (3). The rollout deadline is 10 minutes; the
	// image-pull failure must end it long before.
	spec := eksApp(t, ns, "registry.local/web:image-pull-backoff", "rollout: {autoRollback: false}\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 3 || !strings.Contains(r.stdout, "ImagePullBackOff") || !strings.Contains(r.stdout, "registry.local/web:image-pull-backoff") {
		t.Fatalf("bad image: exit %d, want 3 naming ImagePullBackOff and the image", r.code)
	}
	if r.took > 60*time.Second {
		t.Errorf("fail-fast took %s", r.took)
	}
	reason := kubectlOut(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", "jsonpath={.items[0].status.containerStatuses[0].state.waiting.reason}")
	if reason != "ImagePullBackOff" {
		t.Errorf("kubectl: pod waiting reason %q", reason)
	}
}

func TestEKSCrashLoopAutoRollsBack(t *testing.T) {
	ns := harness.Namespace(t)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", "")); r.code != 0 {
		t.Fatalf("v1: exit %d", r.code)
	}
	r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:crash-loop", ""))
	if r.code != 4 || !strings.Contains(r.stdout, "CrashLoopBackOff") || !strings.Contains(r.stdout, "rolled back to revision 1") {
		t.Fatalf("crash loop with autoRollback: exit %d, want 4", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.status.readyReplicas}"); got != "registry.local/web:v1 3" {
		t.Errorf("after auto-rollback: %q, want v1 with 3 ready", got)
	}
	// The same bad spec deploys again (the live state no longer claims its hash).
	if r := runShipit(t, "diff", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:crash-loop", "")); r.code != 6 {
		t.Errorf("diff after rollback: exit %d, want 6", r.code)
	}
	// The fix deploys cleanly after the rollback: shipit does not conflict with itself.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v3", "")); r.code != 0 {
		t.Fatalf("deploy after the rollback: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v3" {
		t.Errorf("after the fix: %q", got)
	}
}

func TestEKSProgressDeadline(t *testing.T) {
	ns := harness.Namespace(t)
	// rollout.timeout sets progressDeadlineSeconds (15 s); --timeout gives the watch longer,
	// so the verdict comes from the cluster's own ProgressDeadlineExceeded.
	spec := eksApp(t, ns, "registry.local/web:never-ready", "rollout: {timeout: 15s, autoRollback: false}\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec, "--timeout", "90s")
	if r.code != 3 || !strings.Contains(r.stdout, "exceeded its progress deadline") {
		t.Fatalf("never-ready: exit %d, want 3 with the progress deadline", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", `jsonpath={.status.conditions[?(@.type=="Progressing")].reason}`); got != "ProgressDeadlineExceeded" {
		t.Errorf("kubectl: Progressing reason %q", got)
	}
}

func TestEKSTimeout(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:never-ready", "rollout: {autoRollback: false}\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec, "--timeout", "4s")
	if r.code != 5 || !strings.Contains(r.stdout, "timed out after 4s") {
		t.Fatalf("timeout: exit %d, want 5", r.code)
	}
	// kubectl agrees the rollout had not finished: the pods run but none is ready.
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.updatedReplicas}/{.status.readyReplicas}"); got != "3/" && got != "3/0" {
		t.Errorf("kubectl after the timeout: updated/ready = %q", got)
	}
}

func TestEKSManualRollback(t *testing.T) {
	ns := harness.Namespace(t)
	for _, img := range []string{"registry.local/web:v1", "registry.local/web:v2"} {
		if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, img, "")); r.code != 0 {
			t.Fatalf("deploy %s: exit %d", img, r.code)
		}
	}
	spec := eksApp(t, ns, "registry.local/web:v2", "")
	r := runShipit(t, "rollback", "--target", "eks", "-f", spec)
	if r.code != 0 || !strings.Contains(r.stdout, "revision 1") {
		t.Fatalf("rollback: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}"); got != "registry.local/web:v1 3" {
		t.Errorf("after rollback: %q, want v1 as revision 3", got)
	}
	// --to a revision that does not exist is an error, not a guess.
	if r := runShipit(t, "rollback", "--target", "eks", "-f", spec, "--to", "42"); r.code != 1 || !strings.Contains(r.stderr, "revision 42") {
		t.Errorf("rollback --to 42: exit %d", r.code)
	}
	// --to 2 returns to v2.
	if r := runShipit(t, "rollback", "--target", "eks", "-f", spec, "--to", "2"); r.code != 0 {
		t.Fatalf("rollback --to 2: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v2" {
		t.Errorf("after rollback --to 2: %q", got)
	}
}

func TestEKSDestroy(t *testing.T) {
	newNS := func() string {
		ns := fmt.Sprintf("e2e-own-%d", time.Now().UnixNano()%1e9)
		t.Cleanup(func() { harness.Kubectl(t, "delete", "namespace", ns, "--ignore-not-found", "--wait=false") })
		return ns
	}
	extra := "autoscale: {min: 2, max: 4, cpu: 50}\nrole: arn:aws:iam::123456789012:role/web\n"

	// 1. A namespace shipit created for the app, holding only the app: all of it goes.
	own := newNS()
	spec := eksApp(t, own, "registry.local/web:v1", extra)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d", r.code)
	}
	// Without --yes and without a terminal, destroy refuses and deletes nothing.
	if r := runShipit(t, "destroy", "--target", "eks", "-f", spec); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("destroy without --yes: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", own, "get", "deploy", "web", "-o", "name"); got != "deployment.apps/web" {
		t.Fatalf("refused destroy deleted the Deployment: %q", got)
	}
	r := runShipit(t, "destroy", "--target", "eks", "-f", spec, "--yes", "-o", "json")
	if r.code != 0 {
		t.Fatalf("destroy: exit %d", r.code)
	}
	for _, want := range []string{"HorizontalPodAutoscaler/web", "Service/web", "Deployment/web", "ServiceAccount/web", "Namespace/" + own} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("destroy did not report %s", want)
		}
	}
	if got := kubectlOut(t, "get", "namespace", own, "-o", "jsonpath={.status.phase}", "--ignore-not-found"); got != "" && got != "Terminating" {
		t.Errorf("namespace %s is %q after destroy", own, got)
	}

	// 2. A namespace shipit created, which since holds something else: the namespace stays.
	shared := newNS()
	spec = eksApp(t, shared, "registry.local/web:v1", "")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d", r.code)
	}
	kubectlOut(t, "-n", shared, "create", "configmap", "not-shipits")
	r = runShipit(t, "destroy", "--target", "eks", "-f", spec, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "kept    Namespace/"+shared+" (still holds configmap/not-shipits)") {
		t.Fatalf("destroy: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", shared, "get", "deploy,svc", "-l", "app.kubernetes.io/name=web", "-o", "name"); got != "" {
		t.Errorf("left behind: %s", got)
	}
	if got := kubectlOut(t, "-n", shared, "get", "configmap", "not-shipits", "-o", "name"); got != "configmap/not-shipits" {
		t.Errorf("destroy removed what was not shipit's: %q", got)
	}

	// 3. A namespace shipit found: used, never adopted, never deleted.
	found := harness.Namespace(t)
	spec = eksApp(t, found, "registry.local/web:v1", "")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 || !strings.Contains(r.stderr, "is not this app's") {
		t.Fatalf("deploy into a found namespace: exit %d", r.code)
	}
	if got := kubectlOut(t, "get", "namespace", found, "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}"); got != "" {
		t.Errorf("found namespace adopted: managed-by=%q", got)
	}
	r = runShipit(t, "destroy", "--target", "eks", "-f", spec, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "kept    Namespace/"+found) {
		t.Fatalf("destroy: exit %d", r.code)
	}
	if got := kubectlOut(t, "get", "namespace", found, "-o", "name"); got != "namespace/"+found {
		t.Errorf("found namespace deleted: %q", got)
	}
}

func TestEKSInterruptedWatch(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:never-ready", "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", spec)
	r := runShipitCmd(t, cmd, func(c *exec.Cmd, stderr *syncBuffer) {
		waitFor(t, 60*time.Second, func() bool { return strings.Contains(stderr.String(), "Progressing") })
		if err := c.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	})
	if r.code != 130 || !strings.Contains(r.stderr, "shipit status") || !strings.Contains(r.stderr, "Deployment/web") {
		t.Fatalf("Ctrl-C: exit %d, want 130 with what was applied and how to check", r.code)
	}
	// Nothing half-applied: the Deployment is there, whole, with shipit's spec.
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:never-ready" {
		t.Errorf("after Ctrl-C: %q", got)
	}
}

// TestEKSConcurrentDeployIsRefused: while one deploy watches its rollout, a second deploy and a
// rollback of the same app fail at once, naming the first, and write nothing; once the first
// ends (here by Ctrl-C) its lock is gone and the next deploy goes through.
func TestEKSConcurrentDeployIsRefused(t *testing.T) {
	ns := harness.Namespace(t)
	stuck := eksApp(t, ns, "registry.local/web:never-ready", "")
	fixed := eksApp(t, ns, "registry.local/web:v2", "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", stuck)
	r := runShipitCmd(t, cmd, func(c *exec.Cmd, stderr *syncBuffer) {
		waitFor(t, 60*time.Second, func() bool { return strings.Contains(stderr.String(), "Progressing") })
		holder := kubectlOut(t, "-n", ns, "get", "lease", "shipit-web", "-o", "jsonpath={.spec.holderIdentity}")
		if want := fmt.Sprintf("shipit deploy, pid %d on ", c.Process.Pid); !strings.HasPrefix(holder, want) {
			t.Errorf("lease held by %q, want %q…", holder, want)
		}
		second := runShipit(t, "deploy", "--target", "eks", "-f", fixed)
		if second.code != 1 || !strings.Contains(second.stderr, "another "+holder+" holds the deploy lock of web in namespace "+ns) {
			t.Errorf("second deploy: exit %d, want 1 naming the first", second.code)
		}
		if img := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != "registry.local/web:never-ready" {
			t.Errorf("the refused deploy wrote: image %q", img)
		}
		if rb := runShipit(t, "rollback", "--target", "eks", "-f", fixed); rb.code != 1 || !strings.Contains(rb.stderr, "holds the deploy lock of web") {
			t.Errorf("rollback during the deploy: exit %d, want 1", rb.code)
		}
		// The status the refusal points to shows who holds the app.
		if st := runShipit(t, "status", "--target", "eks", "-f", fixed); st.code != 0 || !strings.Contains(st.stdout, "in progress: "+holder+" (lease shipit-web; since ") {
			t.Errorf("status during the deploy: exit %d, want the holder named", st.code)
		}
		if err := c.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	})
	if r.code != 130 {
		t.Fatalf("first deploy: exit %d, want 130", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "lease", "-o", "name"); got != "" {
		t.Errorf("lock left behind: %s", got)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", fixed); r.code != 0 {
		t.Fatalf("deploy after the first ended: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"); got != "3" {
		t.Errorf("ready %q, want 3", got)
	}
}

// TestEKSVolumesPrunedAndDestroyed: an EFS volume renders a cluster-wide PersistentVolume
// and a claim. Dropping the volume from the spec deletes both once the rollout succeeded;
// destroy deletes those of another volume; PVs of other apps are never touched.
func TestEKSVolumesPrunedAndDestroyed(t *testing.T) {
	ns := harness.Namespace(t)
	vol := func(name string) string {
		return "volumes: [{name: " + name + ", path: /" + name + ", efs: {fileSystem: fs-12345678}}]\n"
	}
	// Another app's volume in the same namespace: never shipit's to delete for web.
	other := rewrite(t, eksApp(t, ns, "registry.local/web:v1", vol("media")), "name: web", "name: other")
	// PersistentVolumes are cluster-wide: the namespace's deletion does not take them along.
	t.Cleanup(func() {
		harness.Kubectl(t, "delete", "pv", "--ignore-not-found", "--wait=false", ns+"-other-media", ns+"-web-media", ns+"-web-cache")
	})
	if r := runShipit(t, "deploy", "--target", "eks", "-f", other); r.code != 0 {
		t.Fatalf("other app: exit %d", r.code)
	}
	pvs := func() string {
		return kubectlOut(t, "get", "pv", "-l", "app.kubernetes.io/managed-by=shipit", "-o", "jsonpath={range .items[?(@.spec.claimRef.namespace==\""+ns+"\")]}{.metadata.name}{\" \"}{end}")
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", vol("media"))); r.code != 0 {
		t.Fatalf("with a volume: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "pvc", "-l", "app.kubernetes.io/name=web", "-o", "name"); got == "" {
		t.Fatal("no claim for web's volume")
	}
	if got := pvs(); got != ns+"-other-media "+ns+"-web-media" {
		t.Errorf("PVs: %q", got)
	}
	r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", vol("cache")))
	if r.code != 0 || !strings.Contains(r.stderr, "deleted what the spec no longer has: PersistentVolumeClaim/web-media, PersistentVolume/") {
		t.Fatalf("volume media → cache: exit %d, want media's claim and volume deleted", r.code)
	}
	// The old claim goes once the last pod using it has stopped (pvc-protection).
	waitFor(t, 60*time.Second, func() bool {
		return kubectlOut(t, "-n", ns, "get", "pvc", "-l", "app.kubernetes.io/name=web", "-o", "name") == "persistentvolumeclaim/web-cache"
	})
	r = runShipit(t, "destroy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", vol("cache")), "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "PersistentVolume/") {
		t.Fatalf("destroy: exit %d, want web's volume deleted", r.code)
	}
	// Claims and volumes go once the pods using them have stopped (pvc/pv-protection).
	waitFor(t, 60*time.Second, func() bool { return pvs() == ns+"-other-media" })
	if got := kubectlOut(t, "-n", ns, "get", "pvc", "-o", "name"); got != "persistentvolumeclaim/other-media" {
		t.Errorf("claims left: %q, want other's only", got)
	}
}

// TestEKSForcedTakeover: a deploy that takes the lock over with --force-conflicts replaces a
// stuck one. The stuck one then fails as "replaced" and must not roll back the deploy that
// replaced it, nor release the lock it no longer holds.
func TestEKSForcedTakeover(t *testing.T) {
	ns := harness.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	first := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:never-ready", ""))
	second := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "--force-conflicts", "-f", eksApp(t, ns, "registry.local/web:never-ready-2", ""))
	var secondErr syncBuffer
	second.Stderr = &secondErr
	second.Env = append(os.Environ(), "KUBECONFIG="+harness.Kubeconfig(t), "CI=true")
	r := runShipitCmd(t, first, func(c *exec.Cmd, stderr *syncBuffer) {
		waitFor(t, 60*time.Second, func() bool { return strings.Contains(stderr.String(), "Progressing") })
		if err := second.Start(); err != nil {
			t.Fatal(err)
		}
	})
	if r.code != 3 || !strings.Contains(r.stdout, "another deploy replaced this one") || strings.Contains(r.stderr, "rolling back") {
		t.Fatalf("the replaced deploy: exit %d, want 3 (replaced) without a rollback", r.code)
	}
	if img := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != "registry.local/web:never-ready-2" {
		t.Errorf("image %q: the replaced deploy undid the one that replaced it", img)
	}
	holder := kubectlOut(t, "-n", ns, "get", "lease", "shipit-web", "-o", "jsonpath={.spec.holderIdentity}")
	if want := fmt.Sprintf("shipit deploy, pid %d on ", second.Process.Pid); !strings.HasPrefix(holder, want) {
		t.Errorf("after the replaced deploy ended, the lock is held by %q, want %q…", holder, want)
	}
	if err := second.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := second.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("second deploy: %v, want exit 130\nstderr:\n%s", err, secondErr.String())
	}
	if got := kubectlOut(t, "-n", ns, "get", "lease", "-o", "name"); got != "" {
		t.Errorf("lock left behind: %s", got)
	}
}

// TestEKSDeployOutlivesItsReader: `shipit deploy | head -1` closes shipit's stdout early; the
// deploy still runs to its verdict and exit code, and releases its lock.
func TestEKSDeployOutlivesItsReader(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "")
	cmd := exec.Command(shipit(t), "deploy", "--target", "eks", "-f", spec, "-o", "json")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+harness.Kubeconfig(t), "CI=true")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := out.Read(first); err != nil {
		t.Fatal(err)
	}
	out.Close() // the reader goes away after the first byte
	if err := cmd.Wait(); err != nil {
		t.Fatalf("deploy with its reader gone: %v (want exit 0, not killed by SIGPIPE)\nstderr:\n%s", err, stderr.String())
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"); got != "3" {
		t.Errorf("ready %q, want 3", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "lease", "-o", "name"); got != "" {
		t.Errorf("lock left behind: %s", got)
	}
}

// TestEKSWatchSurvivesAPIServerRestart: the rollout is held (the only node is cordoned, so new
// pods stay Pending) while the API server restarts under the watch; once the node is back, the
// watch, re-established by itself, must still reach the right verdict.
func TestEKSWatchSurvivesAPIServerRestart(t *testing.T) {
	ns := harness.Namespace(t)
	node := kubectlOut(t, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
	kubectlOut(t, "cordon", node)
	t.Cleanup(func() { harness.Kubectl(t, "uncordon", node) })
	spec := eksApp(t, ns, "registry.local/web:v1", "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", spec)
	r := runShipitCmd(t, cmd, func(c *exec.Cmd, stderr *syncBuffer) {
		waitFor(t, 60*time.Second, func() bool { return strings.Contains(stderr.String(), "new pods: 3 Pending") })
		harness.RestartAPIServer(t)
		kubectlOut(t, "uncordon", node)
	})
	if r.code != 0 || !strings.Contains(r.stdout, "Succeeded") || !strings.Contains(r.stdout, "3/3 ready") {
		t.Fatalf("deploy across an API server restart: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"); got != "3" {
		t.Errorf("kubectl: ready %q", got)
	}
}

// TestEKSConflictsAreReported: a field another manager set is never taken over silently.
func TestEKSConflictsAreReported(t *testing.T) {
	ns := harness.Namespace(t)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", "")); r.code != 0 {
		t.Fatalf("deploy: exit %d", r.code)
	}
	kubectlOut(t, "-n", ns, "set", "image", "deploy/web", "web=registry.local/web:hotfix")
	spec := eksApp(t, ns, "registry.local/web:v2", "")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 1 || !strings.Contains(r.stderr, "kubectl-set") || !strings.Contains(r.stderr, "image") || !strings.Contains(r.stderr, "--force-conflicts") {
		t.Fatalf("conflicting deploy: exit %d, want 1 naming the field, the manager and --force-conflicts", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:hotfix" {
		t.Errorf("image after refused deploy: %q", got)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec, "--force-conflicts"); r.code != 0 {
		t.Fatalf("--force-conflicts: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v2" {
		t.Errorf("image after --force-conflicts: %q", got)
	}
}

// TestEKSMissingCRDWritesNothing: AWS secret references need the ExternalSecret CRD, which the
// sandbox lacks; the deploy must stop before writing anything.
func TestEKSMissingCRDWritesNothing(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "secrets: {DB_PASSWORD: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf'}\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 1 || !strings.Contains(r.stderr, "ExternalSecret") || !strings.Contains(r.stderr, "nothing was applied") {
		t.Fatalf("missing CRD: exit %d", r.code)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy,svc", "-o", "name"); got != "" {
		t.Errorf("written despite the missing CRD: %s", got)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An HPA and a PodDisruptionBudget renamed by eks.patches (as `shipit import` keeps web-hpa
// and web-pdb) are still the app's: status shows the budget, and dropping autoscale takes
// spec.replicas back from the renamed HPA and deletes it, as for one named like the app.
func TestEKSRenamedHPAAndBudget(t *testing.T) {
	ns := harness.Namespace(t)
	renamed := func(hpa bool) string {
		block := "eks:\n  namespace: " + ns + "\n  disruptionBudget: {maxUnavailable: 1}\n  patches:\n" +
			"    - {kind: PodDisruptionBudget, patch: {metadata: {name: web-pdb}}}\n"
		if hpa {
			block += "    - {kind: HorizontalPodAutoscaler, patch: {metadata: {name: web-hpa}}}\n"
		}
		return block
	}
	auto := rewrite(t, eksApp(t, ns, "registry.local/web:v1", "autoscale: {min: 2, max: 6, cpu: 70}\n"), "eks: {namespace: "+ns+"}\n", renamed(true))
	if r := runShipit(t, "deploy", "--target", "eks", "-f", auto); r.code != 0 {
		t.Fatalf("deploy with the renamed HPA and budget: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "hpa,pdb", "-o", "name"); got != "horizontalpodautoscaler.autoscaling/web-hpa\npoddisruptionbudget.policy/web-pdb" {
		t.Fatalf("live objects %q, want web-hpa and web-pdb", got)
	}
	if r := runShipit(t, "status", "--target", "eks", "-f", auto); r.code != 0 || !strings.Contains(r.stdout, "PodDisruptionBudget/web-pdb: maxUnavailable 1") {
		t.Errorf("status: exit %d, want web-pdb's budget:\n%s", r.code, r.stdout)
	}
	// The HPA scales (here kubectl, through the scale subresource as the HPA does).
	kubectlOut(t, "-n", ns, "scale", "deploy/web", "--replicas=5")

	fixed := rewrite(t, eksApp(t, ns, "registry.local/web:v1", ""), "eks: {namespace: "+ns+"}\n", renamed(false))
	r := runShipit(t, "deploy", "--target", "eks", "-f", fixed)
	if r.code != 0 || !strings.Contains(r.stderr, "deleted what the spec no longer has: HorizontalPodAutoscaler/web-hpa") {
		t.Fatalf("out of autoscaling: exit %d, want web-hpa deleted\n%s", r.code, r.stderr)
	}
	waitFor(t, 30*time.Second, func() bool {
		return kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.status.readyReplicas}") == "3 3"
	})
}

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// SIGTERM (what a CI runner sends on cancel) and SIGINT (Ctrl-C) sent to a real `shipit deploy`
// at each step that touches the cluster: the exit code is 130, the message names the signal
// and the step and says what was applied and how to check it, and what is live afterwards is
// whole (never half an apply, the lock released). The steps before anything is written
// (reading the spec, reading what is live, the SDK's retries) are in e2e/netfault.
func TestEKSDeploySignalsAtEachStep(t *testing.T) {
	signals := []struct {
		name string
		sig  os.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGINT", os.Interrupt}}
	for _, s := range signals {
		t.Run(s.name+"/apply", func(t *testing.T) {
			t.Parallel()
			ns := harness.Namespace(t)
			spec := eksApp(t, ns, "registry.local/web:never-ready", "")
			r := deployWithSignal(t, spec, s.sig, "applying ", "text")
			if r.code != 130 || !strings.Contains(r.stderr+r.stdout, "interrupted ("+s.name+")") || !strings.Contains(r.stderr, "shipit status --target eks") {
				t.Fatalf("exit %d, want 130 naming %s and how to check", r.code, s.name)
			}
			img, _ := harness.Kubectl(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
			switch {
			case strings.Contains(r.stderr, "interrupted before anything was written"):
				if strings.TrimSpace(img) != "" {
					t.Errorf("said nothing was written, but deployment web is live with %q", img)
				}
			case strings.Contains(r.stderr, "applied: ") && strings.Contains(r.stderr, "Deployment/web"):
				if strings.TrimSpace(img) != "registry.local/web:never-ready" {
					t.Errorf("said Deployment/web was applied, but its image is %q", img)
				}
			default:
				t.Errorf("neither 'nothing was written' nor the applied list in stderr")
			}
			noLock(t, ns)
		})
		for _, output := range []string{"text", "json"} {
			t.Run(s.name+"/watch/"+output, func(t *testing.T) {
				t.Parallel()
				ns := harness.Namespace(t)
				spec := eksApp(t, ns, "registry.local/web:never-ready", "")
				r := deployWithSignal(t, spec, s.sig, "new pods", output) // a progress line of the watch
				if r.code != 130 {
					t.Fatalf("exit %d, want 130", r.code)
				}
				want := "interrupted (" + s.name + ") while watching the rollout of deployment " + ns + "/web"
				if output == "json" {
					v := lastVerdict(t, r.stdout)
					if v.Phase != "Canceled" || !strings.Contains(v.Message, want) || !contains(v.Applied, "Deployment/web") {
						t.Errorf("verdict %+v, want Canceled, %q, Deployment/web applied", v, want)
					}
				} else if !strings.Contains(r.stdout, want) || !strings.Contains(r.stderr, "applied: ") || !strings.Contains(r.stderr, "check it with: shipit status --target eks") {
					t.Errorf("want %q, the applied list and how to check", want)
				}
				if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:never-ready" {
					t.Errorf("live image %q", got)
				}
				noLock(t, ns)
			})
		}
		t.Run(s.name+"/auto-rollback", func(t *testing.T) {
			t.Parallel()
			ns := harness.Namespace(t)
			if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:v1", "")); r.code != 0 {
				t.Fatalf("first deploy: exit %d", r.code)
			}
			bad := eksApp(t, ns, "registry.local/web:image-pull-backoff", "")
			r := deployWithSignal(t, bad, s.sig, "rolling back to revision", "text")
			if r.code != 130 || !strings.Contains(r.stdout, "interrupted ("+s.name+") while watching the automatic rollback to revision 1") {
				t.Fatalf("exit %d, want 130 naming %s and the automatic rollback", r.code, s.name)
			}
			// The rollback was written whole before the signal came: the template is v1's.
			if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v1" {
				t.Errorf("live image %q, want the rollback's registry.local/web:v1", got)
			}
			noLock(t, ns)
		})
	}
}

// deployWithSignal runs `shipit deploy` and sends sig once stderr (or stdout, where -o json
// puts progress) shows marker.
func deployWithSignal(t *testing.T, spec string, sig os.Signal, marker, output string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shipit(t), "deploy", "--target", "eks", "-f", spec, "-o", output)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "KUBECONFIG="+harness.Kubeconfig(t), "CI=true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, func() bool {
		return strings.Contains(stderr.String(), marker) || strings.Contains(stdout.String(), marker)
	})
	signaled := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), took: time.Since(signaled)}
	t.Logf("shipit deploy -o %s, %s after %q → exit %d, %s after the signal\nstdout:\n%s\nstderr:\n%s", output, sig, marker, r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
	// The first signal ends a watch at once; a write under way takes a moment more.
	if r.took > 10*time.Second {
		t.Errorf("ended %s after the signal", r.took)
	}
	return r
}

type verdict struct {
	Phase, Message string
	Applied        []string
}

// lastVerdict is the last JSON object of -o json output: the verdict.
func lastVerdict(t *testing.T, out string) verdict {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var v verdict
	for dec.More() {
		var x verdict
		if err := dec.Decode(&x); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		v = x
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func noLock(t *testing.T, ns string) {
	t.Helper()
	if got := kubectlOut(t, "-n", ns, "get", "lease", "-o", "name"); got != "" {
		t.Errorf("lock left behind: %s", got)
	}
}

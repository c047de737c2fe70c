//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// BenchmarkStartup is the binary's start-up time (`shipit version`).
func BenchmarkStartup(b *testing.B) {
	bin := shipit(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkEKSRolloutVsKubectl measures, in one run on the sandbox, an image-change rollout
// by `shipit deploy` against `kubectl apply` + `kubectl rollout status` of the same manifest,
// and reports the ratio (shipit/kubectl; below 1 means shipit is faster).
func BenchmarkEKSRolloutVsKubectl(b *testing.B) {
	bin := shipit(b)
	kc := harness.Kubeconfig(b)
	nsShipit, nsKubectl := harness.Namespace(b), harness.Namespace(b)
	dir := b.TempDir()
	spec := func(ns, tag string) string {
		p := filepath.Join(dir, ns+".yaml")
		src := fmt.Sprintf("version: 1\nname: web\nimage: registry.local/web:%s\nport: 80\nreplicas: 3\neks: {namespace: %s}\n", tag, ns)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	run := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kc, "CI=true")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return time.Since(t0)
	}
	var tShipit, tKubectl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("v%d", i)
		tShipit += run(bin, "deploy", "--target", "eks", "-f", spec(nsShipit, tag))
		manifest := filepath.Join(dir, "manifest.yaml")
		out, err := exec.Command(bin, "render", "--target", "eks", "-f", spec(nsKubectl, tag)).Output()
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(manifest, out, 0o644); err != nil {
			b.Fatal(err)
		}
		tKubectl += run("kubectl", "apply", "-f", manifest)
		tKubectl += run("kubectl", "-n", nsKubectl, "rollout", "status", "deployment/web", "--timeout=120s")
	}
	b.ReportMetric(tShipit.Seconds()/float64(b.N), "shipit-s/op")
	b.ReportMetric(tKubectl.Seconds()/float64(b.N), "kubectl-s/op")
	b.ReportMetric(tShipit.Seconds()/tKubectl.Seconds(), "shipit/kubectl")
}

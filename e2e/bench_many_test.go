//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// manyApps is how many apps BenchmarkEKSManyApps deploys at once (SHIPIT_BENCH_APPS changes it).
func manyApps(b *testing.B) int {
	if s := os.Getenv("SHIPIT_BENCH_APPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("SHIPIT_BENCH_APPS=%q: want a positive number", s)
		}
		return n
	}
	return 20
}

// BenchmarkEKSManyApps measures, in one run on the sandbox, an image-change rollout of 20 apps
// (2 replicas each, each in its own spec) three ways, each in a namespace of its own:
//
//	one:     one `shipit deploy -f DIR --max-parallel 20` (DIR holds the 20 specs)
//	kubectl: 20 parallel `kubectl apply -f` + `kubectl rollout status` (of the manifests
//	         `shipit render` writes, rendered before the clock starts)
//	procs:   20 parallel `shipit deploy -f SPEC` processes
//
// It reports, per op (one rollout of all 20 apps), the wall time (until the last app is done)
// and the CPU time of the child processes (user + system, from their rusage) of each, and the
// ratios to kubectl. The apps are created before the clock starts, so every op is an update.
func BenchmarkEKSManyApps(b *testing.B) {
	bin := shipit(b)
	kc := harness.Kubeconfig(b)
	n := manyApps(b)
	nsOne, nsKubectl, nsProcs := harness.Namespace(b), harness.Namespace(b), harness.Namespace(b)
	root := b.TempDir()
	app := func(i int) string { return fmt.Sprintf("app-%02d", i) }
	// specs writes the n specs of namespace ns for an image tag, each in DIR/<app>/shipit.yaml.
	specs := func(ns, tag string) (dir string, files []string) {
		dir = filepath.Join(root, ns+"-"+tag)
		for i := 0; i < n; i++ {
			p := filepath.Join(dir, app(i), "shipit.yaml")
			src := fmt.Sprintf("version: 1\nname: %s\nimage: registry.local/%s:%s\nport: 80\ncpu: 0.25\nmemory: 512Mi\nreplicas: 2\neks: {namespace: %s}\n", app(i), app(i), tag, ns)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
				b.Fatal(err)
			}
			files = append(files, p)
		}
		return dir, files
	}
	// run runs one process to its end and returns its CPU time (user + system).
	run := func(name string, args ...string) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kc, "CI=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	// parallel runs job(i) for every app at once; it returns the wall time and the CPU summed.
	parallel := func(job func(i int) time.Duration) (wall, cpu time.Duration) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := job(i)
				mu.Lock()
				cpu += c
				mu.Unlock()
			}()
		}
		wg.Wait()
		return time.Since(t0), cpu
	}
	// manifests renders the kubectl side's manifests for a tag (not timed).
	manifests := func(tag string) []string {
		_, files := specs(nsKubectl, tag)
		out := make([]string, n)
		for i, f := range files {
			y, err := exec.Command(bin, "render", "--target", "eks", "-f", f).Output()
			if err != nil {
				b.Fatal(err)
			}
			out[i] = filepath.Join(filepath.Dir(f), "manifest.yaml")
			if err := os.WriteFile(out[i], y, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		return out
	}
	parallelN := strconv.Itoa(n)
	deployOne := func(tag string) (time.Duration, time.Duration) {
		dir, _ := specs(nsOne, tag)
		t0 := time.Now()
		cpu := run(bin, "deploy", "--target", "eks", "-f", dir, "--max-parallel", parallelN)
		return time.Since(t0), cpu
	}
	deployKubectl := func(tag string) (time.Duration, time.Duration) {
		ms := manifests(tag)
		return parallel(func(i int) time.Duration {
			return run("kubectl", "apply", "-f", ms[i]) +
				run("kubectl", "-n", nsKubectl, "rollout", "status", "deployment/"+app(i), "--timeout=240s")
		})
	}
	deployProcs := func(tag string) (time.Duration, time.Duration) {
		_, files := specs(nsProcs, tag)
		return parallel(func(i int) time.Duration { return run(bin, "deploy", "--target", "eks", "-f", files[i]) })
	}

	// Every app exists and is ready before the clock starts.
	deployOne("v0")
	deployKubectl("v0")
	deployProcs("v0")

	var wOne, cOne, wKubectl, cKubectl, wProcs, cProcs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("v%d", i+1)
		w, c := deployOne(tag)
		wOne, cOne = wOne+w, cOne+c
		w, c = deployKubectl(tag)
		wKubectl, cKubectl = wKubectl+w, cKubectl+c
		w, c = deployProcs(tag)
		wProcs, cProcs = wProcs+w, cProcs+c
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(wOne), "one-s/op")
	b.ReportMetric(per(cOne), "one-cpu-s/op")
	b.ReportMetric(per(wKubectl), "kubectl-s/op")
	b.ReportMetric(per(cKubectl), "kubectl-cpu-s/op")
	b.ReportMetric(per(wProcs), "procs-s/op")
	b.ReportMetric(per(cProcs), "procs-cpu-s/op")
	b.ReportMetric(wOne.Seconds()/wKubectl.Seconds(), "one/kubectl")
	b.ReportMetric(wProcs.Seconds()/wKubectl.Seconds(), "procs/kubectl")
	b.ReportMetric(cOne.Seconds()/cProcs.Seconds(), "one-cpu/procs-cpu")
	b.ReportMetric(cOne.Seconds()/cKubectl.Seconds(), "one-cpu/kubectl-cpu")
}

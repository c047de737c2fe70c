package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RestartAPIServer stops the sandbox's kube-apiserver and starts it again on the same etcd
// data (e2e/sandbox/k8s.sh restart-apiserver): every client's connections drop meanwhile.
func RestartAPIServer(t testing.TB) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "e2e", "sandbox", "k8s.sh"), "restart-apiserver")
	cmd.Dir = root
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restart kube-apiserver: %v\n%s", err, out)
	}
}

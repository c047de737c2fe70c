package render

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const autoscaled = "../../../examples/worker/shipit.yaml" // renders scaling.json
const plain = "../../../examples/web-app/shipit.yaml"     // does not

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// --output-dir is replaced as one change: files of an earlier render that this one does not
// produce go (only shipit's own names), other files stay, and nothing temporary is left.
func TestOutputDirRemovesStaleFilesOnly(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if _, err := run(t, autoscaled, "", "ecs", dir, "text"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, dir), " "); got != "scaling.json service.json task-definition.json" {
		t.Fatalf("first render wrote %s", got)
	}
	for _, f := range []string{"notes.txt", "kubernetes.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := run(t, plain, "", "ecs", dir, "text"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, dir), " "); got != "kubernetes.yaml notes.txt service.json task-definition.json" {
		t.Errorf("after the second render: %s (want scaling.json gone, the other target's and the user's files kept)", got)
	}
	if got := names(t, parent); len(got) != 1 {
		t.Errorf("left next to the output: %v", got)
	}
}

// Symbolic links are never written through: not the output directory, not one of shipit's
// files in it; and nothing is written when refusing.
func TestOutputDirRefusesSymlinks(t *testing.T) {
	parent := t.TempDir()
	victim := filepath.Join(parent, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "service.json")); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, plain, "", "ecs", dir, "text")
	if err == nil || !strings.Contains(err.Error(), "service.json is not a regular file") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
	if got := strings.Join(names(t, dir), " "); got != "service.json" {
		t.Errorf("wrote %s despite refusing", got)
	}

	realDir := filepath.Join(parent, "real")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	linkDir := filepath.Join(parent, "link")
	if err := os.Symlink(realDir, linkDir); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, plain, "", "ecs", linkDir, "text")
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("err = %v", err)
	}
	if got := names(t, realDir); len(got) != 0 {
		t.Errorf("wrote through the linked directory: %v", got)
	}
}

// A render that cannot write leaves the earlier files as they were.
func TestOutputDirFailedWriteChangesNothing(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes into read-only directories; make the temporary directory impossible
		// instead: the parent is a file.
		parentFile := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(parentFile, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, plain, "", "ecs", filepath.Join(parentFile, "out"), "text"); err == nil {
			t.Fatal("no error writing under a file")
		}
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if _, err := run(t, autoscaled, "", "ecs", dir, "text"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "service.json"))
	// A directory where a file must go makes the rename fail after every file was written.
	if err := os.Remove(filepath.Join(dir, "task-definition.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "task-definition.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, plain, "", "ecs", dir, "text"); err == nil {
		t.Fatal("no error")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "service.json"))
	if string(before) != string(after) {
		t.Error("service.json changed although the render failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "scaling.json")); err != nil {
		t.Errorf("scaling.json of the earlier render is gone although the render failed: %v", err)
	}
}

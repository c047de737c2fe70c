package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: no input makes Parse panic, and whatever it accepts renders a hash and validates
// for both targets without panicking either. The seed corpus (examples and the error cases
// of the table tests) runs in every `go test`.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../../examples/*/shipit.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		f.Add(b, "staging")
	}
	for _, s := range []string{
		base, base + "replcas: 3\n", base + "autoscale: {min: 5, max: 2}\n", "version: 1\nname: [\n", "",
		base + "sidecars: [{name: log, image: x, cpu: 0.5, memory: 512Mi}]\n",
		base + "labels: &l {a: b}\nenv: *l\n", base + "environments: {staging: {replicas: 1}}\n",
		"- a\n- b\n", "version: 1\nname: x\nimage: y\ncpu: 1e308\nmemory: 1e308Gi\n",
		"version: 1\nname: x\nimage: ${X:-}\nport: ${P:-0}\n",
	} {
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		app, err := Parse("fuzz.yaml", data, Options{Environment: env, Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error of type %T, want spec.Errors: %v", err, err)
			}
			return
		}
		_ = app.Hash()
		app.Validate(TargetECS)
		app.Validate(TargetEKS)
		app.Warnings()
	})
}

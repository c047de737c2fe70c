package spec

import (
	"fmt"
	"strings"
	"testing"
)

// manyKeys is a spec with n env entries in one flow mapping.
func manyKeys(n int) []byte {
	var b strings.Builder
	b.WriteString(base + "env: {")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "K%d: 1", i)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// manyEnvironments is a spec with n environments.
func manyEnvironments(n int) []byte {
	var b strings.Builder
	b.WriteString(base + "environments:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  e%d: {replicas: 2}\n", i)
	}
	return []byte(b.String())
}

var benchKeys = 100_000 // the goal: well under a second

func noVars(string) (string, bool) { return "", false }

// BenchmarkLoadManyKeys: loading and validating is linear in the number of keys; the goal
// is 100,000 env entries in well under a second.
func BenchmarkLoadManyKeys(b *testing.B) {
	data := manyKeys(benchKeys)
	for b.Loop() {
		app, err := Parse("shipit.yaml", data, Options{Getenv: noVars})
		if err != nil {
			b.Fatal(err)
		}
		app.Validate(TargetECS)
		app.Validate(TargetEKS)
	}
}

// BenchmarkLoadEveryEnvironment: a spec with 2,000 environments is parsed once and loaded
// for each; the goal is well under a second.
func BenchmarkLoadEveryEnvironment(b *testing.B) {
	data := manyEnvironments(2000)
	for b.Loop() {
		doc, err := ParseDocument("shipit.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		for _, env := range doc.Environments() {
			if _, err := doc.Load(Options{Environment: env, Getenv: noVars}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

package spec

import (
	"fmt"
	"strings"
	"testing"
)

// A big env block decodes whole (every entry, the decoder's conversions kept) and in linear
// time; the timing goal itself is BenchmarkLoadManyKeys.
func TestManyKeysDecodeWhole(t *testing.T) {
	data := manyKeys(20_000)
	app, err := Parse("shipit.yaml", data, Options{Getenv: noVars})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Env) != 20_000 || app.Env["K0"] != "1" || app.Env["K19999"] != "1" {
		t.Errorf("env has %d entries, K0=%q K19999=%q", len(app.Env), app.Env["K0"], app.Env["K19999"])
	}
}

// One Document loads every environment, each with only its own overlay: loading one never
// changes what another gets.
func TestDocumentLoadsEveryEnvironmentAlone(t *testing.T) {
	var b strings.Builder
	b.WriteString(base + "env: {A: base}\nenvironments:\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "  e%d: {replicas: %d, env: {A: e%d, B%d: x}}\n", i, i+1, i, i)
	}
	doc, err := ParseDocument("shipit.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(doc.Environments()); got != 50 {
		t.Fatalf("%d environments", got)
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < 50; i++ {
			app, err := doc.Load(Options{Environment: fmt.Sprintf("e%d", i), Getenv: noVars})
			if err != nil {
				t.Fatal(err)
			}
			if *app.Replicas != i+1 || app.Env["A"] != fmt.Sprintf("e%d", i) || len(app.Env) != 2 {
				t.Errorf("e%d: replicas %d env %v", i, *app.Replicas, app.Env)
			}
		}
	}
	app, err := doc.Load(Options{Getenv: noVars})
	if err != nil {
		t.Fatal(err)
	}
	if app.Replicas != nil && *app.Replicas != 1 || len(app.Env) != 1 || app.Env["A"] != "base" {
		t.Errorf("base after loading every environment: replicas %v env %v", app.Replicas, app.Env)
	}
}

// Expansion output is capped: a few references to a big variable fail fast, at the value.
func TestExpansionIsCapped(t *testing.T) {
	big := strings.Repeat("v", 128<<10)
	getenv := func(k string) (string, bool) { return big, k == "BIG" }
	src := base + "env:\n  A: \"" + strings.Repeat("${BIG}", 3000) + "\"\n"
	_, err := Parse("shipit.yaml", []byte(src), Options{Getenv: getenv})
	if err == nil || !strings.Contains(err.Error(), "expanding ${…} makes the spec larger than 1 MiB") {
		t.Fatalf("got %v", err)
	}
	// Within the cap, a big variable expands.
	src = base + "env:\n  A: \"${BIG}${BIG}\"\n"
	app, err := Parse("shipit.yaml", []byte(src), Options{Getenv: getenv})
	if err != nil || len(app.Env["A"]) != 2*len(big) {
		t.Fatalf("got %v", err)
	}
}

package render

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// FuzzRender: whatever spec loads and validates for a target renders without panicking, and
// what it renders parses back (JSON for ECS, YAML for Kubernetes) with no negative number
// and no number that wrapped (a replica count, a size, a duration that overflowed the API's
// 32-bit fields). The seed corpus (examples, edge values and testdata/fuzz/FuzzRender) runs
// in every `go test`; `make fuzz` explores further.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("../../../examples/*/shipit.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const base = "version: 1\nname: web\nimage: nginx:1\nport: 80\necs: {region: us-east-1, executionRole: 'arn:aws:iam::123456789012:role/x', subnets: [subnet-1]}\n"
	for _, extra := range []string{
		"replicas: 0\n", "replicas: 1000\n",
		"autoscale: {min: 1, max: 100, cpu: 50}\n",
		"rollout: {timeout: 1h, maxSurge: 50%, maxUnavailable: 25%}\n",
		"health: {path: /healthz, interval: 30s, timeout: 5s, retries: 3}\n",
		"cpu: 4\nmemory: 16Gi\n", "cpu: 0.25\nmemory: 512Mi\n",
		"ports: [{name: http, port: 65535}]\n",
		"logs: {retention: 3653d}\n",
		// Scheduling: numbers the Deployment, the spread and the budget hold in 32 bits.
		"eks: {minReadySeconds: 2147483648, revisionHistoryLimit: 4294967296, disruptionBudget: {minAvailable: 4294967297}}\n",
		"eks: {topologySpread: [{maxSkew: 4294967297, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 2147483648}]}\n",
		"limits: {gpu: 1}\nstopCommand: [sleep, '5']\neks: {extendedResources: {aws.amazon.com/neuron: 9223372036854775807}, disruptionBudget: {maxUnavailable: 100%}}\n",
		"eks: {affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 4294967396, podAffinityTerm: {topologyKey: h}}]}}}\n",
		// Numbers that once wrapped when rendered (validation now refuses them).
		"replicas: 2147483648\n", "replicas: 4294967297\n",
		"autoscale: {min: 1, max: 4294967297, cpu: 50}\n",
		"health: {path: /healthz, interval: 5000000000s}\n",
		"health: {path: /healthz, interval: 1s, grace: 2147483647s}\n",
		"rollout: {timeout: 1000000h}\n",
		"requests: {cpu: 0, memory: 1Mi}\nlimits: {memory: 256Mi}\nstopGrace: 2147483647s\n",
		"init: [{name: m, image: x}]\nsidecars: [{name: s, image: y, cpu: 0.0625, memory: 64Mi, ports: [{port: 9}], health: {tcp: true, port: 9}}]\n",
	} {
		f.Add([]byte(base + extra))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := spec.ParseDocument("fuzz.yaml", data)
		if err != nil {
			return
		}
		app, err := doc.Load(spec.Options{Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			return
		}
		for _, tgt := range []target.Target{ecs.Target{}, eks.Target{}} {
			if errs, _ := app.Validate(tgt.Name()); len(errs) > 0 {
				continue
			}
			r, err := tgt.Render(app, target.RenderOptions{DefaultRegion: "us-east-1"})
			if _, limit := err.(spec.Errors); limit {
				continue // a limit only the render shows (ECS's 64 KiB), refused like validation
			}
			if err != nil {
				t.Fatalf("%s: a valid spec did not render: %v", tgt.Name(), err)
			}
			for _, file := range r.Files {
				var docs []any
				switch filepath.Ext(file.Name) {
				case ".json":
					var v any
					if err := json.Unmarshal(file.Data, &v); err != nil {
						t.Fatalf("%s: %s is not JSON: %v", tgt.Name(), file.Name, err)
					}
					docs = append(docs, v)
				default:
					for i, part := range splitYAML(file.Data) {
						var v any
						if err := yaml.Unmarshal(part, &v); err != nil {
							t.Fatalf("%s: document %d of %s is not YAML: %v", tgt.Name(), i, file.Name, err)
						}
						docs = append(docs, v)
					}
				}
				for _, d := range docs {
					if bad := badNumber(d, file.Name); bad != "" {
						t.Fatalf("%s: %s", tgt.Name(), bad)
					}
				}
			}
			if app.Replicas != nil && *app.Replicas > math.MaxInt32 {
				t.Fatalf("%s: replicas %d validated but does not fit the API's 32 bits", tgt.Name(), *app.Replicas)
			}
		}
	})
}

// splitYAML splits a multi-document YAML stream at its "---" lines.
func splitYAML(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i+4 <= len(b); i++ {
		if (i == 0 || b[i-1] == '\n') && string(b[i:i+4]) == "---\n" {
			if i > start {
				out = append(out, b[start:i])
			}
			start = i + 4
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

// badNumber returns the path of the first negative or out-of-range number in v, or "".
func badNumber(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if bad := badNumber(c, path+"."+k); bad != "" {
				return bad
			}
		}
	case []any:
		for i, c := range x {
			if bad := badNumber(c, fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return bad
			}
		}
	case float64:
		if x < 0 || x > math.MaxInt32 || math.IsNaN(x) {
			return fmt.Sprintf("%s = %v: negative, wrapped or out of the API's 32-bit range", path, x)
		}
	case int64:
		if x < 0 || x > math.MaxInt32 {
			return fmt.Sprintf("%s = %d: negative, wrapped or out of the API's 32-bit range", path, x)
		}
	}
	return ""
}

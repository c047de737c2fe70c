package realworld

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/shipit-dev/shipit/pkg/cmd/factory"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var update = flag.Bool("update", false, "rewrite the lost: list of every expect.yaml: drop what is reproduced now, add what is lost (reasons from the category table, else UNEXPLAINED)")

const corpus = "../../testdata/realworld"

// expect is an app's testdata/realworld/<app>/expect.yaml.
type expect struct {
	// Target is ecs or eks: what the original deploys to.
	Target string `yaml:"target"`
	// Files are the original files compared (ECS: task-definition.json and, when the source
	// has one, service.json; Kubernetes: any number of manifests).
	Files []string `yaml:"files"`
	// Containers maps an original container name to the rendered one, when the spec cannot
	// keep the original's (its main container is named after the app). The container's name
	// field is still compared, so the rename shows as a lost ....name.
	Containers map[string]string `yaml:"containers,omitempty"`
	// Replace substitutes text in the original's string values before comparing: template
	// placeholders (ecspresso's {{ must_env ... }}) that the spec writes as a plain value.
	Replace map[string]string `yaml:"replace,omitempty"`
	// Lost lists the field paths (or path prefixes) of the original that the render does not
	// reproduce, each with a one-line reason "category: detail".
	Lost map[string]string `yaml:"lost"`
}

const expectHeader = "# What the comparison test (pkg/realworld) expects of this app; see ../README.md.\n" +
	"# lost: the original's fields (paths or prefixes) that shipit.yaml cannot reproduce today.\n"

type appResult struct {
	name     string
	expect   expect
	lost     map[string]string // leaf path -> what differs
	orig     map[string]string // leaf path -> normalised original value
	got      map[string]string // leaf path -> normalised rendered value
	unlisted []string
	stale    []string
}

// TestRealWorld is the field-by-field comparison of every app in the corpus.
func TestRealWorld(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*", "expect.yaml"))
	if len(dirs) < 30 {
		t.Errorf("the corpus has %d apps with an expect.yaml, want at least 30", len(dirs))
	}
	var results []*appResult
	for _, ef := range dirs {
		dir := filepath.Dir(ef)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			r, err := compareApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r)
			if *update {
				if err := writeExpect(dir, r); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, p := range r.unlisted {
				t.Errorf("%s is not reproduced (%s) and not listed under lost: in expect.yaml", p, r.lost[p])
			}
			for _, p := range r.stale {
				t.Errorf("lost: %s is reproduced now, entirely or in part: remove or narrow it in expect.yaml (or run with -update)", p)
			}
			for p, why := range r.expect.Lost {
				if strings.HasPrefix(why, "UNEXPLAINED") || !strings.Contains(why, ":") {
					t.Errorf("lost: %s needs a reason \"category: detail\", has %q", p, why)
				}
			}
		})
	}
	summarise(t, results)
}

func summarise(t *testing.T, results []*appResult) {
	full, onlyNames := 0, 0
	byCategory := map[string][]string{}
	for _, r := range results {
		if len(r.expect.Lost) == 0 {
			full++
		}
		names := len(r.expect.Lost) > 0
		for _, why := range r.expect.Lost {
			names = names && strings.HasPrefix(why, "adoption of existing names:")
		}
		if names {
			onlyNames++
		}
		seen := map[string]bool{}
		for _, why := range r.expect.Lost {
			c, _, _ := strings.Cut(why, ":")
			if !seen[c] {
				seen[c] = true
				byCategory[c] = append(byCategory[c], r.name)
			}
		}
	}
	var cats []string
	for c := range byCategory {
		cats = append(cats, c)
	}
	sort.Slice(cats, func(i, j int) bool {
		if len(byCategory[cats[i]]) != len(byCategory[cats[j]]) {
			return len(byCategory[cats[i]]) > len(byCategory[cats[j]])
		}
		return cats[i] < cats[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "fully expressible: %d of %d\n", full, len(results))
	fmt.Fprintf(&b, "expressible but for adopting existing names (log group, selector, container names): %d more\n", onlyNames)
	for _, c := range cats {
		fmt.Fprintf(&b, "  %2d apps lose %s\n", len(byCategory[c]), c)
	}
	t.Log("\n" + b.String())
}

// compareApp loads, validates and renders the app's spec, and compares it with the original.
func compareApp(dir string) (*appResult, error) {
	r, err := loadExpect(dir)
	if err != nil {
		return nil, err
	}
	rendered, err := render(filepath.Join(dir, "shipit.yaml"), r.expect.Target)
	if err != nil {
		return nil, err
	}
	originals, err := readOriginals(dir, &r.expect)
	if err != nil {
		return nil, err
	}
	compareRendered(r, originals, rendered)
	return r, nil
}

// loadExpect reads the app's expect.yaml.
func loadExpect(dir string) (*appResult, error) {
	r := &appResult{name: filepath.Base(dir)}
	b, err := os.ReadFile(filepath.Join(dir, "expect.yaml"))
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r.expect); err != nil {
		return nil, fmt.Errorf("expect.yaml: %w", err)
	}
	e := &r.expect
	if e.Target != spec.TargetECS && e.Target != spec.TargetEKS {
		return nil, fmt.Errorf("expect.yaml: target %q, want ecs or eks", e.Target)
	}
	if len(e.Files) == 0 {
		return nil, errors.New("expect.yaml: no files")
	}
	return r, nil
}

// originals are the app's original documents: ECS's task definition and service by role,
// Kubernetes' objects in file order.
type originals struct {
	ecs map[string]any
	k8s []map[string]any
}

func readOriginals(dir string, e *expect) (originals, error) {
	if e.Target == spec.TargetECS {
		m, err := originalECS(dir, e.Files)
		return originals{ecs: m}, err
	}
	docs, err := readManifests(dir, e.Files)
	return originals{k8s: docs}, err
}

// compareRendered compares a render (of the app's spec, or of an imported one) with the
// originals, field by field, filling r's orig, got, lost, unlisted and stale.
func compareRendered(r *appResult, o originals, rendered map[string]any) {
	e := &r.expect
	var orig, rend map[string]any
	if e.Target == spec.TargetECS {
		orig = o.ecs
		rend = map[string]any{}
		for name, doc := range rendered {
			rend[strings.TrimSuffix(name, ".json")] = doc
		}
		rend = map[string]any{"taskDefinition": rend["task-definition"], "service": rend["service"], "scaling": rend["scaling"]}
	} else {
		orig, rend = pairManifests(o.k8s, rendered["kubernetes.yaml"].([]map[string]any))
	}
	f := &flattener{target: e.Target, containers: e.Containers, replace: e.Replace}
	r.orig = map[string]string{}
	f.flatten(orig, "", r.orig, true)
	got := map[string]string{}
	f2 := &flattener{target: e.Target}
	f2.flatten(rend, "", got, false)
	r.got = got

	r.lost = map[string]string{}
	for p, want := range r.orig {
		g, ok := got[p]
		if ok && equal(p, want, g) {
			continue
		}
		if !ok && isDefault(e.Target, p, want, r.orig) {
			continue
		}
		if ok {
			r.lost[p] = fmt.Sprintf("original %s, rendered %s", want, g)
		} else {
			r.lost[p] = fmt.Sprintf("original %s, not rendered", want)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(r.lost)) {
		if covering(p, e.Lost) == "" {
			r.unlisted = append(r.unlisted, p)
		}
	}
	// A listed prefix must be lost entirely: when part of it is reproduced now, the list
	// narrows (-update does it), so that the lists track the spec field by field.
	for _, l := range slices.Sorted(maps.Keys(e.Lost)) {
		var kept []string
		for _, p := range slices.Sorted(maps.Keys(r.orig)) {
			if _, isLost := r.lost[p]; under(p, l) && !isLost {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			r.stale = append(r.stale, l+" ("+strings.Join(kept, ", ")+")")
		}
	}
}

// render is `shipit render`: the same loader, validation and target Render.
func render(file, tgt string) (map[string]any, error) {
	app, err := spec.Load(file, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, err
	}
	return renderApp(app, file, tgt)
}

// renderApp validates a loaded spec for the target and renders it, decoding the files.
func renderApp(app *spec.App, file, tgt string) (map[string]any, error) {
	t, err := factory.Targets().Lookup(tgt)
	if err != nil {
		return nil, err
	}
	if errs, _ := app.Validate(t.Name()); len(errs) > 0 {
		return nil, fmt.Errorf("%s does not validate for %s: %v", file, tgt, errs)
	}
	out, err := t.Render(app, target.RenderOptions{DefaultRegion: "us-east-1"})
	if err != nil {
		return nil, err
	}
	docs := map[string]any{}
	for _, f := range out.Files {
		if strings.HasSuffix(f.Name, ".json") {
			var v any
			if err := json.Unmarshal(f.Data, &v); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			docs[f.Name] = v
			continue
		}
		ds, err := decodeDocs(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		docs[f.Name] = ds
	}
	if tgt == spec.TargetEKS && docs["kubernetes.yaml"] == nil {
		return nil, errors.New("the EKS render has no kubernetes.yaml")
	}
	return docs, nil
}

// originalECS reads the original task definition (a register-task-definition input, or a
// describe-task-definition output with its taskDefinition wrapper) and service.
func originalECS(dir string, files []string) (map[string]any, error) {
	out := map[string]any{}
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		switch {
		case strings.Contains(name, "task"):
			if td, ok := v["taskDefinition"].(map[string]any); ok && v["containerDefinitions"] == nil {
				v = td
			}
			out["taskDefinition"] = v
		case strings.Contains(name, "service"):
			if s, ok := v["service"].(map[string]any); ok && v["desiredCount"] == nil {
				v = s
			}
			out["service"] = v
		default:
			return nil, fmt.Errorf("%s: name an ECS original task-definition*.json or service*.json", name)
		}
	}
	return out, nil
}

func decodeDocs(b []byte) ([]map[string]any, error) {
	d := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []map[string]any
	for {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
}

// readManifests reads the original Kubernetes files, every document in order.
func readManifests(dir string, files []string) ([]map[string]any, error) {
	var originals []map[string]any
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ds, err := decodeDocs(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		originals = append(originals, ds...)
	}
	return originals, nil
}

// pairManifests keys every original object by kind (kind[name] when the original has several
// of a kind) and pairs it with the rendered object of the same kind and name, else the only
// rendered object of that kind. Named targetPorts are resolved to numbers on both sides.
func pairManifests(originals, rendered []map[string]any) (map[string]any, map[string]any) {
	resolvePorts(originals)
	resolvePorts(rendered)
	kinds := map[string]int{}
	for _, o := range originals {
		kinds[str(o["kind"])]++
	}
	orig, rend := map[string]any{}, map[string]any{}
	for _, o := range originals {
		kind, name := str(o["kind"]), str(dig(o, "metadata", "name"))
		key := kind
		if kinds[kind] > 1 {
			key = kind + "[" + name + "]"
		}
		normaliseHPA(o)
		orig[key] = o
		var match, only map[string]any
		n := 0
		for _, r := range rendered {
			if str(r["kind"]) != kind {
				continue
			}
			n++
			only = r
			if str(dig(r, "metadata", "name")) == name {
				match = r
			}
		}
		if match == nil && n == 1 && kinds[kind] == 1 {
			match = only
		}
		if match != nil {
			rend[key] = match
		}
	}
	return orig, rend
}

// resolvePorts turns a Service's named targetPort into the container port of that name.
func resolvePorts(docs []map[string]any) {
	named := map[string]any{}
	for _, d := range docs {
		for _, c := range list(dig(d, "spec", "template", "spec", "containers")) {
			for _, p := range list(dig(c, "ports")) {
				if n := str(dig(p, "name")); n != "" {
					named[n] = dig(p, "containerPort")
				}
			}
		}
	}
	for _, d := range docs {
		if str(d["kind"]) != "Service" {
			continue
		}
		for _, p := range list(dig(d, "spec", "ports")) {
			pm := p.(map[string]any)
			if s, ok := pm["targetPort"].(string); ok {
				if _, err := strconv.Atoi(s); err != nil && named[s] != nil {
					pm["targetPort"] = named[s]
				}
			}
		}
	}
}

// normaliseHPA writes an autoscaling/v1 CPU target as the v2 metric it is.
func normaliseHPA(o map[string]any) {
	s, _ := o["spec"].(map[string]any)
	if str(o["kind"]) != "HorizontalPodAutoscaler" || s == nil || s["targetCPUUtilizationPercentage"] == nil {
		return
	}
	s["metrics"] = []any{map[string]any{"type": "Resource", "resource": map[string]any{
		"name": "cpu", "target": map[string]any{"type": "Utilization", "averageUtilization": s["targetCPUUtilizationPercentage"]}}}}
	delete(s, "targetCPUUtilizationPercentage")
}

type flattener struct {
	target     string
	containers map[string]string
	replace    map[string]string
}

// ignored are bookkeeping fields that describe no behaviour (read-only fields of a
// describe-task-definition output, API versions, comments-as-data).
var ignored = map[string]bool{
	"apiVersion": true, "kind": true, "status": true,
	"taskDefinition.taskDefinitionArn": true, "taskDefinition.revision": true, "taskDefinition.status": true,
	"taskDefinition.requiresAttributes": true, "taskDefinition.compatibilities": true,
	"taskDefinition.registeredAt": true, "taskDefinition.registeredBy": true,
}

// orderedLists are the scalar lists whose order is meaning (argv); other scalar lists are sets.
var orderedLists = map[string]bool{
	"command": true, "args": true, "entryPoint": true,
}

// flatten writes every leaf of v under path into out as a normalised string. Lists of objects
// are keyed (containers by name, ports by number...) so that order does not matter.
func (f *flattener) flatten(v any, path string, out map[string]string, original bool) {
	last := path
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && path[i] == '.' {
		last = path[i+1:]
	}
	if ignored[last] || ignored[path] || ignored[wild(path)] {
		return
	}
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			f.flatten(c, p, out, original)
		}
	case []any:
		if len(x) == 0 {
			return
		}
		if _, isObj := x[0].(map[string]any); !isObj {
			var items []string
			for _, it := range x {
				items = append(items, f.scalar(it, original))
			}
			items = commandForm(path, items)
			if !orderedLists[last] && !strings.HasSuffix(path, "healthCheck.command") && !strings.HasSuffix(path, "exec.command") {
				sort.Strings(items)
			}
			b, _ := json.Marshal(items)
			out[path] = string(b)
			return
		}
		for i, it := range x {
			m, _ := it.(map[string]any)
			key := listKey(last, m)
			if key == "" {
				key = strconv.Itoa(i)
			}
			if original && (last == "containers" || last == "initContainers" || last == "containerDefinitions") {
				if to, ok := f.containers[key]; ok {
					key = to
				}
			}
			f.flatten(it, path+"["+key+"]", out, original)
		}
	default:
		out[path] = f.scalar(x, original)
	}
}

func (f *flattener) scalar(v any, original bool) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		s = fmt.Sprint(x)
	}
	if original {
		for _, from := range slices.Sorted(maps.Keys(f.replace)) {
			s = strings.ReplaceAll(s, from, f.replace[from])
		}
	}
	return s
}

// commandForm writes an ECS health check's CMD-SHELL as the CMD it runs.
func commandForm(path string, items []string) []string {
	if strings.HasSuffix(path, "healthCheck.command") && len(items) == 2 && items[0] == "CMD-SHELL" {
		return []string{"CMD", "/bin/sh", "-c", items[1]}
	}
	return items
}

// listKey is what identifies an element of a list of objects, by the list's field name.
func listKey(field string, m map[string]any) string {
	get := func(k ...string) string {
		var v any = m
		for _, p := range k {
			v = dig(v, p)
		}
		if v == nil {
			return ""
		}
		return (&flattener{}).scalar(v, false)
	}
	switch field {
	case "ports":
		if k := get("containerPort"); k != "" {
			return k
		}
		return get("port")
	case "portMappings":
		return get("containerPort")
	case "volumeMounts":
		return get("mountPath")
	case "mountPoints":
		return get("containerPath")
	case "dependsOn":
		return get("containerName")
	case "volumesFrom":
		return get("sourceContainer")
	case "tolerations", "tags":
		return get("key")
	case "capacityProviderStrategy":
		return get("capacityProvider")
	case "serviceRegistries":
		return get("registryArn")
	case "loadBalancers":
		return get("containerName") + ":" + get("containerPort")
	case "envFrom":
		if k := get("configMapRef", "name"); k != "" {
			return "configMap:" + k
		}
		return "secret:" + get("secretRef", "name")
	case "metrics":
		if k := get("resource", "name"); k != "" {
			return k
		}
		return get("type")
	case "items":
		return get("key")
	}
	return get("name")
}

// equal compares two normalised values at a path: quantities by amount, Fargate sizes in
// their unit forms, everything else as text.
func equal(path, want, got string) bool {
	if want == got {
		return true
	}
	if strings.Contains(path, "resources.") || strings.HasSuffix(path, ".storage") {
		a, err1 := resource.ParseQuantity(want)
		b, err2 := resource.ParseQuantity(got)
		return err1 == nil && err2 == nil && a.Cmp(b) == 0
	}
	if strings.HasSuffix(path, ".maxSurge") || strings.HasSuffix(path, ".maxUnavailable") {
		return strings.TrimSuffix(want, "%") == "0" && strings.TrimSuffix(got, "%") == "0"
	}
	switch path {
	case "taskDefinition.cpu":
		return fargateUnits(want, "vcpu", 1024) == got
	case "taskDefinition.memory":
		return fargateUnits(want, "gb", 1024) == got
	}
	return false
}

func fargateUnits(s, unit string, per float64) string {
	l := strings.ToLower(strings.TrimSpace(s))
	if n, ok := strings.CutSuffix(l, unit); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err == nil {
			return strconv.FormatFloat(f*per, 'f', -1, 64)
		}
	}
	return s
}

// defaults are values the platform applies when a field is unset: an original that spells
// them out is reproduced by a render that leaves them out. Paths use [] for any list key.
var defaults = map[string]map[string]string{
	spec.TargetECS: {
		"taskDefinition.containerDefinitions[].essential":                                "true",
		"taskDefinition.containerDefinitions[].cpu":                                      "0",
		"taskDefinition.containerDefinitions[].portMappings[].protocol":                  "tcp",
		"taskDefinition.containerDefinitions[].mountPoints[].readOnly":                   "false",
		"taskDefinition.volumes[].efsVolumeConfiguration.rootDirectory":                  "/",
		"taskDefinition.volumes[].efsVolumeConfiguration.transitEncryption":              "DISABLED",
		"taskDefinition.volumes[].efsVolumeConfiguration.authorizationConfig.iam":        "DISABLED",
		"taskDefinition.containerDefinitions[].healthCheck.interval":                     "30",
		"taskDefinition.containerDefinitions[].healthCheck.timeout":                      "5",
		"taskDefinition.containerDefinitions[].healthCheck.retries":                      "3",
		"taskDefinition.containerDefinitions[].healthCheck.startPeriod":                  "0",
		"service.schedulingStrategy":                                                     "REPLICA",
		"service.deploymentConfiguration.maximumPercent":                                 "200",
		"service.deploymentConfiguration.minimumHealthyPercent":                          "100",
		"service.deploymentController.type":                                              "ECS",
		"service.networkConfiguration.awsvpcConfiguration.assignPublicIp":                "DISABLED",
		"service.platformVersion":                                                        "LATEST",
		"service.enableExecuteCommand":                                                   "false",
		"service.desiredCount":                                                           "1",
		"service.propagateTags":                                                          "NONE",
		"service.enableECSManagedTags":                                                   "false",
		"service.healthCheckGracePeriodSeconds":                                          "0",
		"service.deploymentConfiguration.bakeTimeInMinutes":                              "0",
		"service.deploymentConfiguration.strategy":                                       "ROLLING",
		"service.deploymentConfiguration.alarms.enable":                                  "false",
		"service.deploymentConfiguration.alarms.rollback":                                "false",
		"service.availabilityZoneRebalancing":                                            "ENABLED",
		"service.platformFamily":                                                         "Linux",
		"service.resourceManagementType":                                                 "CUSTOMER",
		"service.deploymentConfiguration.deploymentCircuitBreaker.enable":                "false",
		"service.deploymentConfiguration.deploymentCircuitBreaker.rollback":              "false",
		"taskDefinition.containerDefinitions[].firelensConfiguration.options.enable-ecs": "true",
	},
	spec.TargetEKS: {
		"Deployment.spec.replicas":                                                      "1",
		"Deployment.spec.revisionHistoryLimit":                                          "10",
		"Deployment.spec.progressDeadlineSeconds":                                       "600",
		"Deployment.spec.minReadySeconds":                                               "0",
		"Deployment.spec.strategy.type":                                                 "RollingUpdate",
		"Deployment.spec.template.spec.restartPolicy":                                   "Always",
		"Deployment.spec.template.spec.dnsPolicy":                                       "ClusterFirst",
		"Deployment.spec.template.spec.schedulerName":                                   "default-scheduler",
		"Deployment.spec.template.spec.terminationGracePeriodSeconds":                   "30",
		"Deployment.spec.template.spec.containers[].ports[].protocol":                   "TCP",
		"Deployment.spec.template.spec.containers[].terminationMessagePath":             "/dev/termination-log",
		"Deployment.spec.template.spec.containers[].terminationMessagePolicy":           "File",
		"Deployment.spec.template.spec.containers[].readinessProbe.periodSeconds":       "10",
		"Deployment.spec.template.spec.containers[].readinessProbe.timeoutSeconds":      "1",
		"Deployment.spec.template.spec.containers[].readinessProbe.successThreshold":    "1",
		"Deployment.spec.template.spec.containers[].readinessProbe.failureThreshold":    "3",
		"Deployment.spec.template.spec.containers[].readinessProbe.initialDelaySeconds": "0",
		"Deployment.spec.template.spec.containers[].readinessProbe.httpGet.scheme":      "HTTP",
		"Deployment.spec.template.spec.containers[].livenessProbe.periodSeconds":        "10",
		"Deployment.spec.template.spec.containers[].livenessProbe.timeoutSeconds":       "1",
		"Deployment.spec.template.spec.containers[].livenessProbe.successThreshold":     "1",
		"Deployment.spec.template.spec.containers[].livenessProbe.failureThreshold":     "3",
		"Deployment.spec.template.spec.containers[].livenessProbe.initialDelaySeconds":  "0",
		"Deployment.spec.template.spec.containers[].livenessProbe.httpGet.scheme":       "HTTP",
		"Deployment.spec.template.spec.containers[].securityContext.privileged":         "false",
		"Deployment.spec.template.spec.containers[].volumeMounts[].readOnly":            "false",
		"Service.spec.type":                                                                 "ClusterIP",
		"Service.spec.sessionAffinity":                                                      "None",
		"Service.spec.ports[].protocol":                                                     "TCP",
		"HorizontalPodAutoscaler.spec.minReplicas":                                          "1",
		"ServiceAccount.automountServiceAccountToken":                                       "true",
		"Deployment.spec.template.spec.automountServiceAccountToken":                        "true",
		"Deployment.spec.template.spec.containers[].readinessProbe.grpc.service":            "",
		"Deployment.spec.template.spec.containers[].livenessProbe.grpc.service":             "",
		"Deployment.spec.template.spec.initContainers[].terminationMessagePolicy":           "File",
		"Deployment.spec.template.spec.initContainers[].terminationMessagePath":             "/dev/termination-log",
		"Deployment.spec.template.spec.initContainers[].securityContext.privileged":         "false",
		"Deployment.spec.template.spec.containers[].startupProbe.successThreshold":          "1",
		"Deployment.spec.template.spec.containers[].startupProbe.initialDelaySeconds":       "0",
		"Deployment.spec.template.spec.securityContext.runAsNonRoot":                        "false",
		"Deployment.spec.template.spec.containers[].securityContext.runAsNonRoot":           "false",
		"Deployment.spec.template.spec.containers[].securityContext.readOnlyRootFilesystem": "false",
	},
}

// isDefault reports whether an unrendered original value is what the platform uses anyway.
func isDefault(tgt, path, want string, orig map[string]string) bool {
	w := wild(path)
	// Kubernetes objects of a kind that the original has several of: Service[x] -> Service.
	if i := strings.Index(w, "["); i > 0 && !strings.Contains(w[:i], ".") {
		w = w[:i] + strings.TrimPrefix(w[i:], "[]")
	}
	if d, ok := defaults[tgt][w]; ok && d == want {
		return true
	}
	if tgt == spec.TargetECS && want == "" {
		return true // ECS reads an empty string (ipcMode: "", versionConsistency: "") as unset
	}
	switch {
	case strings.HasSuffix(w, "portMappings[].hostPort"):
		// awsvpc: the host port is the container port.
		return orig[strings.TrimSuffix(path, "hostPort")+"containerPort"] == want
	case strings.HasSuffix(w, ".ports[].targetPort") && strings.HasPrefix(w, "Service"):
		return orig[strings.TrimSuffix(path, "targetPort")+"port"] == want
	case strings.HasSuffix(w, "containers[].imagePullPolicy"):
		img := orig[strings.TrimSuffix(path, "imagePullPolicy")+"image"]
		latest := !strings.Contains(img[strings.LastIndex(img, "/")+1:], ":") || strings.HasSuffix(img, ":latest")
		return (latest && want == "Always") || (!latest && want == "IfNotPresent")
	}
	return false
}

// wild replaces every list key in a path by [].
func wild(path string) string {
	var b strings.Builder
	depth := 0
	for _, r := range path {
		switch {
		case r == '[':
			depth++
			if depth == 1 {
				b.WriteString("[]")
			}
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// under reports whether path is prefix or lies below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

func covering(path string, lost map[string]string) string {
	for l := range lost {
		if under(path, l) {
			return l
		}
	}
	return ""
}

// writeExpect rewrites expect.yaml's lost: list (with -update) from what is lost now: each lost
// leaf under the widest prefix whose original leaves are all lost. A new entry keeps the reason
// of the old entry it lies under (or that lies under it), else gets the category table's.
func writeExpect(dir string, r *appResult) error {
	lost := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(r.lost)) {
		prefix := widest(p, r)
		if _, ok := lost[prefix]; ok {
			continue
		}
		// Keep a reason written for this path, or for a path above or below it when it is
		// of the same category (or the table has none for the path).
		why := reasonFor(prefix)
		cat, _, _ := strings.Cut(why, ":")
		if old, ok := r.expect.Lost[prefix]; ok {
			why = old
		} else {
			for _, l := range slices.Sorted(maps.Keys(r.expect.Lost)) {
				old := r.expect.Lost[l]
				oldCat, _, _ := strings.Cut(old, ":")
				if (under(prefix, l) || under(l, prefix)) && (oldCat == cat || cat == "UNEXPLAINED") {
					why = old
					break
				}
			}
		}
		if strings.HasPrefix(why, "UNEXPLAINED") {
			why = reasonFor(prefix)
		}
		lost[prefix] = why
	}
	r.expect.Lost = lost
	var buf bytes.Buffer
	buf.WriteString(expectHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(r.expect); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "expect.yaml"), buf.Bytes(), 0o644)
}

// widest climbs from a lost leaf to the widest ancestor whose original leaves are all lost
// and all of the leaf's category, so that one entry never hides a loss of another kind. An
// object the render lacks altogether is one entry.
func widest(p string, r *appResult) string {
	root := p
	if i := strings.IndexAny(p, ".["); i > 0 {
		root = p[:i]
		if strings.HasPrefix(p[i:], "[") {
			root = p[:strings.Index(p, "]")+1]
		}
	}
	rendered := false
	for q := range r.got {
		if under(q, root) {
			rendered = true
			break
		}
	}
	if !rendered {
		return root
	}
	category := func(q string) string { c, _, _ := strings.Cut(reasonFor(q), ":"); return c }
	want := category(p)
	best := p
	for cur := parent(p); cur != "" && cur != root; cur = parent(cur) {
		all := true
		for q := range r.orig {
			if under(q, cur) {
				if _, ok := r.lost[q]; !ok || category(q) != want {
					all = false
					break
				}
			}
		}
		if !all {
			break
		}
		best = cur
	}
	return best
}

func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// reasons are the categories of loss, by path pattern ([] for any list key), tried in order.
var categories = []struct{ pattern, why string }{
	{"logConfiguration.options.awslogs-", "logging: awslogs options other than ecs.logOptions says (group, region and prefix are ecs.logGroup / ecs.region / ecs.logStreamPrefix)"},
	{"logConfiguration.secretOptions", "logging: secretOptions other than ecs.logDriver.secretOptions says (the router's own awslogs takes none)"},
	{"logConfiguration", "logging: a log configuration other than ecs.logDriver says (one driver for every container but the FireLens router)"},
	{"firelensConfiguration", "logging: a firelensConfiguration other than a sidecar's firelens says"},
	{"memoryReservation", "per-container resources: soft memory (memoryReservation)"},
	{"containerDefinitions[].cpu", "per-container resources: a container cpu other than requests.cpu (or a sidecar's cpu) says"},
	{"containerDefinitions[].memory", "per-container resources: a sidecar's hard memory, or an app container memory other than limits.memory says"},
	{"ephemeral-storage", "per-container resources: ephemeral-storage requests and limits"},
	{".resources.", "per-container resources: requests or limits other than requests / cpu / memory say"},
	{"securityContext", "security context: fields neither security nor eks.podSecurity says"},
	{"containerDefinitions[].user", "security context: user, group, non-root, read-only root, capabilities"},
	{"readonlyRootFilesystem", "security context: user, group, non-root, read-only root, capabilities"},
	{"linuxParameters", "security context: user, group, non-root, read-only root, capabilities"},
	{"volumeMounts", "volumes: emptyDir/bind, Secret/ConfigMap files, mounts into sidecars"},
	{"mountPoints", "volumes: emptyDir/bind, Secret/ConfigMap files, mounts into sidecars"},
	{"volumesFrom", "volumes: emptyDir/bind, Secret/ConfigMap files, mounts into sidecars"},
	{"efsVolumeConfiguration", "volumes: EFS settings other than efs: says (fileSystem, accessPoint, transitEncryption)"},
	{"volumes", "volumes: emptyDir/bind, Secret/ConfigMap files, mounts into sidecars"},
	{"Probe", "probes: separate readiness/liveness/startup, delays, thresholds, headers, tcp/grpc"},
	{"healthCheck", "probes: a container health check other than health (the app's) or a sidecar's health says"},
	{"initContainers", "sidecars and init containers: init container fields init: does not say"},
	{"dependsOn", "sidecars and init containers: a start order other than init:, dependsOn and sidecars[].dependsOn say"},
	{"selector", "adoption of existing names: a selector other than eks.selector says"},
	{"annotations", "annotations: pod and Service annotations"},
	{"labels.app.kubernetes.io/", "annotations: labels shipit cannot place (objects other than the pod)"},
	{"labels", "annotations: labels shipit cannot place (objects other than the pod)"},
	{"networkMode", "not Fargate: EC2 launch type or host/bridge network mode"},
	{"requiresCompatibilities", "not Fargate: EC2 launch type or host/bridge network mode"},
	{"launchType", "not Fargate: EC2 launch type or host/bridge network mode"},
	{"schedulingStrategy", "not Fargate: EC2 launch type or host/bridge network mode"},
	{"placement", "not Fargate: EC2 launch type or host/bridge network mode"},
	{"ulimits", "ECS specifics: ulimits other than ecs.ulimits (the app container) and sidecars[].ecs.ulimits say"},
	{"runtimePlatform", "ECS specifics: a runtimePlatform other than ecs.architecture says"},
	{"enableExecuteCommand", "ECS specifics: ECS Exec other than ecs.exec says"},
	{"deploymentCircuitBreaker", "rollout: a circuit breaker other than ecs.circuitBreaker and rollout.autoRollback say"},
	{"ephemeralStorage", "ECS specifics: an ephemeral storage size other than ecs.ephemeralStorage says"},
	{"proxyConfiguration", "ECS specifics: an App Mesh proxy configuration other than ecs.proxy says"},
	{"dockerLabels", "ECS specifics: a sidecar's docker labels (ecs.dockerLabels are the app container's)"},
	{"deploymentConfiguration.alarms", "ECS specifics: deployment alarms"},
	{"enableECSManagedTags", "ECS specifics: managed tags other than ecs.managedTags says"},
	{"propagateTags", "ECS specifics: tag propagation other than ecs.propagateTags says"},
	{"assignPublicIp", "ECS specifics: public IP"},
	{"entryPoint", "sidecars and init containers: start order, init containers, sidecar ports/env/secrets"},
	{"Service[]", "service shape: a second Service"},
	{"Service.spec", "service shape: NodePort, a fixed nodePort, a Service port name other than the container port's"},
	{"containerDefinitions[].secrets", "secrets: a secret reference not rendered as published"},
	{"containerDefinitions[].portMappings", "sidecars and init containers: port mappings other than ports / a sidecar's ports say"},
	{"containers[].env[]", "Kubernetes specifics: env from one ConfigMap/Secret key (valueFrom), downward API"},
	{"envFrom", "Kubernetes specifics: envFrom other than eks.envFrom says (configMap | secret, prefix)"},
	{"valueFrom.configMapKeyRef", "Kubernetes specifics: env from one ConfigMap/Secret key (valueFrom), downward API"},
	{"valueFrom.fieldRef", "Kubernetes specifics: env from one ConfigMap/Secret key (valueFrom), downward API"},
	{"nodeSelector", "Kubernetes specifics: scheduling other than eks.nodeSelector / tolerations say (affinity)"},
	{"tolerations", "Kubernetes specifics: scheduling other than eks.nodeSelector / tolerations say (affinity)"},
	{"affinity", "Kubernetes specifics: scheduling other than eks.nodeSelector / tolerations say (affinity)"},
	{"terminationGracePeriodSeconds", "Kubernetes specifics: a terminationGracePeriodSeconds other than stopGrace says"},
	{"automountServiceAccountToken", "Kubernetes specifics: automountServiceAccountToken"},
	{"strategy", "rollout: Kubernetes strategy values shipit does not take"},
	{"minReadySeconds", "rollout: minReadySeconds, revisionHistoryLimit, progress deadline"},
	{"revisionHistoryLimit", "rollout: minReadySeconds, revisionHistoryLimit, progress deadline"},
	{"progressDeadlineSeconds", "rollout: minReadySeconds, revisionHistoryLimit, progress deadline"},
	{"metadata.name", "adoption of existing names: object names are the app's name"},
	{"containers[].name", "adoption of existing names: a container name other than containerName / the sidecar's name"},
	{"containerDefinitions[].name", "adoption of existing names: a container name other than containerName / the sidecar's name"},
	{"taskDefinition.family", "adoption of existing names: a task definition family other than ecs.family says"},
	{"serviceName", "adoption of existing names: a service name other than ecs.serviceName says"},
}

func reasonFor(path string) string {
	w := wild(path)
	for _, c := range categories {
		if strings.Contains(w, c.pattern) {
			return c.why
		}
	}
	return "UNEXPLAINED: " + path
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

// TestNormalisation pins the comparison's own rules, so that a change to them shows here and
// not only as shifted expect.yaml lists.
func TestNormalisation(t *testing.T) {
	eq := []struct {
		path, want, got string
		same            bool
	}{
		{"Deployment.spec.template.spec.containers[a].resources.limits.cpu", "2000m", "2", true},
		{"Deployment.spec.template.spec.containers[a].resources.limits.memory", "1.5Gi", "1536Mi", true},
		{"Deployment.spec.template.spec.containers[a].resources.requests.cpu", "100m", "2", false},
		{"taskDefinition.cpu", "1 vCPU", "1024", true},
		{"taskDefinition.memory", "2 GB", "2048", true},
		{"taskDefinition.memory", "2 GB", "1024", false},
		{"Deployment.spec.strategy.rollingUpdate.maxUnavailable", "0", "0%", true},
		{"Deployment.spec.strategy.rollingUpdate.maxUnavailable", "25%", "0%", false},
		{"Deployment.spec.replicas", "2", "3", false},
	}
	for _, c := range eq {
		if got := equal(c.path, c.want, c.got); got != c.same {
			t.Errorf("equal(%s, %q, %q) = %v, want %v", c.path, c.want, c.got, got, c.same)
		}
	}
	orig := map[string]string{
		"taskDefinition.containerDefinitions[a].portMappings[80].containerPort": "80",
		"Deployment.spec.template.spec.containers[a].image":                     "nginx:1.25",
		"Service[b].spec.ports[80].port":                                        "80",
	}
	defs := []struct {
		tgt, path, want string
		isDef           bool
	}{
		{spec.TargetECS, "taskDefinition.containerDefinitions[a].portMappings[80].hostPort", "80", true},
		{spec.TargetECS, "taskDefinition.containerDefinitions[a].portMappings[80].hostPort", "8080", false},
		{spec.TargetECS, "taskDefinition.containerDefinitions[a].essential", "false", false},
		{spec.TargetEKS, "Deployment.spec.template.spec.containers[a].imagePullPolicy", "IfNotPresent", true},
		{spec.TargetEKS, "Deployment.spec.template.spec.containers[a].imagePullPolicy", "Always", false},
		{spec.TargetEKS, "Service[b].spec.ports[80].targetPort", "80", true},
		{spec.TargetEKS, "Service[b].spec.type", "ClusterIP", true},
		{spec.TargetEKS, "Service[b].spec.type", "NodePort", false},
		{spec.TargetEKS, "Deployment.spec.template.spec.containers[a].env[X].value", "", false},
	}
	for _, c := range defs {
		if got := isDefault(c.tgt, c.path, c.want, orig); got != c.isDef {
			t.Errorf("isDefault(%s, %s, %q) = %v, want %v", c.tgt, c.path, c.want, got, c.isDef)
		}
	}
	f := &flattener{target: spec.TargetECS, containers: map[string]string{"log_router": "log-router"}}
	out := map[string]string{}
	f.flatten(map[string]any{"containerDefinitions": []any{
		map[string]any{"name": "log_router", "healthCheck": map[string]any{"command": []any{"CMD-SHELL", "exit 0"}}},
	}}, "taskDefinition", out, true)
	want := map[string]string{
		"taskDefinition.containerDefinitions[log-router].name":                "log_router",
		"taskDefinition.containerDefinitions[log-router].healthCheck.command": `["CMD","/bin/sh","-c","exit 0"]`,
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("flatten: %s = %q, want %q (all: %v)", k, out[k], v, out)
		}
	}
	if len(out) != len(want) {
		t.Errorf("flatten wrote %v, want %v", out, want)
	}
}

// compare compares a render with the app's original files, field by field (compareRendered
// with the originals read from dir).
func (r *appResult) compare(dir string, rendered map[string]any) error {
	o, err := readOriginals(dir, &r.expect)
	if err != nil {
		return err
	}
	compareRendered(r, o, rendered)
	return nil
}

package importer

// Comparing an original task definition or service with a render, and writing what differs as
// ecs.overrides. Both sides are plain JSON in the CLI's input shape. The comparison reads
// through what ECS itself treats as the same (docs/architecture.md, "The flow": a render is
// compared with what is live after normalising both): the defaults ECS documents for a field
// left out, list order where ECS gives it no meaning, empty strings and empty lists.

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// listKeys names, per list field, the item field that identifies an item: such lists are
// compared item by item, in any order, and overridden as path[key=value].
var listKeys = map[string]string{
	"containerDefinitions": "name", "portMappings": "containerPort", "environment": "name", "secrets": "name",
	"mountPoints": "containerPath", "volumes": "name", "dependsOn": "containerName", "ulimits": "name",
	"systemControls": "namespace", "extraHosts": "hostname", "properties": "name", "tags": "key",
	"capacityProviderStrategy": "capacityProvider", "resourceRequirements": "type", "services": "portName",
	"volumesFrom": "sourceContainer", "environmentFiles": "value", "secretOptions": "name",
}

// orderedLists are lists whose order is meaning (argv, placement); other lists are sets
// (subnets, capabilities, load balancers).
var orderedLists = map[string]bool{"command": true, "entryPoint": true, "placementStrategy": true}

// defaults are values ECS applies to a field left out ("[]" stands for any list item): a side
// that spells one out equals a side that leaves it out. From the RegisterTaskDefinition and
// CreateService API references.
var defaults = map[string]any{
	"containerDefinitions[].essential":                                             true,
	"containerDefinitions[].cpu":                                                   float64(0),
	"containerDefinitions[].portMappings[].protocol":                               "tcp",
	"containerDefinitions[].mountPoints[].readOnly":                                false,
	"containerDefinitions[].healthCheck.interval":                                  float64(30),
	"containerDefinitions[].healthCheck.timeout":                                   float64(5),
	"containerDefinitions[].healthCheck.retries":                                   float64(3),
	"containerDefinitions[].healthCheck.startPeriod":                               float64(0),
	"volumes[].efsVolumeConfiguration.rootDirectory":                               "/",
	"volumes[].efsVolumeConfiguration.transitEncryption":                           "DISABLED",
	"volumes[].efsVolumeConfiguration.authorizationConfig.iam":                     "DISABLED",
	"schedulingStrategy":                                                           "REPLICA",
	"deploymentController.type":                                                    "ECS",
	"propagateTags":                                                                "NONE",
	"platformVersion":                                                              "LATEST",
	"networkConfiguration.awsvpcConfiguration.assignPublicIp":                      "DISABLED",
	"healthCheckGracePeriodSeconds":                                                float64(0),
	"deploymentConfiguration.maximumPercent":                                       float64(200),
	"deploymentConfiguration.minimumHealthyPercent":                                float64(100),
	"deploymentConfiguration.strategy":                                             "ROLLING",
	"deploymentConfiguration.bakeTimeInMinutes":                                    float64(0),
	"deploymentConfiguration.deploymentCircuitBreaker.enable":                      false,
	"deploymentConfiguration.deploymentCircuitBreaker.rollback":                    false,
	"deploymentConfiguration.alarms.enable":                                        false,
	"deploymentConfiguration.alarms.rollback":                                      false,
	"availabilityZoneRebalancing":                                                  "ENABLED",
	"serviceConnectConfiguration.enabled":                                          false,
	"capacityProviderStrategy[].base":                                              float64(0),
	"containerDefinitions[].firelensConfiguration.options.enable-ecs-log-metadata": "true",
}

// canon brings a document (or part of one, at path) to the form the comparison reads: keyed
// and set-like lists sorted, empty strings, lists and objects dropped, an awsvpc host port
// equal to its container port dropped, numbers as float64 (as JSON reads them). Defaults are
// read by same.
func canon(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range x {
			if cv := canon(c, join(path, k)); cv != nil {
				out[k] = cv
			}
		}
		// The host port of an awsvpc task is its container port (ECS fills it in).
		if strings.HasSuffix(wild(path), "portMappings[]") && out["hostPort"] != nil && out["hostPort"] == out["containerPort"] {
			delete(out, "hostPort")
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, it := range x {
			if c := canon(it, path+"[]"); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		field := lastField(path)
		switch key := listKeys[field]; {
		case key != "":
			sort.SliceStable(out, func(i, j int) bool { return keyOf(out[i], key) < keyOf(out[j], key) })
		case !orderedLists[field] && !strings.HasSuffix(path, "healthCheck.command"):
			sort.SliceStable(out, func(i, j int) bool { return text(out[i]) < text(out[j]) })
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return x
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

// orDefault is v, or the default ECS applies at path when v is left out.
func orDefault(v any, path string) any {
	if v != nil {
		return v
	}
	return defaults[wild(path)]
}

// same compares two canonical values at path. A false on the render's side equals nothing on
// the original's: every ECS boolean the render sets defaults to false but essential, which
// has its default above.
func same(orig, rend any, path string) bool {
	orig, rend = orDefault(orig, path), orDefault(rend, path)
	om, ok1 := orig.(map[string]any)
	rm, ok2 := rend.(map[string]any)
	if (ok1 || orig == nil) && (ok2 || rend == nil) && (ok1 || ok2) {
		for _, k := range union(om, rm) {
			if !same(om[k], rm[k], join(path, k)) {
				return false
			}
		}
		return true
	}
	if b, ok := rend.(bool); ok && !b && orig == nil {
		return true
	}
	return reflect.DeepEqual(orig, rend)
}

// emitter writes what differs between an original and a render as overrides.
type emitter struct {
	root string // taskDefinition or service
	// raw is the original as written: an override sets a value as the original wrote it (an
	// empty value, a host port) rather than in the comparison's form.
	raw map[string]any
	// skip reports whether a path is not to be overridden (it is listed as lost, or is a
	// setting the spec says in another way).
	skip func(path string) bool
	out  []spec.Override
}

// pathSafe are map keys an override path can name (a path splits at dots and brackets).
var pathSafe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// diff compares canonical values at path and emits the overrides that make rend orig: object
// by object field, keyed lists item by item, anything else whole.
func (e *emitter) diff(orig, rend any, path string) {
	if e.skip(path) || same(orig, rend, path) {
		return
	}
	om, ok1 := orig.(map[string]any)
	rm, ok2 := rend.(map[string]any)
	if ok1 && ok2 && allSafe(om) && allSafe(rm) {
		for _, k := range union(om, rm) {
			e.diff(om[k], rm[k], join(path, k))
		}
		return
	}
	ol, ok1 := orig.([]any)
	rl, ok2 := rend.([]any)
	if key := listKeys[lastField(path)]; ok1 && ok2 && key != "" && uniqueKeys(ol, key) && uniqueKeys(rl, key) {
		byKey := func(l []any) map[string]any {
			m := map[string]any{}
			for _, it := range l {
				m[keyOf(it, key)] = it
			}
			return m
		}
		ok, rk := byKey(ol), byKey(rl)
		if allPathSafe(ok) && allPathSafe(rk) {
			for _, k := range union(ok, rk) {
				item := fmt.Sprintf("%s[%s=%s]", path, key, k)
				switch {
				case ok[k] == nil:
					e.set(item, nil)
				case rk[k] == nil:
					if !e.skip(item) {
						v := ok[k]
						if r, found := rawAt(e.raw, item); found {
							v = r
						}
						e.set(path+"[-]", v)
					}
				default:
					e.diff(ok[k], rk[k], item)
				}
			}
			return
		}
	}
	e.set(path, orig)
}

func (e *emitter) set(path string, v any) {
	if e.skip(path) {
		return
	}
	if v != nil {
		if r, ok := rawAt(e.raw, path); ok && r != nil {
			v = r
		}
	}
	e.out = append(e.out, spec.Override{Path: e.root + "." + path, Value: v})
}

// allSafe reports whether every key of a map can be named in a path; a map of data (docker
// labels, log options) whose keys hold dots is then overridden whole.
func allSafe(m map[string]any) bool {
	for k := range m {
		if !pathSafe.MatchString(k) {
			return false
		}
	}
	return true
}

func allPathSafe(m map[string]any) bool {
	for k := range m {
		if k == "" || strings.ContainsAny(k, ".[]=") {
			return false
		}
	}
	return true
}

func uniqueKeys(l []any, key string) bool {
	seen := map[string]bool{}
	for _, it := range l {
		m, ok := it.(map[string]any)
		if !ok || m[key] == nil {
			return false
		}
		k := keyOf(it, key)
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

func keyOf(v any, key string) string {
	m, _ := v.(map[string]any)
	return text(m[key])
}

// text is a scalar as an override path's [key=value] reads it (fmt.Sprint of the JSON value).
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func union[V any](a, b map[string]V) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// lastField is the field name a path ends in, without its list selector.
func lastField(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.Index(path, "["); i >= 0 {
		path = path[:i]
	}
	return path
}

// wild replaces every list selector of a path by [].
func wild(path string) string {
	var b strings.Builder
	depth := 0
	for _, r := range path {
		switch {
		case r == '[':
			if depth == 0 {
				b.WriteString("[]")
			}
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plainJSON is v as plain JSON values (maps, lists, strings, float64s, bools).
func plainJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// rawAt is the value at a comparison path ([key=value] selects a list item) in a document.
func rawAt(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	steps, err := spec.ParseOverridePath(path)
	if err != nil || doc == nil {
		return nil, false
	}
	for _, st := range steps {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = m[st.Field]
		switch {
		case st.Key != "":
			var found any
			for _, it := range list(cur) {
				if im, ok := it.(map[string]any); ok && text(im[st.Key]) == st.Value {
					found = it
				}
			}
			if found == nil {
				return nil, false
			}
			cur = found
		case st.Index >= 0:
			l := list(cur)
			if st.Index >= len(l) {
				return nil, false
			}
			cur = l[st.Index]
		case st.Index == -2:
			return nil, false
		}
	}
	return cur, true
}

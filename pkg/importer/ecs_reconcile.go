package importer

// Making the imported spec render the original: render it as `shipit render --target ecs` does
// (through its YAML, so the loader's defaults apply), take back the neutral fields that do not
// validate, compare the render with the original and write the differences as ecs.overrides,
// then render again to check that the overrides apply and reproduce it.

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	shipecs "github.com/shipit-dev/shipit/pkg/ecs"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// render loads the spec as written and renders it for ECS.
func (m *ecsMapper) render() (*shipecs.Rendered, error) {
	text, err := (&Result{App: m.app, Placeholders: m.placeholders}).YAML()
	if err != nil {
		return nil, err
	}
	app, err := spec.Parse("shipit.yaml", text, spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, err
	}
	if errs, _ := app.Validate(spec.TargetECS); len(errs) > 0 {
		return nil, errs
	}
	return shipecs.Render(app, shipecs.RenderOptions{DefaultRegion: "us-east-1"})
}

// validate takes back, one by one, the neutral fields the spec refuses (a name Kubernetes
// would not take is no concern here, only ECS's rules): what is taken back is then carried by
// an override like any other difference.
func (m *ecsMapper) validate() error {
	stripped := map[string]int{}
	for range 100 {
		_, err := m.render()
		var errs spec.Errors
		if err == nil {
			return nil
		}
		if !errors.As(err, &errs) || len(errs) == 0 || errs[0].Field == "" {
			return fmt.Errorf("the imported spec does not load: %v", err)
		}
		f := errs[0].Field
		stripped[f]++
		if stripped[f] > 2 || !m.strip(f, stripped[f] > 1) {
			return fmt.Errorf("the imported spec does not validate: %v", errs[0])
		}
	}
	return errors.New("the imported spec does not validate")
}

var indexed = regexp.MustCompile(`^(sidecars|init|volumes|ports)\[(\d+)\]`)

// strip removes the neutral field a validation error names, or a whole unit around it: a
// volume (and its mounts), a health check, the proxy, Service Connect, the log driver. wider
// asks for the field's parent, when removing the field itself did not help.
func (m *ecsMapper) strip(field string, wider bool) bool {
	app := m.app
	unit := func(prefix string) bool {
		return field == prefix || strings.HasPrefix(field, prefix+".") || strings.HasPrefix(field, prefix+"[")
	}
	switch {
	case field == "sidecars":
		for i := range app.Sidecars {
			app.Sidecars[i].Memory, app.Sidecars[i].CPU = "", ""
		}
		return true
	case unit("ecs.proxy"):
		app.ECS.Proxy = nil
		return true
	case unit("ecs.serviceConnect"):
		app.ECS.ServiceConnect = nil
		return true
	case unit("ecs.logDriver"):
		app.ECS.LogDriver = nil
		return true
	case unit("health"):
		app.Health = nil
		return true
	case unit("security"):
		app.Security = nil
		return true
	}
	if mm := indexed.FindStringSubmatch(field); mm != nil {
		i, _ := strconv.Atoi(mm[2])
		rest := strings.TrimPrefix(field[len(mm[0]):], ".")
		switch mm[1] {
		case "volumes":
			if i < len(app.Volumes) {
				name := app.Volumes[i].Name
				app.Volumes = slices.Delete(app.Volumes, i, i+1)
				for _, l := range [][]spec.Sidecar{app.Sidecars, app.Init} {
					for j := range l {
						l[j].Mounts = slices.DeleteFunc(l[j].Mounts, func(mt spec.Mount) bool { return mt.Volume == name })
					}
				}
				return true
			}
		case "sidecars", "init":
			l := app.Sidecars
			if mm[1] == "init" {
				l = app.Init
			}
			if i < len(l) {
				s := &l[i]
				switch {
				case strings.HasPrefix(rest, "health"):
					s.Health = nil
				case strings.HasPrefix(rest, "security"):
					s.Security = nil
				case strings.HasPrefix(rest, "ecs"):
					s.ECS = nil
				case strings.HasPrefix(rest, "requests"):
					s.Requests = nil
				case strings.HasPrefix(rest, "cpu"), strings.HasPrefix(rest, "memory"):
					s.CPU, s.Memory = "", ""
				default:
					return m.stripGeneric(field, wider)
				}
				return true
			}
		}
	}
	return m.stripGeneric(field, wider)
}

// stripGeneric deletes the field at a validation error's path (or its parent) from the spec's
// JSON form: map keys may hold dots (labels), so each step takes the longest key that fits.
func (m *ecsMapper) stripGeneric(field string, wider bool) bool {
	doc, _ := plainJSON(m.app).(map[string]any)
	if doc == nil {
		return false
	}
	var parent any
	var last string
	cur := any(doc)
	rest := field
	for rest != "" {
		switch x := cur.(type) {
		case map[string]any:
			key := ""
			for k := range x {
				if (rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[")) && len(k) > len(key) {
					key = k
				}
			}
			if key == "" {
				return false
			}
			parent, last, cur = x, key, x[key]
			rest = strings.TrimPrefix(strings.TrimPrefix(rest, key), ".")
		case []any:
			if !strings.HasPrefix(rest, "[") {
				return false
			}
			end := strings.Index(rest, "]")
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i >= len(x) {
				return false
			}
			parent, last, cur = x, rest[1:end], x[i]
			rest = strings.TrimPrefix(rest[end+1:], ".")
		default:
			return false
		}
	}
	if wider {
		i := strings.LastIndexAny(field, ".[")
		if i <= 0 {
			return false
		}
		return m.stripGeneric(field[:i], false)
	}
	switch p := parent.(type) {
	case map[string]any:
		delete(p, last)
	case []any:
		i, _ := strconv.Atoi(last)
		// The list item goes, the rest keep their order.
		return m.replaceList(field, slices.Delete(slices.Clone(p), i, i+1), doc)
	}
	return m.reload(doc)
}

// replaceList puts a shortened list back at the path of its item.
func (m *ecsMapper) replaceList(itemField string, l []any, doc map[string]any) bool {
	listField := itemField[:strings.LastIndex(itemField, "[")]
	if !setAt(doc, listField, l) {
		return false
	}
	return m.reload(doc)
}

func setAt(doc map[string]any, field string, v any) bool {
	cur := any(doc)
	rest := field
	for {
		x, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		key := ""
		for k := range x {
			if (rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[")) && len(k) > len(key) {
				key = k
			}
		}
		if key == "" {
			return false
		}
		if rest == key {
			x[key] = v
			return true
		}
		rest = strings.TrimPrefix(rest, key)
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			l, _ := x[key].([]any)
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i >= len(l) {
				return false
			}
			cur = l[i]
			rest = strings.TrimPrefix(rest[end+1:], ".")
			continue
		}
		cur = x[key]
		rest = strings.TrimPrefix(rest, ".")
	}
}

func (m *ecsMapper) reload(doc map[string]any) bool {
	app := &spec.App{}
	if err := decodeInto(doc, app); err != nil {
		return false
	}
	m.app = app
	return true
}

// reconcile compares the render with the original and writes the differences as overrides,
// then checks that the render with them is the original; what still differs is lost.
func (m *ecsMapper) reconcile() error {
	m.app.ECS.Overrides = append(m.app.ECS.Overrides, m.tdTagOverrides...)
	rd, err := m.render()
	if err != nil {
		return fmt.Errorf("the imported spec does not render: %v", err)
	}
	tdOut, svcOut := m.differences(rd)
	for _, o := range svcOut {
		if top := strings.SplitN(strings.TrimPrefix(o.Path, "service."), ".", 2)[0]; !shipecs.ServiceOverridable(strings.SplitN(top, "[", 2)[0]) {
			m.lose(o.Path, "ECS specifics: the spec has no field for it, and shipit overrides only the service settings a deploy keeps")
			continue
		}
		tdOut = append(tdOut, o)
	}
	m.app.ECS.Overrides = append(m.app.ECS.Overrides, tdOut...)
	// An override ECS's input types do not take is refused by the render, naming it: take it
	// back and list it.
	for range len(m.app.ECS.Overrides) + 1 {
		rd, err = m.render()
		var errs spec.Errors
		if err == nil {
			break
		}
		i := -1
		if errors.As(err, &errs) && len(errs) > 0 {
			_, _ = fmt.Sscanf(strings.TrimPrefix(errs[0].Field, "ecs.overrides["), "%d", &i)
		}
		if i < 0 || i >= len(m.app.ECS.Overrides) {
			return fmt.Errorf("the imported spec does not render: %v", err)
		}
		o := m.app.ECS.Overrides[i]
		m.lose(o.Path, "not a field this shipit's ECS input types take ("+errs[0].Message+")")
		m.app.ECS.Overrides = slices.Delete(m.app.ECS.Overrides, i, i+1)
	}
	if err != nil {
		return fmt.Errorf("the imported spec does not render: %v", err)
	}
	tdLeft, svcLeft := m.differences(rd)
	for _, o := range append(tdLeft, svcLeft...) {
		if _, overridden := overridesAt(m.app.ECS.Overrides, o.Path); overridden || strings.HasPrefix(o.Path, "service.") {
			m.lose(o.Path, "the override does not reproduce it")
		}
	}
	return nil
}

func overridesAt(os []spec.Override, path string) (spec.Override, bool) {
	for _, o := range os {
		if under(path, o.Path) || under(o.Path, path) {
			return o, true
		}
	}
	return spec.Override{}, false
}

// differences are the overrides that would make the render the original.
func (m *ecsMapper) differences(rd *shipecs.Rendered) (td, svc []spec.Override) {
	orig := copyMap(m.src.td)
	rend, _ := plainJSON(awsjson.Value(rd.TaskDefinition)).(map[string]any)
	delete(rend, "tags")
	e := &emitter{root: "taskDefinition", skip: m.skipTD, raw: orig}
	e.diff(canon(orig, ""), canon(rend, ""), "")
	if m.src.svc == nil {
		return e.out, nil
	}
	os := copyMap(m.src.svc)
	if c, ok := os["cluster"].(string); ok {
		os["cluster"] = c[strings.LastIndex(c, "/")+1:]
	}
	rs, _ := plainJSON(awsjson.Value(rd.Service)).(map[string]any)
	es := &emitter{root: "service", skip: m.skipService, raw: os}
	es.diff(canon(os, ""), canon(rs, ""), "")
	return e.out, es.out
}

// skipTD: tags are labels; what is lost is not overridden; what Fargate needs and the original
// leaves out (a network mode, a size, an execution role) stays as the spec says.
func (m *ecsMapper) skipTD(path string) bool {
	switch path {
	case "tags":
		return true
	case "networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn":
		if _, set := m.src.td[path]; !set {
			return true
		}
	}
	return m.lostAt("taskDefinition." + path)
}

// skipService: the task definition revision is deploy's, the tags are labels, a client token
// is per call; what Fargate needs and the original leaves out stays as the spec says.
func (m *ecsMapper) skipService(path string) bool {
	switch path {
	case "tags", "taskDefinition", "clientToken", "serviceName":
		// the service's name is the spec's name or ecs.serviceName (ecs.go, name)
		return true
	case "desiredCount":
		// With autoscale the scaler owns the count (a deploy keeps the live one).
		if _, set := m.src.svc[path]; !set || m.app.Autoscale != nil {
			return true
		}
	case "launchType", "networkConfiguration", "cluster":
		if _, set := m.src.svc[path]; !set {
			return true
		}
	}
	return m.lostAt("service." + path)
}

func (m *ecsMapper) lostAt(path string) bool {
	for _, l := range m.lost {
		if under(path, l.Field) {
			return true
		}
	}
	return false
}

// under reports whether path is prefix or lies below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

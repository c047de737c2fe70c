package spec

import (
	"fmt"
	"strings"
)

// ecsOverrides checks the shape of ecs.overrides; what each one sets is checked against the
// SDK's input shapes when the app is rendered (validate renders it too).
func (c *checker) ecsOverrides() {
	for i, o := range c.app.ECS.Overrides {
		f := indexPath("ecs.overrides", i)
		root, rest, _ := strings.Cut(o.Path, ".")
		if root != "taskDefinition" && root != "service" || rest == "" {
			c.errorf(f+".path", "start it with taskDefinition. or service., e.g. taskDefinition.containerDefinitions[name=web].linuxParameters.initProcessEnabled",
				"%q does not name a field of the task definition or the service", clip(o.Path))
			continue
		}
		if _, err := ParseOverridePath(rest); err != nil {
			c.errorf(f+".path", "write fields as a.b, list items as [0], [-] (append) or [name=web]", "%v", err)
		}
	}
}

// PathStep is one step of an override path: a field, then optionally a list item.
type PathStep struct {
	Field string
	// Index is the list item: -1 none, -2 append ([-]); Key/Value select by a field ([name=web]).
	Index      int
	Key, Value string
}

// ParseOverridePath splits a.b[0].c[name=web] into steps.
func ParseOverridePath(p string) ([]PathStep, error) {
	var out []PathStep
	for _, seg := range strings.Split(p, ".") {
		st := PathStep{Field: seg, Index: -1}
		if i := strings.IndexByte(seg, '['); i >= 0 {
			if !strings.HasSuffix(seg, "]") {
				return nil, fmt.Errorf("%q: an item is written [N], [-] or [key=value]", clip(seg))
			}
			st.Field = seg[:i]
			sel := seg[i+1 : len(seg)-1]
			switch k, v, kv := strings.Cut(sel, "="); {
			case sel == "-":
				st.Index = -2
			case kv && k != "" && v != "":
				st.Key, st.Value = k, v
			default:
				n := 0
				if _, err := fmt.Sscanf(sel, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != sel {
					return nil, fmt.Errorf("%q: an item is written [N], [-] or [key=value]", clip(seg))
				}
				st.Index = n
			}
		}
		if st.Field == "" {
			return nil, fmt.Errorf("%q has an empty field name", clip(p))
		}
		out = append(out, st)
	}
	return out, nil
}

// eksPatchKinds are the kinds shipit renders, which a patch can change.
var eksPatchKinds = []string{"Namespace", "ServiceAccount", "ExternalSecret", "PersistentVolume", "PersistentVolumeClaim",
	"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"}

// eksPatches checks the shape of eks.patches; the patched objects are checked against their
// schema when the app is rendered.
func (c *checker) eksPatches() {
	for i, p := range c.app.EKS.Patches {
		f := indexPath("eks.patches", i)
		known := false
		for _, k := range eksPatchKinds {
			known = known || k == p.Kind
		}
		if !known {
			c.errorf(f+".kind", "one of "+strings.Join(eksPatchKinds, ", "), "shipit renders no %q", clip(p.Kind))
		}
		if (p.Patch == nil) == (len(p.JSONPatch) == 0) {
			c.errorf(f, "give patch: (a strategic merge patch) or jsonPatch: (operations), one of them", "a patch needs exactly one of patch and jsonPatch")
		}
		for j, op := range p.JSONPatch {
			g := indexPath(f+".jsonPatch", j)
			switch op.Op {
			case "add", "remove", "replace", "move", "copy", "test":
			default:
				c.errorf(g+".op", "add, remove, replace, move, copy or test", "%q is not a JSON patch operation", clip(op.Op))
			}
			if !strings.HasPrefix(op.Path, "/") {
				c.errorf(g+".path", "a JSON pointer, e.g. /spec/template/spec/containers/0/lifecycle", "%q is not a JSON pointer", clip(op.Path))
			}
		}
	}
}

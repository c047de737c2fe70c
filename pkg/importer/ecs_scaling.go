package importer

// Autoscaling in neutral fields: the service's scalable target (min, max) and its
// target-tracking policies on CPU, memory and the ALB's request count (autoscale). Read from
// shipit's scaling.json, a register-scalable-target input, or describe-scalable-targets and
// describe-scaling-policies output (the application-autoscaling CLI writes PascalCase keys,
// read here in lowerCamel like the rest). A deploy of a spec without autoscale deregisters a
// scalable target, so an import that lost the target would take the service's scaling away:
// what the spec cannot say is listed.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// scalingSource is the autoscaling the documents give: scalable targets and policies.
type scalingSource struct {
	targets  []map[string]any
	policies []map[string]any
}

// readScaling takes a scaling document; ok is false when the document is not one.
func (src *ecsSource) readScaling(top map[string]any) bool {
	doc, _ := lowerKeys(top).(map[string]any)
	switch {
	case doc["scalableTargets"] != nil:
		for _, t := range list(doc["scalableTargets"]) {
			if tm, ok := t.(map[string]any); ok {
				src.scaling.targets = append(src.scaling.targets, tm)
			}
		}
	case doc["scalingPolicies"] != nil:
		for _, p := range list(doc["scalingPolicies"]) {
			if pm, ok := p.(map[string]any); ok {
				src.scaling.policies = append(src.scaling.policies, pm)
			}
		}
	case doc["minCapacity"] != nil || doc["maxCapacity"] != nil || doc["scalableDimension"] != nil:
		for _, p := range list(doc["policies"]) {
			if pm, ok := p.(map[string]any); ok {
				src.scaling.policies = append(src.scaling.policies, pm)
			}
		}
		delete(doc, "policies")
		src.scaling.targets = append(src.scaling.targets, doc)
	default:
		return false
	}
	return true
}

// lowerKeys writes every object key's first letter in lower case (PascalCase to lowerCamel).
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range x {
			r, n := utf8.DecodeRuneInString(k)
			out[string(unicode.ToLower(r))+k[n:]] = lowerKeys(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = lowerKeys(c)
		}
		return out
	}
	return v
}

// scaling maps the service's scalable target and its policies.
func (m *ecsMapper) scaling() {
	app := m.app
	resource := fmt.Sprintf("service/%s/%s", clusterName(app.ECS.Cluster), app.Name)
	if m.svc != nil {
		resource = fmt.Sprintf("service/%s/%s", clusterName(stringOf(m.src.svc["cluster"])), stringOf(m.src.svc["serviceName"]))
	}
	mine := func(d map[string]any) bool {
		r := stringOf(d["resourceId"])
		return (r == resource || strings.HasSuffix(resource, "/") || len(m.src.scaling.targets) == 1) &&
			(d["scalableDimension"] == nil || d["scalableDimension"] == "ecs:service:DesiredCount")
	}
	var target map[string]any
	for _, t := range m.src.scaling.targets {
		if mine(t) {
			target = t
		}
	}
	if target == nil {
		return
	}
	minC, _ := target["minCapacity"].(float64)
	maxC, _ := target["maxCapacity"].(float64)
	as := &spec.Autoscale{Min: int(minC), Max: int(maxC)}
	if s, ok := target["suspendedState"].(map[string]any); ok {
		for _, k := range []string{"dynamicScalingInSuspended", "dynamicScalingOutSuspended", "scheduledScalingSuspended"} {
			if s[k] == true {
				m.lose("scaling.suspendedState."+k, "autoscaling: shipit does not suspend scaling; a deploy registers the target without it")
			}
		}
	}
	for _, p := range m.src.scaling.policies {
		if r := stringOf(p["resourceId"]); r != "" && r != stringOf(target["resourceId"]) {
			continue
		}
		m.policy(as, p)
	}
	if as.CPU == 0 && as.Memory == 0 && as.Requests == 0 {
		// The spec's autoscale needs a metric: keep the replicas and say what is lost.
		m.lose("scaling", fmt.Sprintf("autoscaling: a scalable target (%d–%d tasks) without a CPU, memory or request-count target-tracking policy; a deploy of this spec deregisters it", as.Min, as.Max))
		return
	}
	app.Autoscale, app.Replicas = as, nil
}

// policy maps one scaling policy: shipit's own target tracking (named <app>-cpu, -memory,
// -requests, cooldowns 60 s out and 300 s in) is said by autoscale; other settings are lost.
func (m *ecsMapper) policy(as *spec.Autoscale, p map[string]any) {
	name := stringOf(p["policyName"])
	at := "scaling.policies[" + name + "]"
	cfg, _ := p["targetTrackingScalingPolicyConfiguration"].(map[string]any)
	metric, _ := cfg["predefinedMetricSpecification"].(map[string]any)
	if stringOf(p["policyType"]) != "TargetTrackingScaling" || metric == nil {
		why := "autoscaling: only target tracking on CPU, memory or the ALB's request count can be said; a deploy keeps this policy"
		if strings.HasPrefix(name, m.app.Name+"-") {
			why = "autoscaling: only target tracking on CPU, memory or the ALB's request count can be said; a deploy deletes this policy (named like shipit's own)"
		}
		m.lose(at, why)
		return
	}
	value, _ := cfg["targetValue"].(float64)
	var suffix string
	switch stringOf(metric["predefinedMetricType"]) {
	case "ECSServiceAverageCPUUtilization":
		as.CPU, suffix = int(value), "cpu"
	case "ECSServiceAverageMemoryUtilization":
		as.Memory, suffix = int(value), "memory"
	case "ALBRequestCountPerTarget":
		label := stringOf(metric["resourceLabel"])
		lb, _, _ := strings.Cut(label, "/targetgroup/")
		tg := m.app.ECS.TargetGroup
		if tg == "" || !strings.HasSuffix(tg, ":targetgroup/"+strings.SplitN(label, "/targetgroup/", 2)[len(strings.SplitN(label, "/targetgroup/", 2))-1]) {
			m.lose(at, "autoscaling: request-count scaling on a target group the service does not send to through ecs.targetGroup")
			return
		}
		as.Requests, suffix = int(value), "requests"
		m.app.ECS.LoadBalancer = strings.SplitN(tg, ":targetgroup/", 2)[0] + ":loadbalancer/" + lb
	default:
		m.lose(at, "autoscaling: a target on "+stringOf(metric["predefinedMetricType"])+"; shipit tracks CPU, memory and the ALB's request count")
		return
	}
	var differs []string
	if value != float64(int(value)) {
		differs = append(differs, fmt.Sprintf("target value %v (autoscale takes whole percents and counts)", value))
	}
	if want := m.app.Name + "-" + suffix; name != want {
		differs = append(differs, fmt.Sprintf("the name (shipit's is %s: a deploy adds that one and keeps this one)", want))
	}
	if c, _ := cfg["scaleOutCooldown"].(float64); c != 60 {
		differs = append(differs, fmt.Sprintf("scale-out cooldown %v s (shipit's is 60 s)", c))
	}
	if c, _ := cfg["scaleInCooldown"].(float64); c != 300 {
		differs = append(differs, fmt.Sprintf("scale-in cooldown %v s (shipit's is 300 s)", c))
	}
	if cfg["disableScaleIn"] == true {
		differs = append(differs, "scale-in disabled")
	}
	if len(differs) > 0 {
		m.lose(at, "autoscaling: shipit's own policy differs in "+strings.Join(differs, ", "))
	}
}

func clusterName(c string) string {
	if c == "" {
		return spec.DefaultCluster
	}
	return c[strings.LastIndex(c, "/")+1:]
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

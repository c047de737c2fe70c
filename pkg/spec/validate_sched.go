// This file holds the Kubernetes scheduling and disruption checks (affinity, topology spread,
// PodDisruptionBudget, minReadySeconds, revision history, stop commands, extended resources),
// ported from the API server's own validation so that shipit is never stricter or looser.

package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Scheduling, disruption, stop hook and device checks. The Kubernetes rules are the API
// server's own (core/v1 affinity and topology spread, apps/v1 Deployment, policy/v1
// PodDisruptionBudget), written against shipit's field paths so that each message points at
// its line.

// NvidiaGPU is the resource NVIDIA's device plugin offers, which limits.gpu asks for.
const NvidiaGPU = "nvidia.com/gpu"

// percentRe is a percentage as Kubernetes' IntOrString takes it (validation.IsValidPercent).
var percentRe = regexp.MustCompile(`^[0-9]+%$`)

// schedCommon checks what holds on every target: the stop command and the GPU count.
func (c *checker) schedCommon() {
	a := c.app
	if _, written := a.Source.positions["stopCommand"]; written && len(a.StopCommand) == 0 {
		c.errorf("stopCommand", `e.g. stopCommand: [sleep, "5"], or remove it`, "an empty command")
	}
	if l := a.Limits; l != nil && l.GPU < 0 {
		c.errorf("limits.gpu", "a whole number of GPUs, such as 1", "%d is not a number of GPUs", l.GPU)
	}
}

// ecsSched is what ECS cannot honour of those fields.
func (c *checker) ecsSched() {
	a := c.app
	if l := a.Limits; l != nil && l.GPU > 0 {
		c.errorf("limits.gpu", "run GPU work on EKS, or remove limits.gpu for ECS",
			"ECS on Fargate does not support GPU resourceRequirements: Fargate tasks have no GPUs")
	}
	if len(a.StopCommand) > 0 {
		c.warnf("stopCommand", "for connection draining, the target group's deregistration delay does that on ECS",
			"ECS has no preStop hook: this command does not run on ECS, which deregisters the task from its load balancer, then sends SIGTERM")
	}
}

// eksSched checks the Kubernetes-only fields against the API server's rules.
func (c *checker) eksSched() {
	a := c.app
	e := a.EKS
	if n := e.MinReadySeconds; n != nil {
		timeout := int64(a.RolloutTimeout() / time.Second)
		switch {
		case *n < 0 || *n > maxInt32:
			c.errorf("eks.minReadySeconds", "", "%d is not a number of seconds Kubernetes holds (0–%d)", *n, maxInt32)
		case int64(*n) >= timeout:
			// shipit sets progressDeadlineSeconds from rollout.timeout, and the API server wants
			// it greater than minReadySeconds.
			c.errorf("eks.minReadySeconds", fmt.Sprintf("lower it below %d seconds, or raise rollout.timeout", timeout),
				"%ds is not shorter than rollout.timeout (%s, the Deployment's progress deadline): no pod could ever become available in time", *n, a.Rollout.Timeout)
		}
	}
	if n := e.RevisionHistoryLimit; n != nil {
		switch {
		case *n < 0 || *n > maxInt32:
			c.errorf("eks.revisionHistoryLimit", "", "%d is not a number of ReplicaSets Kubernetes keeps (0–%d)", *n, maxInt32)
		case *n == 0:
			c.warnf("eks.revisionHistoryLimit", "keep at least 1 to be able to roll back",
				"0 keeps no old ReplicaSet once a rollout completes: `shipit rollback` has nothing to return to (an automatic rollback of a failed deploy still works: the old ReplicaSet stays until a rollout completes)")
		}
	}
	if secs, ok := sleepSeconds(a.StopCommand); ok {
		grace := 30 // Kubernetes' default terminationGracePeriodSeconds
		if a.StopGrace != "" {
			grace = Seconds(a.StopGrace)
		}
		if secs >= grace {
			c.warnf("stopCommand", fmt.Sprintf("sleep less than %ds, or raise stopGrace", grace),
				"the stop command sleeps %ds, but the pod has %ds in all to stop (stopGrace): it is killed before the app is sent SIGTERM", secs, grace)
		}
	}
	if af := e.Affinity; af != nil {
		if na := af.NodeAffinity; na != nil {
			f := "eks.affinity.nodeAffinity"
			if r := na.Required; r != nil {
				rf := f + ".requiredDuringSchedulingIgnoredDuringExecution"
				if len(r.Terms) == 0 {
					c.errorf(rf+".nodeSelectorTerms", "add a term with matchExpressions", "must have at least one node selector term")
				}
				for i, t := range r.Terms {
					c.nodeSelectorTerm(indexPath(rf+".nodeSelectorTerms", i), t, true)
				}
			}
			for i, p := range na.Preferred {
				pf := indexPath(f+".preferredDuringSchedulingIgnoredDuringExecution", i)
				c.weight(pf+".weight", p.Weight)
				c.nodeSelectorTerm(pf+".preference", p.Preference, false)
			}
		}
		for _, pa := range []struct {
			f string
			p *PodAffinity
		}{{"eks.affinity.podAffinity", af.PodAffinity}, {"eks.affinity.podAntiAffinity", af.PodAntiAffinity}} {
			if pa.p == nil {
				continue
			}
			for i, t := range pa.p.Required {
				c.podAffinityTerm(indexPath(pa.f+".requiredDuringSchedulingIgnoredDuringExecution", i), t)
			}
			for i, w := range pa.p.Preferred {
				wf := indexPath(pa.f+".preferredDuringSchedulingIgnoredDuringExecution", i)
				c.weight(wf+".weight", w.Weight)
				c.podAffinityTerm(wf+".podAffinityTerm", w.PodAffinityTerm)
			}
		}
	}
	for i, ts := range e.TopologySpread {
		c.topologySpread(i, ts)
	}
	if b := e.DisruptionBudget; b != nil {
		c.disruptionBudget(b)
	}
	gpu := 0
	if a.Limits != nil {
		gpu = a.Limits.GPU
	}
	for _, k := range slices.Sorted(maps.Keys(e.ExtendedResources)) {
		f := "eks.extendedResources." + k
		if !isExtendedResourceName(k) {
			c.errorf(f, "use the device plugin's name, such as aws.amazon.com/neuron or vpc.amazonaws.com/pod-eni",
				"%q is not an extended resource name (a qualified name with a domain outside kubernetes.io)", clip(k))
		}
		if n := e.ExtendedResources[k]; n < 0 {
			c.errorf(f, "", "%d is not a quantity (0 or more)", n)
		}
		if k == NvidiaGPU && gpu > 0 {
			c.errorf(f, "keep one of limits.gpu and eks.extendedResources."+NvidiaGPU, "limits.gpu asks for %s too", NvidiaGPU)
		}
	}
}

// isExtendedResourceName is Kubernetes' rule for a container's extended resource: a
// qualified name outside the kubernetes.io namespace whose quota name (requests.<name>) is
// a qualified name too.
func isExtendedResourceName(name string) bool {
	if !strings.Contains(name, "/") || strings.Contains(name, "kubernetes.io/") || strings.HasPrefix(name, "requests.") {
		return false
	}
	return len(validation.IsQualifiedName(name)) == 0 && len(validation.IsQualifiedName("requests."+name)) == 0
}

func (c *checker) weight(f string, w int) {
	if w < 1 || w > 100 {
		c.errorf(f, "", "%d is not a weight: must be in the range 1-100", w)
	}
}

// nodeSelectorTerm checks a node selector term; required terms' values must be label values
// (the scheduler could never match others), preferred ones may be anything.
func (c *checker) nodeSelectorTerm(f string, t NodeSelectorTerm, required bool) {
	for i, r := range t.MatchExpressions {
		rf := indexPath(f+".matchExpressions", i)
		switch r.Operator {
		case "In", "NotIn":
			if len(r.Values) == 0 {
				c.errorf(rf+".values", "list the values to match", "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case "Exists", "DoesNotExist":
			if len(r.Values) > 0 {
				c.errorf(rf+".values", "remove values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		case "Gt", "Lt":
			if len(r.Values) != 1 {
				c.errorf(rf+".values", "give one integer value", "must be specified single value when `operator` is 'Lt' or 'Gt'")
			}
		default:
			c.errorf(rf+".operator", "use In, NotIn, Exists, DoesNotExist, Gt or Lt", "%q is not a valid selector operator", clip(r.Operator))
		}
		c.labelKey(rf+".key", r.Key)
		if required {
			for j, v := range r.Values {
				if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
					c.errorf(indexPath(rf+".values", j), "", "%q is not a label value: %s", clip(v), errs[0])
				}
			}
		}
	}
	for i, r := range t.MatchFields {
		rf := indexPath(f+".matchFields", i)
		switch r.Operator {
		case "In", "NotIn":
			if len(r.Values) != 1 {
				c.errorf(rf+".values", "give one node name", "must be only one value when `operator` is 'In' or 'NotIn' for node field selector")
			}
		default:
			c.errorf(rf+".operator", "use In or NotIn", "%q is not a valid selector operator for a node field", clip(r.Operator))
		}
		if r.Key != "metadata.name" {
			c.errorf(rf+".key", "use metadata.name", "%q is not a valid field selector key", clip(r.Key))
			continue
		}
		for j, v := range r.Values {
			if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
				c.errorf(indexPath(rf+".values", j), "", "%q is not a node name: %s", clip(v), errs[0])
			}
		}
	}
}

func (c *checker) labelKey(f, k string) {
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		c.errorf(f, "e.g. topology.kubernetes.io/zone", "%q is not a label key: %s", clip(k), errs[0])
	}
}

// labelSelector checks a meta/v1 LabelSelector (metav1validation.ValidateLabelSelector).
func (c *checker) labelSelector(f string, s *LabelSelector) {
	if s == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(s.MatchLabels[k])...); len(errs) > 0 {
			c.errorf(f+".matchLabels."+k, "", "%q: %q is not a label: %s", clip(k), clip(s.MatchLabels[k]), errs[0])
		}
	}
	for i, r := range s.MatchExpressions {
		rf := indexPath(f+".matchExpressions", i)
		switch r.Operator {
		case "In", "NotIn":
			if len(r.Values) == 0 {
				c.errorf(rf+".values", "list the values to match", "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case "Exists", "DoesNotExist":
			if len(r.Values) > 0 {
				c.errorf(rf+".values", "remove values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		default:
			c.errorf(rf+".operator", "use In, NotIn, Exists or DoesNotExist", "%q is not a valid label selector operator", clip(r.Operator))
		}
		c.labelKey(rf+".key", r.Key)
		for j, v := range r.Values {
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				c.errorf(indexPath(rf+".values", j), "", "%q is not a label value: %s", clip(v), errs[0])
			}
		}
	}
}

func selectorKeys(s *LabelSelector) map[string]bool {
	keys := map[string]bool{}
	if s != nil {
		for k := range s.MatchLabels {
			keys[k] = true
		}
		for _, r := range s.MatchExpressions {
			keys[r.Key] = true
		}
	}
	return keys
}

func (c *checker) podAffinityTerm(f string, t PodAffinityTerm) {
	c.labelSelector(f+".labelSelector", t.LabelSelector)
	c.labelSelector(f+".namespaceSelector", t.NamespaceSelector)
	for i, ns := range t.Namespaces {
		if errs := apimachineryvalidation.ValidateNamespaceName(ns, false); len(errs) > 0 {
			c.errorf(indexPath(f+".namespaces", i), "", "%q is not a namespace name: %s", clip(ns), errs[0])
		}
	}
	if t.TopologyKey == "" {
		c.errorf(f+".topologyKey", "e.g. kubernetes.io/hostname (one per node) or topology.kubernetes.io/zone", "required")
	} else {
		c.labelKey(f+".topologyKey", t.TopologyKey)
	}
	c.labelKeys(f, "matchLabelKeys", t.MatchLabelKeys, t.LabelSelector)
	c.labelKeys(f, "mismatchLabelKeys", t.MismatchLabelKeys, t.LabelSelector)
	mismatch := map[string]bool{}
	for _, k := range t.MismatchLabelKeys {
		mismatch[k] = true
	}
	for i, k := range t.MatchLabelKeys {
		if mismatch[k] {
			c.errorf(indexPath(f+".matchLabelKeys", i), "", "%q exists in both matchLabelKeys and mismatchLabelKeys", clip(k))
		}
	}
}

// labelKeys checks matchLabelKeys (or mismatchLabelKeys): label keys, only with a
// labelSelector, and (for matchLabelKeys) not a key the selector already names when the pods
// carry that label. The API server takes such a Deployment, then merges each key the pod
// carries into the selector when it creates a pod, and refuses every pod for naming the key
// twice; a key the pods do not carry is not merged, and is no error.
func (c *checker) labelKeys(f, name string, keys []string, sel *LabelSelector) {
	if len(keys) == 0 {
		return
	}
	if sel == nil {
		c.errorf(f+"."+name, "add a labelSelector", "must not be specified when labelSelector is not set")
		return
	}
	in, carried := selectorKeys(sel), c.app.podLabelKeys()
	for i, k := range keys {
		c.labelKey(indexPath(f+"."+name, i), k)
		if name == "matchLabelKeys" && in[k] && carried[k] {
			c.errorf(indexPath(f+"."+name, i), "drop it from matchLabelKeys or from the labelSelector",
				"%q exists in both matchLabelKeys and labelSelector: the pods carry it, so Kubernetes would refuse every pod", clip(k))
		}
	}
}

// podLabelKeys are the label keys of the app's pods: its labels, shipit's own, the selector's
// and the ReplicaSet's pod-template-hash.
func (a *App) podLabelKeys() map[string]bool {
	keys := map[string]bool{"app.kubernetes.io/name": true, "app.kubernetes.io/managed-by": true, "pod-template-hash": true}
	for k := range a.Labels {
		keys[k] = true
	}
	for k := range a.EKS.Selector {
		keys[k] = true
	}
	return keys
}

func (c *checker) topologySpread(i int, ts TopologySpread) {
	f := indexPath("eks.topologySpread", i)
	if ts.MaxSkew < 1 || ts.MaxSkew > maxInt32 {
		c.errorf(f+".maxSkew", "e.g. maxSkew: 1", "%d is not a skew: must be greater than zero", ts.MaxSkew)
	}
	if ts.TopologyKey == "" {
		c.errorf(f+".topologyKey", "e.g. topology.kubernetes.io/zone", "required")
	} else {
		c.labelKey(f+".topologyKey", ts.TopologyKey)
	}
	switch ts.WhenUnsatisfiable {
	case "DoNotSchedule", "ScheduleAnyway":
	case "":
		c.errorf(f+".whenUnsatisfiable", "DoNotSchedule (a pod waits rather than break the spread) or ScheduleAnyway (a preference)", "required")
	default:
		c.errorf(f+".whenUnsatisfiable", "use DoNotSchedule or ScheduleAnyway", "%q is not supported", clip(ts.WhenUnsatisfiable))
	}
	for j, o := range c.app.EKS.TopologySpread[i+1:] {
		if o.TopologyKey == ts.TopologyKey && o.WhenUnsatisfiable == ts.WhenUnsatisfiable {
			c.errorf(indexPath("eks.topologySpread", i+1+j), "keep one constraint per topologyKey and whenUnsatisfiable",
				"duplicates {%s, %s} of topologySpread[%d]", clip(ts.TopologyKey), ts.WhenUnsatisfiable, i)
		}
	}
	if m := ts.MinDomains; m != nil {
		if *m < 1 || *m > maxInt32 {
			c.errorf(f+".minDomains", "", "%d is not a number of domains: must be greater than zero", *m)
		}
		if ts.WhenUnsatisfiable != "DoNotSchedule" {
			c.errorf(f+".minDomains", "set whenUnsatisfiable: DoNotSchedule, or remove minDomains", "can only use minDomains if whenUnsatisfiable=DoNotSchedule")
		}
	}
	for _, p := range []struct{ f, v string }{{"nodeAffinityPolicy", ts.NodeAffinityPolicy}, {"nodeTaintsPolicy", ts.NodeTaintsPolicy}} {
		switch p.v {
		case "", "Honor", "Ignore":
		default:
			c.errorf(f+"."+p.f, "use Honor or Ignore", "%q is not supported", clip(p.v))
		}
	}
	c.labelSelector(f+".labelSelector", ts.LabelSelector)
	sel := ts.LabelSelector
	if sel == nil {
		sel = &LabelSelector{MatchLabels: c.app.podSelector()} // what the render defaults to
	}
	c.labelKeys(f, "matchLabelKeys", ts.MatchLabelKeys, sel)
}

// podSelector is the app's pod selector (as the EKS render makes it).
func (a *App) podSelector() map[string]string {
	if len(a.EKS.Selector) > 0 {
		return a.EKS.Selector
	}
	return map[string]string{"app.kubernetes.io/name": a.Name}
}

// IntOrPercent parses a count ("2") or a percentage ("50%") as Kubernetes' IntOrString
// holds them; ok is false for anything else.
func IntOrPercent(s string) (n int, percent, ok bool) {
	if percentRe.MatchString(s) {
		v, err := strconv.Atoi(s[:len(s)-1])
		return v, true, err == nil
	}
	v, err := strconv.ParseInt(s, 10, 32)
	return int(v), false, err == nil && v >= 0
}

func (c *checker) disruptionBudget(b *DisruptionBudget) {
	f := "eks.disruptionBudget"
	if b.MinAvailable != "" && b.MaxUnavailable != "" {
		c.errorf(f+".maxUnavailable", "keep one of minAvailable and maxUnavailable", "minAvailable and maxUnavailable cannot be both set")
	}
	a := c.app
	replicas := 1
	switch {
	case a.Autoscale != nil:
		replicas = a.Autoscale.Min
	case a.Replicas != nil:
		replicas = *a.Replicas
	}
	blocks := false
	for _, v := range []struct{ f, s string }{{"minAvailable", b.MinAvailable}, {"maxUnavailable", b.MaxUnavailable}} {
		if v.s == "" {
			continue
		}
		n, pct, ok := IntOrPercent(v.s)
		switch {
		case !ok:
			c.errorf(f+"."+v.f, `a count such as 1 or a percentage such as "50%"`, "%q is not a count of pods (0–%d) or a percentage", clip(v.s), maxInt32)
			continue
		case pct && n > 100:
			c.errorf(f+"."+v.f, "", "%s must not be greater than 100%%", v.s)
			continue
		}
		if v.f == "maxUnavailable" {
			blocks = blocks || n == 0
		} else {
			blocks = blocks || (pct && n == 100) || (!pct && n >= replicas && replicas > 0)
		}
	}
	if blocks {
		c.warnf(f, "allow at least one pod to go, e.g. maxUnavailable: 1",
			"this budget allows no voluntary eviction of the app's %d pod(s): node drains and cluster upgrades wait on it until they time out", replicas)
	}
	switch b.UnhealthyPodEvictionPolicy {
	case "", "IfHealthyBudget", "AlwaysAllow":
	default:
		c.errorf(f+".unhealthyPodEvictionPolicy", "use IfHealthyBudget or AlwaysAllow", "%q is not supported", clip(b.UnhealthyPodEvictionPolicy))
	}
	if b.MinAvailable == "" && b.MaxUnavailable == "" {
		c.warnf(f, "add minAvailable or maxUnavailable", "a budget with neither minAvailable nor maxUnavailable allows every eviction")
	}
}

// sleepSeconds recognises a stop command that only sleeps ([sleep, "5"], [/bin/sleep, 5s]).
func sleepSeconds(cmd []string) (int, bool) {
	if len(cmd) != 2 || (cmd[0] != "sleep" && !strings.HasSuffix(cmd[0], "/sleep")) {
		return 0, false
	}
	if n, err := strconv.Atoi(cmd[1]); err == nil {
		return n, true
	}
	if d, err := time.ParseDuration(cmd[1]); err == nil {
		return int(d / time.Second), true
	}
	return 0, false
}

package spec

import (
	"strings"
	"testing"
)

// TestSchedulingRules: affinity, topology spread, the Deployment's history and readiness,
// the disruption budget and devices follow the API server's own rules, each message at its
// line. An empty want means the spec is valid on Kubernetes.
func TestSchedulingRules(t *testing.T) {
	aff := func(s string) string { return base + "eks:\n  affinity:\n" + s }
	cases := []struct{ name, src, want string }{
		{"an operator Kubernetes lacks", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Includes, values: [a]}]}]\n"), "shipit.yaml:15:71: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: [eks] \"Includes\" is not a valid selector operator (use In, NotIn, Exists, DoesNotExist, Gt or Lt)"},
		{"In without values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In}]}]\n"), "shipit.yaml:15:49: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: [eks] must be specified when `operator` is 'In' or 'NotIn' (list the values to match)"},
		{"Exists with values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Exists, values: [a]}]}]\n"), "shipit.yaml:15:79: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: [eks] may not be specified when `operator` is 'Exists' or 'DoesNotExist' (remove values)"},
		{"Gt with two values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ['4', '8']}]}]\n"), "shipit.yaml:15:76: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: [eks] must be specified single value when `operator` is 'Lt' or 'Gt' (give one integer value)"},
		{"a required value that is no label value", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [eu west]}]}]\n"), "shipit.yaml:15:84: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: [eks] \"eu west\" is not a label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
		{"a preferred value that is no label value is Kubernetes' business", aff("    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - {weight: 1, preference: {matchExpressions: [{key: zone, operator: In, values: [eu west]}]}}\n"), ""},
		{"no node selector term", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}\n"), "shipit.yaml:14:56: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: [eks] must have at least one node selector term (add a term with matchExpressions)"},
		{"a field other than the node's name", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchFields: [{key: metadata.uid, operator: In, values: [a]}]}]\n"), "shipit.yaml:15:50: eks.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: [eks] \"metadata.uid\" is not a valid field selector key (use metadata.name)"},
		{"weight 0", aff("    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {}}]\n"), "shipit.yaml:14:66: eks.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: [eks] 0 is not a weight: must be in the range 1-100"},
		{"weight 101 on a pod term", aff("    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]\n"), "shipit.yaml:14:66: eks.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: [eks] 101 is not a weight: must be in the range 1-100"},
		{"a pod term without a topology key", aff("    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: db}}}]\n"), "shipit.yaml:14:56: eks.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: [eks] required (e.g. kubernetes.io/hostname (one per node) or topology.kubernetes.io/zone)"},
		{"matchLabelKeys without a selector", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, matchLabelKeys: [pod-template-hash]}]\n"), "shipit.yaml:14:94: eks.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys: [eks] must not be specified when labelSelector is not set (add a labelSelector)"},
		{"a selector operator Kubernetes lacks", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}}]\n"), "shipit.yaml:14:150: eks.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator: [eks] \"Gt\" is not a valid label selector operator (use In, NotIn, Exists or DoesNotExist)"},
		{"a bad namespace", aff("    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, namespaces: [Shop]}]\n"), "shipit.yaml:14:107: eks.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces[0]: [eks] \"Shop\" is not a namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
		{"spread: maxSkew 0", base + "eks: {topologySpread: [{maxSkew: 0, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}]}\n", "shipit.yaml:11:34: eks.topologySpread[0].maxSkew: [eks] 0 is not a skew: must be greater than zero (e.g. maxSkew: 1)"},
		{"spread: no whenUnsatisfiable", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone}]}\n", "shipit.yaml:11:24: eks.topologySpread[0].whenUnsatisfiable: [eks] required (DoNotSchedule (a pod waits rather than break the spread) or ScheduleAnyway (a preference))"},
		{"spread: minDomains with ScheduleAnyway", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 3}]}\n", "shipit.yaml:11:126: eks.topologySpread[0].minDomains: [eks] can only use minDomains if whenUnsatisfiable=DoNotSchedule (set whenUnsatisfiable: DoNotSchedule, or remove minDomains)"},
		{"spread: one constraint twice", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}, {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}\n", "shipit.yaml:11:91: eks.topologySpread[1]: [eks] duplicates {zone, DoNotSchedule} of topologySpread[0] (keep one constraint per topologyKey and whenUnsatisfiable)"},
		{"spread: a policy Kubernetes lacks", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Respect}]}\n", "shipit.yaml:11:108: eks.topologySpread[0].nodeTaintsPolicy: [eks] \"Respect\" is not supported (use Honor or Ignore)"},
		{"spread: matchLabelKeys naming the selector's own key", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, matchLabelKeys: [app.kubernetes.io/name]}]}\n", "shipit.yaml:11:107: eks.topologySpread[0].matchLabelKeys[0]: [eks] \"app.kubernetes.io/name\" exists in both matchLabelKeys and labelSelector: the pods carry it, so Kubernetes would refuse every pod (drop it from matchLabelKeys or from the labelSelector)"},
		{"matchLabelKeys naming a selector key the pods do not carry", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: db}}, matchLabelKeys: [app]}]}\n", ""},
		{"spread across zones, per revision", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, minDomains: 3, matchLabelKeys: [pod-template-hash]}]}\n", ""},
		{"minReadySeconds as long as the rollout timeout", base + "rollout: {timeout: 60s}\neks: {minReadySeconds: 60}\n", "shipit.yaml:12:24: eks.minReadySeconds: [eks] 60s is not shorter than rollout.timeout (60s, the Deployment's progress deadline): no pod could ever become available in time (lower it below 60 seconds, or raise rollout.timeout)"},
		{"minReadySeconds negative", base + "eks: {minReadySeconds: -1}\n", "shipit.yaml:11:24: eks.minReadySeconds: [eks] -1 is not a number of seconds Kubernetes holds (0–2147483647)"},
		{"revisionHistoryLimit past int32", base + "eks: {revisionHistoryLimit: 4294967296}\n", "shipit.yaml:11:29: eks.revisionHistoryLimit: [eks] 4294967296 is not a number of ReplicaSets Kubernetes keeps (0–2147483647)"},
		{"a budget with both", base + "eks: {disruptionBudget: {minAvailable: 1, maxUnavailable: 1}}\n", "shipit.yaml:11:59: eks.disruptionBudget.maxUnavailable: [eks] minAvailable and maxUnavailable cannot be both set (keep one of minAvailable and maxUnavailable)"},
		{"a budget over 100%", base + "eks: {disruptionBudget: {maxUnavailable: 150%}}\n", "shipit.yaml:11:42: eks.disruptionBudget.maxUnavailable: [eks] 150% must not be greater than 100%"},
		{"a budget below 0", base + "eks: {disruptionBudget: {minAvailable: -1}}\n", "shipit.yaml:11:40: eks.disruptionBudget.minAvailable: [eks] \"-1\" is not a count of pods (0–2147483647) or a percentage (a count such as 1 or a percentage such as \"50%\")"},
		{"a budget past int32", base + "eks: {disruptionBudget: {minAvailable: 2147483648}}\n", "shipit.yaml:11:40: eks.disruptionBudget.minAvailable: [eks] \"2147483648\" is not a count of pods (0–2147483647) or a percentage (a count such as 1 or a percentage such as \"50%\")"},
		{"an eviction policy Kubernetes lacks", base + "eks: {disruptionBudget: {maxUnavailable: 1, unhealthyPodEvictionPolicy: Never}}\n", "shipit.yaml:11:73: eks.disruptionBudget.unhealthyPodEvictionPolicy: [eks] \"Never\" is not supported (use IfHealthyBudget or AlwaysAllow)"},
		{"a budget of 0 unavailable percent is valid", base + "replicas: 4\neks: {disruptionBudget: {maxUnavailable: 25%}}\n", ""},
		{"an extended resource without a domain", base + "eks: {extendedResources: {gpu: 1}}\n", "shipit.yaml:11:32: eks.extendedResources.gpu: [eks] \"gpu\" is not an extended resource name (a qualified name with a domain outside kubernetes.io) (use the device plugin's name, such as aws.amazon.com/neuron or vpc.amazonaws.com/pod-eni)"},
		{"an extended resource in kubernetes.io", base + "eks: {extendedResources: {example.kubernetes.io/dev: 1}}\n", "shipit.yaml:11:54: eks.extendedResources.example.kubernetes.io/dev: [eks] \"example.kubernetes.io/dev\" is not an extended resource name (a qualified name with a domain outside kubernetes.io) (use the device plugin's name, such as aws.amazon.com/neuron or vpc.amazonaws.com/pod-eni)"},
		{"an extended resource below 0", base + "eks: {extendedResources: {aws.amazon.com/neuron: -1}}\n", "shipit.yaml:11:50: eks.extendedResources.aws.amazon.com/neuron: [eks] -1 is not a quantity (0 or more)"},
		{"a GPU said twice", base + "limits: {gpu: 1}\neks: {extendedResources: {nvidia.com/gpu: 1}}\n", "shipit.yaml:12:43: eks.extendedResources.nvidia.com/gpu: [eks] limits.gpu asks for nvidia.com/gpu too (keep one of limits.gpu and eks.extendedResources.nvidia.com/gpu)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := load(t, c.src, nil, "")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			errs, _ := app.Validate(TargetEKS)
			got := ""
			if len(errs) > 0 {
				got = errs.Error()
			}
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestSchedulingLoadErrors: the affinity block decodes strictly (a misspelt Kubernetes field
// is an unknown field at its line, never a rule silently dropped), and the numbers are numbers.
func TestSchedulingLoadErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"a misspelt affinity field", base + "eks:\n  affinity:\n    nodeAffinity:\n      requiredDuringScheduling: {nodeSelectorTerms: []}\n", "shipit.yaml:14:7: eks.affinity.nodeAffinity.requiredDuringScheduling: unknown field (known fields: preferredDuringSchedulingIgnoredDuringExecution, requiredDuringSchedulingIgnoredDuringExecution)"},
		{"a field of another kind", base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelectors: {}}]}\n", "shipit.yaml:11:90: eks.topologySpread[0].labelSelectors: unknown field (did you mean labelSelector?)"},
		{"a word for a count", base + "eks: {minReadySeconds: ten}\n", "shipit.yaml:11:24: eks.minReadySeconds: expected a whole number, got \"ten\""},
		{"a negative GPU count", base + "limits: {gpu: -1}\n", "shipit.yaml:11:15: limits.gpu: -1 is not a number of GPUs (a whole number of GPUs, such as 1)"},
		{"an empty stop command", base + "stopCommand: []\n", "shipit.yaml:11:1: stopCommand: an empty command (e.g. stopCommand: [sleep, \"5\"], or remove it)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.src, nil, "")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, c.want) || c.want == "" {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestSchemaKnowsScheduling: the schema takes the scheduling fields in Kubernetes' shape and
// refuses what the loader refuses (a misspelt affinity field, an unknown spread policy).
func TestSchemaKnowsScheduling(t *testing.T) {
	s := compileSchema(t)
	good := base + `stopCommand: [sleep, "5"]
limits: {gpu: 1}
eks:
  minReadySeconds: 10
  revisionHistoryLimit: 5
  topologySpread: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, matchLabelKeys: [pod-template-hash]}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - {weight: 100, podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}}
  disruptionBudget: {minAvailable: "50%", unhealthyPodEvictionPolicy: AlwaysAllow}
  extendedResources: {aws.amazon.com/neuron: 1}
`
	if err := schemaCheck(t, s, []byte(good)); err != nil {
		t.Errorf("schema refused the scheduling fields: %v", err)
	}
	if _, err := load(t, good, nil, ""); err != nil {
		t.Errorf("load: %v", err)
	}
	for _, bad := range []string{
		base + "eks: {affinity: {nodeAffinity: {requiredDuringScheduling: {nodeSelectorTerms: []}}}}\n",
		base + "eks: {topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Respect}]}\n",
		base + "eks: {disruptionBudget: {maxUnavailable: 1, unhealthyPodEvictionPolicy: Never}}\n",
		base + "limits: {gpu: many}\n",
	} {
		if err := schemaCheck(t, s, []byte(bad)); err == nil {
			t.Errorf("schema accepted:\n%s", bad)
		}
	}
}

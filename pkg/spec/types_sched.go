package spec

// Scheduling, disruption and device fields (Kubernetes): affinity in Kubernetes' own shape, so
// a manifest's block can be copied as it is, and strictly decoded, so a typo is an unknown
// field at its line rather than a rule the scheduler silently never sees.

// Limits caps the app container below what the task leaves it (ECS container memory,
// Kubernetes limits); default: all of it. GPU asks for whole NVIDIA GPUs (Kubernetes
// nvidia.com/gpu; Fargate has none, so ECS refuses it).
type Limits struct {
	CPU    string `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	GPU    int    `yaml:"gpu,omitempty" json:"gpu,omitempty"`
	// EphemeralStorage is the container's local disk limit (Kubernetes ephemeral-storage);
	// EKS only, as for requests.
	EphemeralStorage string `yaml:"ephemeralStorage,omitempty" json:"ephemeralStorage,omitempty"`
}

// AsRequests is the limit's quantities in the Requests shape the shared checks and the
// ephemeral-storage render take.
func (l *Limits) AsRequests() *Requests {
	if l == nil {
		return nil
	}
	return &Requests{CPU: l.CPU, Memory: l.Memory, EphemeralStorage: l.EphemeralStorage}
}

// Affinity is a pod's affinity (Kubernetes core/v1 Affinity).
type Affinity struct {
	NodeAffinity    *NodeAffinity `yaml:"nodeAffinity,omitempty" json:"nodeAffinity,omitempty"`
	PodAffinity     *PodAffinity  `yaml:"podAffinity,omitempty" json:"podAffinity,omitempty"`
	PodAntiAffinity *PodAffinity  `yaml:"podAntiAffinity,omitempty" json:"podAntiAffinity,omitempty"`
}

// NodeAffinity is core/v1 NodeAffinity.
type NodeAffinity struct {
	Required  *NodeSelector             `yaml:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	Preferred []PreferredSchedulingTerm `yaml:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// NodeSelector is core/v1 NodeSelector: the terms are ORed.
type NodeSelector struct {
	Terms []NodeSelectorTerm `yaml:"nodeSelectorTerms" json:"nodeSelectorTerms"`
}

// NodeSelectorTerm is core/v1 NodeSelectorTerm: the requirements are ANDed.
type NodeSelectorTerm struct {
	MatchExpressions []Requirement `yaml:"matchExpressions,omitempty" json:"matchExpressions,omitempty"`
	MatchFields      []Requirement `yaml:"matchFields,omitempty" json:"matchFields,omitempty"`
}

// Requirement is a selector requirement (core/v1 NodeSelectorRequirement, meta/v1
// LabelSelectorRequirement).
type Requirement struct {
	Key      string   `yaml:"key" json:"key"`
	Operator string   `yaml:"operator" json:"operator"`
	Values   []string `yaml:"values,omitempty" json:"values,omitempty"`
}

// PreferredSchedulingTerm is core/v1 PreferredSchedulingTerm.
type PreferredSchedulingTerm struct {
	Weight     int              `yaml:"weight" json:"weight"`
	Preference NodeSelectorTerm `yaml:"preference" json:"preference"`
}

// PodAffinity is core/v1 PodAffinity (and PodAntiAffinity, the same shape).
type PodAffinity struct {
	Required  []PodAffinityTerm         `yaml:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	Preferred []WeightedPodAffinityTerm `yaml:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// PodAffinityTerm is core/v1 PodAffinityTerm.
type PodAffinityTerm struct {
	LabelSelector     *LabelSelector `yaml:"labelSelector,omitempty" json:"labelSelector,omitempty"`
	Namespaces        []string       `yaml:"namespaces,omitempty" json:"namespaces,omitempty"`
	NamespaceSelector *LabelSelector `yaml:"namespaceSelector,omitempty" json:"namespaceSelector,omitempty"`
	TopologyKey       string         `yaml:"topologyKey" json:"topologyKey"`
	MatchLabelKeys    []string       `yaml:"matchLabelKeys,omitempty" json:"matchLabelKeys,omitempty"`
	MismatchLabelKeys []string       `yaml:"mismatchLabelKeys,omitempty" json:"mismatchLabelKeys,omitempty"`
}

// WeightedPodAffinityTerm is core/v1 WeightedPodAffinityTerm.
type WeightedPodAffinityTerm struct {
	Weight          int             `yaml:"weight" json:"weight"`
	PodAffinityTerm PodAffinityTerm `yaml:"podAffinityTerm" json:"podAffinityTerm"`
}

// LabelSelector is meta/v1 LabelSelector.
type LabelSelector struct {
	MatchLabels      map[string]string `yaml:"matchLabels,omitempty" json:"matchLabels,omitempty"`
	MatchExpressions []Requirement     `yaml:"matchExpressions,omitempty" json:"matchExpressions,omitempty"`
}

// TopologySpread is one core/v1 TopologySpreadConstraint. LabelSelector defaults to the app's
// own selector (spread this app's replicas), which is what a Deployment's constraint almost
// always says.
type TopologySpread struct {
	MaxSkew            int            `yaml:"maxSkew" json:"maxSkew"`
	TopologyKey        string         `yaml:"topologyKey" json:"topologyKey"`
	WhenUnsatisfiable  string         `yaml:"whenUnsatisfiable" json:"whenUnsatisfiable"`
	LabelSelector      *LabelSelector `yaml:"labelSelector,omitempty" json:"labelSelector,omitempty"`
	MinDomains         *int           `yaml:"minDomains,omitempty" json:"minDomains,omitempty"`
	NodeAffinityPolicy string         `yaml:"nodeAffinityPolicy,omitempty" json:"nodeAffinityPolicy,omitempty"`
	NodeTaintsPolicy   string         `yaml:"nodeTaintsPolicy,omitempty" json:"nodeTaintsPolicy,omitempty"`
	MatchLabelKeys     []string       `yaml:"matchLabelKeys,omitempty" json:"matchLabelKeys,omitempty"`
}

// DisruptionBudget is a policy/v1 PodDisruptionBudget's spec for the app's pods: one of
// minAvailable and maxUnavailable, each a count or a percentage ("50%").
type DisruptionBudget struct {
	MinAvailable   string `yaml:"minAvailable,omitempty" json:"minAvailable,omitempty"`
	MaxUnavailable string `yaml:"maxUnavailable,omitempty" json:"maxUnavailable,omitempty"`
	// UnhealthyPodEvictionPolicy is IfHealthyBudget (Kubernetes' default) or AlwaysAllow (a
	// pod that is not ready may always be evicted, so a broken pod never blocks a drain).
	UnhealthyPodEvictionPolicy string `yaml:"unhealthyPodEvictionPolicy,omitempty" json:"unhealthyPodEvictionPolicy,omitempty"`
}

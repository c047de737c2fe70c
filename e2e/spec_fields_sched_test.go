//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/shipit-dev/shipit/e2e/harness"
	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// Scheduling, disruption, the stop hook and devices, deployed to the sandbox's real
// kube-apiserver and kube-scheduler and read back with kubectl: what the API server stores
// (its validation accepted shipit's render), what the scheduler did with it, and the
// PodDisruptionBudget's life through deploy, diff, status, prune and destroy.

// The sandbox's nodes are labelled type: kwok (e2e/sandbox/k8s.sh), one per hostname.
const schedFields = `stopCommand: [sleep, "2"]
stopGrace: 10s
`

const schedEKS = `  minReadySeconds: 2
  revisionHistoryLimit: 2
  topologySpread:
    - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, matchLabelKeys: [pod-template-hash]}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: type, operator: In, values: [kwok]}]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            labelSelector: {matchLabels: {app.kubernetes.io/name: web}}
            topologyKey: kubernetes.io/hostname
  disruptionBudget: {minAvailable: 1}
`

func schedApp(t *testing.T, ns, image, eksExtra string) string {
	t.Helper()
	spec := eksApp(t, ns, image, schedFields)
	return rewrite(t, spec, "eks: {namespace: "+ns+"}\n", "eks:\n  namespace: "+ns+"\n"+eksExtra)
}

func TestEKSSchedulingReadBack(t *testing.T) {
	ns := harness.Namespace(t)
	spec := schedApp(t, ns, "registry.local/web:v1", schedEKS)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The verdict waited for the pods to be available (ready for minReadySeconds), not only
	// ready: at its success the controller already counts all three available.
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.status.availableReplicas}/{.status.readyReplicas}"); got != "3/3" {
		t.Errorf("available/ready right after a successful deploy = %q, want 3/3", got)
	}
	var d struct {
		Spec struct {
			MinReadySeconds      int
			RevisionHistoryLimit *int
			Template             struct {
				Spec struct {
					TerminationGracePeriodSeconds int
					Affinity                      struct {
						NodeAffinity struct {
							RequiredDuringSchedulingIgnoredDuringExecution struct {
								NodeSelectorTerms []struct {
									MatchExpressions []struct {
										Key, Operator string
										Values        []string
									}
								}
							}
						}
						PodAntiAffinity struct {
							PreferredDuringSchedulingIgnoredDuringExecution []struct {
								Weight          int
								PodAffinityTerm struct{ TopologyKey string }
							}
						}
					}
					TopologySpreadConstraints []struct {
						MaxSkew           int
						TopologyKey       string
						WhenUnsatisfiable string
						MatchLabelKeys    []string
						LabelSelector     struct{ MatchLabels map[string]string }
					}
					Containers []struct {
						Lifecycle struct {
							PreStop struct{ Exec struct{ Command []string } }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Spec.MinReadySeconds != 2 || d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit != 2 {
		t.Errorf("minReadySeconds %d, revisionHistoryLimit %v", d.Spec.MinReadySeconds, d.Spec.RevisionHistoryLimit)
	}
	ps := d.Spec.Template.Spec
	terms := ps.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 1 || terms[0].MatchExpressions[0].Key != "type" || strings.Join(terms[0].MatchExpressions[0].Values, ",") != "kwok" {
		t.Errorf("node affinity: %+v", terms)
	}
	if pa := ps.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution; len(pa) != 1 || pa[0].Weight != 100 || pa[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("pod anti-affinity: %+v", pa)
	}
	tsc := ps.TopologySpreadConstraints
	if len(tsc) != 1 || tsc[0].MaxSkew != 1 || tsc[0].WhenUnsatisfiable != "DoNotSchedule" || tsc[0].LabelSelector.MatchLabels["app.kubernetes.io/name"] != "web" ||
		strings.Join(tsc[0].MatchLabelKeys, ",") != "pod-template-hash" {
		t.Errorf("topology spread (selector defaulting to the app's): %+v", tsc)
	}
	if len(ps.Containers) == 0 || strings.Join(ps.Containers[0].Lifecycle.PreStop.Exec.Command, " ") != "sleep 2" || ps.TerminationGracePeriodSeconds != 10 {
		t.Errorf("preStop / grace: %+v %d", ps.Containers, ps.TerminationGracePeriodSeconds)
	}
	// The scheduler placed every pod on a node the required affinity allows.
	if got := kubectlOut(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}"); strings.Count(got, "kwok-node-") != 3 {
		t.Errorf("pods' nodes: %q", got)
	}

	// The PodDisruptionBudget: policy/v1, the app's selector, and the disruption controller's
	// verdict on it (3 healthy, 1 needed: 2 evictions allowed).
	var pdb struct {
		Metadata struct{ Labels map[string]string }
		Spec     struct {
			MinAvailable any
			Selector     struct{ MatchLabels map[string]string }
		}
		Status struct{ DisruptionsAllowed, CurrentHealthy, ExpectedPods int }
	}
	waitFor(t, 30*time.Second, func() bool {
		if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "poddisruptionbudgets.v1.policy", "web", "-o", "json")), &pdb); err != nil {
			t.Fatal(err)
		}
		return pdb.Status.ExpectedPods == 3 && pdb.Status.CurrentHealthy == 3
	})
	if pdb.Spec.MinAvailable != float64(1) || pdb.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != "web" || pdb.Metadata.Labels["app.kubernetes.io/managed-by"] != "shipit" || pdb.Status.DisruptionsAllowed != 2 {
		t.Errorf("pdb: %+v", pdb)
	}
	r := runShipit(t, "status", "--target", "eks", "-f", spec)
	if r.code != 0 || !strings.Contains(r.stdout, "disruption budget: PodDisruptionBudget/web: minAvailable 1; 3 of 3 pods healthy (1 needed), 2 disruption(s) allowed") {
		t.Errorf("status: exit %d\n%s", r.code, r.stdout)
	}
	if r := runShipit(t, "diff", "--target", "eks", "-f", spec); r.code != 0 {
		t.Errorf("diff right after the deploy: exit %d\n%s", r.code, r.stdout)
	}

	// Another budget shows in diff and is applied; no budget at all shows as its deletion
	// and is pruned by the deploy.
	maxOne := schedApp(t, ns, "registry.local/web:v1", strings.Replace(schedEKS, "{minAvailable: 1}", "{maxUnavailable: 1}", 1))
	if r := runShipit(t, "diff", "--target", "eks", "-f", maxOne); r.code != 6 || !strings.Contains(r.stdout, "+++ shipit/PodDisruptionBudget/web") || !strings.Contains(r.stdout, "+  maxUnavailable: 1") {
		t.Errorf("diff to maxUnavailable: exit %d\n%s", r.code, r.stdout)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", maxOne); r.code != 0 {
		t.Fatalf("deploy maxUnavailable: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "pdb", "web", "-o", "jsonpath={.spec.maxUnavailable}/{.spec.minAvailable}"); got != "1/" {
		t.Errorf("pdb after maxUnavailable: %q", got)
	}
	noBudget := schedApp(t, ns, "registry.local/web:v1", strings.Replace(schedEKS, "  disruptionBudget: {minAvailable: 1}\n", "", 1))
	if r := runShipit(t, "diff", "--target", "eks", "-f", noBudget); r.code != 6 || !strings.Contains(r.stdout, "--- live/PodDisruptionBudget/web") || !strings.Contains(r.stdout, "-kind: PodDisruptionBudget") {
		t.Errorf("diff without the budget: exit %d\n%s", r.code, r.stdout)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", noBudget); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "PodDisruptionBudget/web") {
		t.Fatalf("deploy without the budget: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "pdb", "-o", "name"); got != "" {
		t.Errorf("the budget was not pruned: %q", got)
	}

	// Destroy deletes a budget with the rest.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy with the budget again: exit %d", r.code)
	}
	r = runShipit(t, "destroy", "--target", "eks", "-f", spec, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "PodDisruptionBudget/web") {
		t.Fatalf("destroy: exit %d\n%s", r.code, r.stdout)
	}
	if got := kubectlOut(t, "-n", ns, "get", "pdb,deploy", "-o", "name"); got != "" {
		t.Errorf("left after destroy: %q", got)
	}
}

// TestEKSGPUReachesTheScheduler: a GPU limit is stored as nvidia.com/gpu (requests equal to
// limits), and the scheduler holds the pods because no sandbox node offers one.
func TestEKSGPUReachesTheScheduler(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "limits: {gpu: 1}\n")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec, "--no-wait"); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", `jsonpath={.spec.template.spec.containers[0].resources.limits.nvidia\.com/gpu}/{.spec.template.spec.containers[0].resources.requests.nvidia\.com/gpu}`); got != "1/1" {
		t.Errorf("nvidia.com/gpu limit/request = %q", got)
	}
	var msg string
	waitFor(t, 30*time.Second, func() bool {
		msg = kubectlOut(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}`)
		return strings.Contains(msg, "Insufficient nvidia.com/gpu")
	})
	if got := kubectlOut(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", "jsonpath={.items[*].spec.nodeName}"); got != "" {
		t.Errorf("a pod asking for a GPU was placed on %q", got)
	}
	// The same spec is refused for ECS before anything is written.
	r := runShipit(t, "validate", "--target", "ecs", "-f", spec)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "ECS on Fargate does not support GPU resourceRequirements") {
		t.Errorf("validate for ECS: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEKSRollbackWithoutHistory: revisionHistoryLimit 0 leaves no old ReplicaSet once a
// rollout completes, and `shipit rollback` says that this is why it cannot roll back.
func TestEKSRollbackWithoutHistory(t *testing.T) {
	ns := harness.Namespace(t)
	extra := "eks: {namespace: " + ns + ", revisionHistoryLimit: 0}\n"
	var spec string
	for _, img := range []string{"registry.local/web:v1", "registry.local/web:v2"} {
		spec = rewrite(t, eksApp(t, ns, img, ""), "eks: {namespace: "+ns+"}\n", extra)
		if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
			t.Fatalf("deploy %s: exit %d\n%s", img, r.code, r.stderr)
		}
	}
	// The controller deletes the old ReplicaSet once the rollout is complete.
	waitFor(t, 30*time.Second, func() bool { return replicaSets(t, ns) == 1 })
	r := runShipit(t, "rollback", "--target", "eks", "-f", spec)
	if r.code == 0 || !strings.Contains(r.stderr, "keeps no old revisions (eks.revisionHistoryLimit: 0)") {
		t.Errorf("rollback: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v2" {
		t.Errorf("after the refused rollback: %q", got)
	}
	// An automatic rollback still works: a failing rollout is not complete, so the controller
	// keeps the old ReplicaSet (as the validation warning says).
	bad := rewrite(t, eksApp(t, ns, "registry.local/web:crash-loop", ""), "eks: {namespace: "+ns+"}\n", extra)
	if r := runShipit(t, "deploy", "--target", "eks", "-f", bad); r.code != 4 || !strings.Contains(r.stdout, "rolled back to revision 2") {
		t.Fatalf("crash loop with no history: exit %d, want 4 (rolled back)\n%s", r.code, r.stdout)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.local/web:v2" {
		t.Errorf("after the automatic rollback: %q", got)
	}
}

// TestEKSSchedulingRulesMatchTheAPIServer: shipit's scheduling rules are the API server's,
// never stricter nor looser. Each spec is validated by shipit, then rendered regardless and
// dry-run applied to the sandbox's kube-apiserver: what shipit refuses, the API server refuses
// (or, where it takes the Deployment, refuses every pod of it), and what shipit accepts, it
// accepts.
func TestEKSSchedulingRulesMatchTheAPIServer(t *testing.T) {
	ns := harness.Namespace(t)
	const (
		ok     = "accepted"
		server = "refused by the API server"
		pods   = "Deployment accepted, every pod refused"
	)
	aff := func(s string) string { return "  affinity:\n" + s }
	cases := []struct{ name, eks, extra, want string }{
		{"operator Includes", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Includes, values: [a]}]}]\n"), "", server},
		{"In without values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In}]}]\n"), "", server},
		{"Exists with values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Exists, values: [a]}]}]\n"), "", server},
		{"Gt with two values", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ['4', '8']}]}]\n"), "", server},
		{"Gt with one value", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ['4']}]}]\n"), "", ok},
		{"a required value that is no label value", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [eu west]}]}]\n"), "", server},
		{"a preferred value that is no label value", aff("    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - {weight: 1, preference: {matchExpressions: [{key: zone, operator: In, values: [eu west]}]}}\n"), "", ok},
		{"no node selector term", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}\n"), "", server},
		{"a node field other than the name", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchFields: [{key: metadata.uid, operator: In, values: [a]}]}]\n"), "", server},
		{"the node's name", aff("    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [kwok-node-0]}]}]\n"), "", ok},
		{"weight 0", aff("    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {}}]\n"), "", server},
		{"weight 101", aff("    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]\n"), "", server},
		{"no topology key", aff("    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: db}}}]\n"), "", server},
		{"matchLabelKeys without a selector", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, matchLabelKeys: [pod-template-hash]}]\n"), "", server},
		{"matchLabelKeys naming the selector's key", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app.kubernetes.io/name: web}}, matchLabelKeys: [app.kubernetes.io/name]}]\n"), "", pods},
		{"matchLabelKeys naming a selector key the pods lack", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}, matchLabelKeys: [app]}]\n"), "", ok},
		{"matchLabelKeys and mismatchLabelKeys", aff("    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 10, podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}, namespaceSelector: {}, matchLabelKeys: [pod-template-hash], mismatchLabelKeys: [tenant]}}]\n"), "", ok},
		{"a selector operator Gt", aff("    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}}]\n"), "", server},
		{"a namespace that is no name", aff("    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, namespaces: [Shop]}]\n"), "", server},
		{"spread maxSkew 0", "  topologySpread: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]\n", "", server},
		{"spread without whenUnsatisfiable", "  topologySpread: [{maxSkew: 1, topologyKey: zone}]\n", "", server},
		{"spread minDomains with ScheduleAnyway", "  topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 3}]\n", "", server},
		{"spread twice", "  topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}, {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]\n", "", server},
		{"spread policy Respect", "  topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Respect}]\n", "", server},
		{"spread matchLabelKeys naming the selector's key", "  topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, matchLabelKeys: [app.kubernetes.io/name]}]\n", "", pods},
		{"spread per revision", "  topologySpread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 3, matchLabelKeys: [pod-template-hash], nodeAffinityPolicy: Ignore}]\n", "", ok},
		{"minReadySeconds as long as the progress deadline", "  minReadySeconds: 60\n", "rollout: {timeout: 60s}\n", server},
		{"minReadySeconds just below it", "  minReadySeconds: 59\n", "rollout: {timeout: 60s}\n", ok},
		{"minReadySeconds -1", "  minReadySeconds: -1\n", "", server},
		{"revisionHistoryLimit -1", "  revisionHistoryLimit: -1\n", "", server},
		{"revisionHistoryLimit 0", "  revisionHistoryLimit: 0\n", "", ok},
		{"a budget with both", "  disruptionBudget: {minAvailable: 1, maxUnavailable: 1}\n", "", server},
		{"a budget over 100%", "  disruptionBudget: {maxUnavailable: 150%}\n", "", server},
		{"a budget of 100%", "  disruptionBudget: {minAvailable: 100%}\n", "", ok},
		{"a budget of 0", "  disruptionBudget: {maxUnavailable: 0, unhealthyPodEvictionPolicy: AlwaysAllow}\n", "", ok},
		{"an eviction policy Never", "  disruptionBudget: {maxUnavailable: 1, unhealthyPodEvictionPolicy: Never}\n", "", server},
		{"an extended resource without a domain", "  extendedResources: {gpu: 1}\n", "", server},
		{"an extended resource below 0", "  extendedResources: {aws.amazon.com/neuron: -1}\n", "", server},
		{"an extended resource of 0", "  extendedResources: {aws.amazon.com/neuron: 0}\n", "", ok},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf("version: 1\nname: web\nimage: registry.local/web:v1\nport: 80\nreplicas: 1\n%seks:\n  namespace: %s\n%s", c.extra, ns, c.eks)
			app, err := spec.Parse("shipit.yaml", []byte(src), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			errs, _ := app.Validate(spec.TargetEKS)
			if (len(errs) == 0) != (c.want == ok) {
				t.Errorf("shipit: %v, want %s", errs, c.want)
			}
			var objs []runtime.Object
			rendered, err := eks.Render(app)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			for _, o := range rendered {
				if k := o.GetObjectKind().GroupVersionKind().Kind; k == "Deployment" || k == "PodDisruptionBudget" {
					objs = append(objs, o)
				}
			}
			manifest, err := eks.Manifest(objs)
			if err != nil {
				t.Fatal(err)
			}
			out, err := harness.KubectlInput(t, string(manifest), "apply", "--dry-run=server", "-f", "-")
			if (err != nil) != (c.want == server) {
				t.Errorf("API server dry run: %v %s, want %s", err, out, c.want)
			}
			if c.want != pods {
				return
			}
			// Applied for real, the Deployment's ReplicaSet cannot create a single pod.
			name := strings.ToLower(strings.NewReplacer(" ", "-", "'", "").Replace(c.name))
			manifest = []byte(strings.ReplaceAll(string(manifest), "name: web\n", "name: "+name+"\n"))
			if out, err := harness.KubectlInput(t, string(manifest), "apply", "-f", "-"); err != nil {
				t.Fatalf("apply: %v %s", err, out)
			}
			waitFor(t, 30*time.Second, func() bool {
				return strings.Contains(kubectlOut(t, "-n", ns, "get", "events", "--field-selector", "reason=FailedCreate", "-o", "jsonpath={.items[*].message}"),
					"exists in both matchLabelKeys and labelSelector")
			})
			kubectlOut(t, "-n", ns, "delete", "deploy", name, "--wait=false")
		})
	}
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// `shipit import --target eks` of an app made with kubectl, then deployed with shipit: the
// same Deployment is updated in place. A deploy right after the import replaces no pod and
// makes no ReplicaSet (the pod template is the live one, field for field); a change of image
// rolls out a new ReplicaSet of that same Deployment, under the same selector.

// kubectlApp is made with kubectl apply, as a team without shipit would: a container named
// apart from the app, env in an order of its own (not sorted), a request without a limit, a
// readiness probe on a named port, a Service on port 80, a PodDisruptionBudget.
const kubectlApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop, team: checkout}
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop, tier: web}
    spec:
      containers:
        - name: server
          image: registry.local/shop:v1
          ports: [{name: http, containerPort: 8080}]
          env:
            - {name: ZONE, value: eu}
            - {name: API_URL, value: "http://api:$(PORT)"}
            - {name: PORT, value: "8080"}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: 5
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: shop}
`

// liveApp is what the test reads back with kubectl.
type liveApp struct {
	uid, generation, observed, resourceVersion, hashAnnotation, selector string
	replicaSets                                                          []string // name@uid
	pods                                                                 []string // name@uid
	env                                                                  []string
	image                                                                string
}

func readLiveApp(t *testing.T, ns string) liveApp {
	t.Helper()
	var d struct {
		Metadata struct {
			UID, ResourceVersion string
			Generation           int
			Annotations          map[string]string
		}
		Spec struct {
			Selector struct{ MatchLabels map[string]string }
			Template struct {
				Spec struct {
					Containers []struct {
						Image string
						Env   []struct{ Name string }
					}
				}
			}
		}
		Status struct{ ObservedGeneration int }
	}
	if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "deployment", "shop", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	sel, _ := json.Marshal(d.Spec.Selector.MatchLabels)
	a := liveApp{uid: d.Metadata.UID, resourceVersion: d.Metadata.ResourceVersion, hashAnnotation: d.Metadata.Annotations["shipit.dev/spec-hash"],
		generation: itoa(d.Metadata.Generation), observed: itoa(d.Status.ObservedGeneration), selector: string(sel),
		image: d.Spec.Template.Spec.Containers[0].Image}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		a.env = append(a.env, e.Name)
	}
	owned := func(kind string) []string {
		var l struct {
			Items []struct {
				Metadata struct {
					Name, UID       string
					OwnerReferences []struct{ UID string }
				}
			}
		}
		if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", kind, "-l", "app=shop", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range l.Items {
			if kind == "rs" && (len(it.Metadata.OwnerReferences) != 1 || it.Metadata.OwnerReferences[0].UID != d.Metadata.UID) {
				t.Errorf("ReplicaSet %s is not the Deployment's (owners %+v)", it.Metadata.Name, it.Metadata.OwnerReferences)
			}
			out = append(out, it.Metadata.Name+"@"+it.Metadata.UID)
		}
		slices.Sort(out)
		return out
	}
	a.replicaSets, a.pods = owned("rs"), owned("pods")
	return a
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestImportKubectlAppAndDeploy(t *testing.T) {
	ns := harness.Namespace(t)
	if out, err := harness.KubectlInput(t, kubectlApp, "-n", ns, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	kubectlOut(t, "-n", ns, "rollout", "status", "deployment/shop", "--timeout=90s")
	before := readLiveApp(t, ns)
	if len(before.replicaSets) != 1 || len(before.pods) != 2 {
		t.Fatalf("kubectl's app: %+v", before)
	}

	file := filepath.Join(t.TempDir(), "shipit.yaml")
	r := runShipit(t, "import", "--target", "eks", "-n", ns, "--deployment", "shop", "-o", file)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "wrote "+file+" for shop (from Deployment/shop in namespace "+ns) {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("import lists something as not carried:\n%s", r.stderr)
	}
	spec, _ := os.ReadFile(file)
	for _, want := range []string{"containerName: server\n", "  namespace: " + ns + "\n", "    servicePort: 80\n", "  disruptionBudget:\n    maxUnavailable: \"1\"\n"} {
		if !strings.Contains(string(spec), want) {
			t.Errorf("the imported spec has no %q:\n%s", want, spec)
		}
	}
	if r := runShipit(t, "validate", "-f", file, "--target", "eks"); r.code != 0 {
		t.Fatalf("validate: exit %d\n%s", r.code, r.stderr)
	}

	// Before the first deploy, diff shows only labels added to the objects' metadata: shipit's
	// own and the app's (the pods' labels, which shipit puts on every object); the spec hash
	// annotation is left out of diffs. Nothing is removed or changed.
	r = runShipit(t, "diff", "--target", "eks", "-f", file)
	if r.code != 6 {
		t.Fatalf("diff before the first deploy: exit %d, want 6\n%s", r.code, r.stdout)
	}
	added := []string{"+  labels:", "+    app.kubernetes.io/managed-by: shipit", "+    app.kubernetes.io/name: shop", "+    app: shop", "+    tier: web"}
	for _, l := range strings.Split(r.stdout, "\n") {
		if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") && !slices.Contains(added, l) {
			t.Errorf("diff changes more than the objects' labels: %q\n%s", l, r.stdout)
		}
	}

	// The first deploy adopts the objects: it adds shipit's labels and spec hash to their
	// metadata and leaves the pods as they are. The API server bumps a Deployment's
	// generation for a change of its annotations (it copies them to the ReplicaSets), so the
	// generation goes up by one; no ReplicaSet is made and no pod replaced.
	r = runShipit(t, "deploy", "--target", "eks", "-f", file)
	if r.code != 0 {
		t.Fatalf("deploy after import: exit %d\n%s", r.code, r.stderr)
	}
	adopted := readLiveApp(t, ns)
	switch {
	case adopted.uid != before.uid:
		t.Errorf("the Deployment was replaced: uid %s, was %s", adopted.uid, before.uid)
	case !slices.Equal(adopted.replicaSets, before.replicaSets):
		t.Errorf("ReplicaSets %v, were %v: the pod template changed", adopted.replicaSets, before.replicaSets)
	case !slices.Equal(adopted.pods, before.pods):
		t.Errorf("pods %v, were %v: pods were replaced", adopted.pods, before.pods)
	case adopted.generation != itoa(atoi(before.generation)+1) || adopted.observed != adopted.generation:
		t.Errorf("generation %s (observed %s), was %s: want one more, for the annotation", adopted.generation, adopted.observed, before.generation)
	case adopted.hashAnnotation == "":
		t.Error("the Deployment has no spec hash after the deploy")
	case strings.Join(adopted.env, ",") != "ZONE,API_URL,PORT":
		t.Errorf("env %v, want the kubectl order (API_URL uses $(PORT))", adopted.env)
	}

	// A second deploy writes nothing at all.
	r = runShipit(t, "deploy", "--target", "eks", "-f", file)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing changed") {
		t.Errorf("second deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if again := readLiveApp(t, ns); again.resourceVersion != adopted.resourceVersion || again.generation != adopted.generation {
		t.Errorf("the second deploy wrote the Deployment: resourceVersion %s → %s, generation %s → %s", adopted.resourceVersion, again.resourceVersion, adopted.generation, again.generation)
	}
	if r := runShipit(t, "diff", "--target", "eks", "-f", file); r.code != 0 {
		t.Errorf("diff after the deploy: exit %d\n%s", r.code, r.stdout)
	}

	// kubectl still owns the fields it set (server-side apply shares a field whose value two
	// managers agree on): the first deploy that changes one of them stops at the conflict,
	// naming the field and kubectl, and writes nothing; --force-conflicts takes the field over.
	v2 := rewrite(t, file, "image: registry.local/shop:v1", "image: registry.local/shop:v2")
	r = runShipit(t, "deploy", "--target", "eks", "-f", v2)
	if r.code != 1 || !strings.Contains(r.stderr, `.spec.template.spec.containers[name="server"].image: conflict with "kubectl-client-side-apply"`) || !strings.Contains(r.stderr, "nothing was applied") {
		t.Errorf("deploy v2 without --force-conflicts: exit %d, want 1 and the conflict over the image\n%s", r.code, r.stderr)
	}
	if now := readLiveApp(t, ns); now.image != "registry.local/shop:v1" || !slices.Equal(now.replicaSets, before.replicaSets) {
		t.Errorf("the refused deploy changed the app: %+v", now)
	}

	// A new image rolls out in the same Deployment: a new ReplicaSet of it, the same selector.
	r = runShipit(t, "deploy", "--target", "eks", "-f", v2, "--force-conflicts")
	if r.code != 0 {
		t.Fatalf("deploy v2: exit %d\n%s", r.code, r.stderr)
	}
	rolled := readLiveApp(t, ns)
	if rolled.uid != before.uid || rolled.selector != before.selector || rolled.image != "registry.local/shop:v2" {
		t.Errorf("after v2: uid %s (was %s), selector %s (was %s), image %s", rolled.uid, before.uid, rolled.selector, before.selector, rolled.image)
	}
	if len(rolled.replicaSets) != 2 || !slices.Contains(rolled.replicaSets, before.replicaSets[0]) {
		t.Errorf("ReplicaSets %v, want kubectl's %s and one new one", rolled.replicaSets, before.replicaSets[0])
	}
	for _, p := range rolled.pods {
		if slices.Contains(before.pods, p) {
			t.Errorf("pod %s of v1 still runs", p)
		}
	}
	if n := kubectlOut(t, "-n", ns, "get", "deployments", "-o", "name"); n != "deployment.apps/shop" {
		t.Errorf("deployments: %s", n)
	}

	// The image is shipit's now: the next change needs no --force-conflicts.
	v3 := rewrite(t, v2, "image: registry.local/shop:v2", "image: registry.local/shop:v3")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", v3); r.code != 0 {
		t.Errorf("deploy v3: exit %d\n%s", r.code, r.stderr)
	}
	if now := readLiveApp(t, ns); now.uid != before.uid || now.image != "registry.local/shop:v3" || len(now.replicaSets) != 3 {
		t.Errorf("after v3: %+v", now)
	}
}

func atoi(s string) int {
	var n int
	_ = json.Unmarshal([]byte(s), &n)
	return n
}

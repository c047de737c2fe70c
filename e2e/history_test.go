//go:build e2e

package e2e

// `shipit history` on both targets: three revisions deployed, listed newest first with their
// images, times, spec hashes and the live one, read back and cross-checked with the aws CLI
// and kubectl; then `shipit rollback --to` takes a revision as history prints it.

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// historyRev is one element of `shipit history -o json`.
type historyRev struct {
	Revision   string
	Live       bool
	State      string
	Image      string
	Containers []struct{ Name, Image string }
	Deployed   time.Time
	SpecHash   string
	ID         string
}

// readHistory runs `shipit history -o json` with args and decodes its list.
func readHistory(t *testing.T, args ...string) []historyRev {
	t.Helper()
	r := runShipit(t, append([]string{"history", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("history -o json: exit %d\n%s", r.code, r.stderr)
	}
	var revs []historyRev
	if err := json.Unmarshal([]byte(r.stdout), &revs); err != nil {
		t.Fatalf("history -o json is not a list of revisions: %v\n%s", err, r.stdout)
	}
	return revs
}

func revisionNames(revs []historyRev) []string {
	var out []string
	for _, r := range revs {
		out = append(out, r.Revision)
	}
	return out
}

// liveOnes are the revisions marked live, with their state.
func liveOnes(revs []historyRev) []string {
	var out []string
	for _, r := range revs {
		if r.Live {
			out = append(out, r.Revision+" "+r.State)
		}
	}
	return out
}

// tableRows are the rows of history's text table by revision, each split into its cells
// (two spaces or more apart), the heading and the header left out.
func tableRows(t *testing.T, stdout string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "REVISION") {
		t.Fatalf("history text has no table:\n%s", stdout)
	}
	rows := map[string][]string{}
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "(") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(l, "  ") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		rows[cells[0]] = cells
	}
	return rows
}

// wantRow checks one row of the table against the JSON element of the same revision: the
// state (when live or draining), the image (digest cut), the time and the short spec hash.
func wantRow(t *testing.T, rows map[string][]string, r historyRev, image string) {
	t.Helper()
	want := []string{r.Revision}
	if r.State != "" {
		want = append(want, r.State)
	}
	want = append(want, image, "ago ("+r.Deployed.UTC().Format("2006-01-02 15:04:05")+" UTC)", r.SpecHash[:8])
	got := rows[r.Revision]
	if len(got) != len(want) {
		t.Errorf("row %s: %q, want %d cells like %q", r.Revision, got, len(want), want)
		return
	}
	for i := range want {
		if got[i] != want[i] && !(i == len(want)-2 && strings.HasSuffix(got[i], want[i])) {
			t.Errorf("row %s cell %d: %q, want %q", r.Revision, i, got[i], want[i])
		}
	}
}

// awsTime decodes a timestamp as the aws CLI prints it: epoch seconds (CLI v1's default) or
// ISO 8601 (v2's).
func awsTime(t *testing.T, raw json.RawMessage) time.Time {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("aws CLI time %s: %v", raw, err)
		}
		return tm
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		t.Fatalf("aws CLI time %s: %v", raw, err)
	}
	return time.UnixMilli(int64(math.Round(f * 1000)))
}

// TestECSHistory: three revisions of the test's cluster (and one of another cluster's, in the
// same family), listed newest first and matched with describe-task-definition; a rollout in
// progress shows as rolling out and draining; rollback --to takes a revision as printed.
func TestECSHistory(t *testing.T) {
	a := newECSApp(t, ecsFast)
	other := a.cluster + "-other"
	a.createCluster(other)
	var specs []string
	for i, img := range []string{a.ecrImage("web", "v1", '1'), a.ecrImage("web", "v2", '2'), "", a.ecrImage("web", "v3", '3')} {
		if img == "" { // web:3 is the other cluster's
			a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.27", Cluster: other})).wantExit(t, 0)
			continue
		}
		specs = append(specs, a.spec(ecsSpec{Image: img}))
		a.run("deploy", "-f", specs[len(specs)-1]).wantExit(t, 0, fmt.Sprintf("web:%d", i+1))
	}
	v3 := specs[2]

	var listed struct{ TaskDefinitionArns []string }
	awsCLI(t, ecsRegion, &listed, "ecs", "list-task-definitions", "--family-prefix", "web", "--status", "ACTIVE")
	if len(listed.TaskDefinitionArns) != 4 {
		t.Fatalf("list-task-definitions: %v, want web:1-4", listed.TaskDefinitionArns)
	}
	revs := readHistory(t, "--target", "ecs", "-f", v3)
	if got := strings.Join(revisionNames(revs), " "); got != "web:4 web:2 web:1" {
		t.Fatalf("history lists %s, want web:4 web:2 web:1 (web:3 is cluster %s's)", got, other)
	}
	if got := liveOnes(revs); !slices.Equal(got, []string{"web:4 live"}) {
		t.Errorf("live: %q, want web:4 live", got)
	}
	for i, r := range revs {
		var td struct {
			TaskDefinition struct {
				TaskDefinitionArn    string
				RegisteredAt         json.RawMessage
				ContainerDefinitions []struct{ Name, Image string }
			}
			Tags []struct{ Key, Value string }
		}
		awsCLI(t, ecsRegion, &td, "ecs", "describe-task-definition", "--task-definition", r.Revision, "--include", "TAGS")
		digit := map[string]byte{"web:4": '3', "web:2": '2', "web:1": '1'}[r.Revision]
		img := td.TaskDefinition.ContainerDefinitions[0].Image
		if r.Image != img || !strings.HasSuffix(img, "@"+ecsDigest(digit)) || r.ID != td.TaskDefinition.TaskDefinitionArn ||
			len(r.Containers) != 1 || r.Containers[0].Image != img {
			t.Errorf("%s: image %s, containers %+v, id %s; describe-task-definition: %s, %s", r.Revision, r.Image, r.Containers, r.ID, img, td.TaskDefinition.TaskDefinitionArn)
		}
		if at := awsTime(t, td.TaskDefinition.RegisteredAt); r.Deployed.Sub(at).Abs() >= time.Millisecond {
			t.Errorf("%s: deployed %s, registeredAt %s", r.Revision, r.Deployed, at)
		}
		hash := ""
		for _, tg := range td.Tags {
			if tg.Key == "shipit.dev/spec-hash" {
				hash = tg.Value
			}
		}
		if r.SpecHash == "" || r.SpecHash != hash {
			t.Errorf("%s: spec hash %q, tag %q", r.Revision, r.SpecHash, hash)
		}
		if i > 0 && !revs[i-1].Deployed.After(r.Deployed) {
			t.Errorf("not newest first: %s at %s before %s at %s", revs[i-1].Revision, revs[i-1].Deployed, r.Revision, r.Deployed)
		}
	}

	r := a.run("history", "-f", v3)
	r.wantExit(t, 0, "web on ecs (cluster "+a.cluster+" in "+ecsRegion+")")
	rows := tableRows(t, r.stdout)
	if len(rows) != 3 {
		t.Errorf("text lists %d revisions, want 3:\n%s", len(rows), r.stdout)
	}
	for _, rev := range revs {
		wantRow(t, rows, rev, rev.Image[:strings.Index(rev.Image, "@sha256:")+len("@sha256:")+12])
	}
	a.run("history", "-f", v3, "--limit", "2").wantExit(t, 0, "(older revisions not listed: --limit 0 lists them all)")

	// A rollout ECS has not finished: the simulator's clock all but stops while it runs.
	simConfig(t, `{"step":"1h"}`)
	a.run("deploy", "-f", a.spec(ecsSpec{Image: "nginx:1.29"}), "--no-wait").wantExit(t, 0)
	revs = readHistory(t, "--target", "ecs", "-f", v3, "--limit", "1")
	if got := fmt.Sprintf("%v %v %s", revisionNames(revs), liveOnes(revs), revs[1].State); got != "[web:5 web:4] [web:5 rolling out] draining" {
		t.Errorf("during a rollout: %s, want web:5 rolling out, web:4 draining", got)
	}
	simConfig(t, ecsFast)
	a.waitService("web:5 completed", time.Minute, nil, func(s ecsService) bool { return s.steadyOn("web:5") })

	// rollback --to takes what history prints.
	revs = readHistory(t, "--target", "ecs", "-f", v3)
	to := revs[len(revs)-1].Revision
	a.run("rollback", "-f", v3, "--to", to).wantExit(t, 0, "rolled back from web:5 to web:1")
	if svc := a.service(); !svc.steadyOn("web:1") {
		t.Errorf("after rollback --to %s: %s", to, svc)
	}
	revs = readHistory(t, "--target", "ecs", "-f", v3)
	if got := fmt.Sprint(revisionNames(revs), liveOnes(revs)); got != "[web:5 web:4 web:2 web:1] [web:1 live]" {
		t.Errorf("after the rollback: %s, want web:1 live", got)
	}
	a.run("rollback", "-f", v3, "--to", to).wantExit(t, 0, "web:1 is already the live revision; nothing changed")
}

// replicaSet is the part of `kubectl get rs -o json` the test reads.
type replicaSet struct {
	Metadata struct {
		Name              string
		CreationTimestamp time.Time
		Annotations       map[string]string
	}
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct{ Name, Image string }
			}
		}
	}
}

// replicaSetsByRevision reads the app's ReplicaSets back with kubectl, by revision.
func replicaSetsByRevision(t *testing.T, ns string) map[string]replicaSet {
	t.Helper()
	var list struct{ Items []replicaSet }
	if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "rs", "-l", "app.kubernetes.io/name=web", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]replicaSet{}
	for _, rs := range list.Items {
		out[rs.Metadata.Annotations["deployment.kubernetes.io/revision"]] = rs
	}
	return out
}

// TestEKSHistory: three revisions, listed newest first and matched with `kubectl get rs`; a
// rollout that cannot finish shows as rolling out and draining; rollback --to takes a
// revision as printed, and the revision it brings back keeps its image and spec hash.
func TestEKSHistory(t *testing.T) {
	ns := harness.Namespace(t)
	var specs []string
	for _, img := range []string{"registry.local/web:v1", "registry.local/web:v2", "registry.local/web:v3"} {
		specs = append(specs, eksApp(t, ns, img, ""))
		if r := runShipit(t, "deploy", "--target", "eks", "-f", specs[len(specs)-1]); r.code != 0 {
			t.Fatalf("deploy %s: exit %d", img, r.code)
		}
	}
	v3 := specs[2]
	revs := readHistory(t, "--target", "eks", "-f", v3)
	if got := fmt.Sprint(revisionNames(revs), liveOnes(revs)); got != "[3 2 1] [3 live]" {
		t.Fatalf("history: %s, want 3 2 1 with 3 live", got)
	}
	rss := replicaSetsByRevision(t, ns)
	hashes := map[string]string{} // image → spec hash, for after the rollback
	for i, r := range revs {
		rs, ok := rss[r.Revision]
		img := fmt.Sprintf("registry.local/web:v%d", 3-i)
		if !ok || r.ID != "replicaset/"+rs.Metadata.Name || r.Image != img || rs.Spec.Template.Spec.Containers[0].Image != img ||
			!r.Deployed.Equal(rs.Metadata.CreationTimestamp) || r.SpecHash == "" || r.SpecHash != rs.Metadata.Annotations["shipit.dev/spec-hash"] {
			t.Errorf("revision %s: %+v\nkubectl get rs: %+v", r.Revision, r, rs)
		}
		hashes[r.Image] = r.SpecHash
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.annotations.shipit\.dev/spec-hash}`); got != "3 "+revs[0].SpecHash {
		t.Errorf("the Deployment: %q, want revision 3 with hash %s", got, revs[0].SpecHash)
	}
	r := runShipit(t, "history", "--target", "eks", "-f", v3)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "web on eks (namespace "+ns+", ") {
		t.Fatalf("history: exit %d", r.code)
	}
	rows := tableRows(t, r.stdout)
	for _, rev := range revs {
		wantRow(t, rows, rev, rev.Image)
	}

	// A rollout that cannot finish: its pods never get ready, the old ones stay.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", eksApp(t, ns, "registry.local/web:never-ready", ""), "--no-wait"); r.code != 0 {
		t.Fatalf("deploy --no-wait: exit %d", r.code)
	}
	waitFor(t, time.Minute, func() bool {
		f := strings.Fields(kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o",
			`jsonpath={.status.observedGeneration} {.metadata.generation} {.metadata.annotations.deployment\.kubernetes\.io/revision} {.status.updatedReplicas}`))
		return len(f) == 4 && f[0] == f[1] && f[2] == "4" && f[3] == "3"
	})
	revs = readHistory(t, "--target", "eks", "-f", v3, "--limit", "1")
	if got := fmt.Sprintf("%v %v %s %s", revisionNames(revs), liveOnes(revs), revs[1].State, revs[0].Image); got != "[4 3] [4 rolling out] draining registry.local/web:never-ready" {
		t.Errorf("during a rollout: %s, want 4 rolling out, 3 draining", got)
	}

	// rollback --to takes what history prints; revision 1's ReplicaSet comes back as 5.
	revs = readHistory(t, "--target", "eks", "-f", v3)
	to := revs[len(revs)-1]
	if to.Revision != "1" {
		t.Fatalf("oldest revision %s, want 1", to.Revision)
	}
	if r := runShipit(t, "rollback", "--target", "eks", "-f", v3, "--to", to.Revision); r.code != 0 {
		t.Fatalf("rollback --to %s: exit %d", to.Revision, r.code)
	}
	revs = readHistory(t, "--target", "eks", "-f", v3)
	if got := fmt.Sprint(revisionNames(revs), liveOnes(revs)); got != "[5 4 3 2] [5 live]" {
		t.Fatalf("after the rollback: %s, want 5 live", got)
	}
	if live := revs[0]; live.ID != to.ID || live.Image != to.Image || live.SpecHash != to.SpecHash || !live.Deployed.Equal(to.Deployed) {
		t.Errorf("revision 5 %+v, want revision 1's ReplicaSet %+v", live, to)
	}
	if got := kubectlOut(t, "-n", ns, "get", "rs", strings.TrimPrefix(to.ID, "replicaset/"), "-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.annotations.shipit\.dev/spec-hash} {.metadata.annotations.shipit\.dev/restored-spec-hash}`); got != "5 rolled-back "+to.SpecHash {
		t.Errorf("kubectl get rs %s: %q", to.ID, got)
	}
	if r := runShipit(t, "rollback", "--target", "eks", "-f", v3, "--to", "5"); r.code != 0 || !strings.Contains(r.stdout, "revision 5 is already the live revision; nothing changed") {
		t.Errorf("rollback --to the live revision: exit %d", r.code)
	}

	// Deploying v3 again brings revision 3's ReplicaSet back as 6, with v3's hash; the
	// Deployment no longer carries the restored hash.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", v3); r.code != 0 {
		t.Fatalf("deploy v3 again: exit %d", r.code)
	}
	revs = readHistory(t, "--target", "eks", "-f", v3)
	if got := fmt.Sprintf("%v %v %s %v", revisionNames(revs), liveOnes(revs), revs[0].Image, revs[0].SpecHash == hashes["registry.local/web:v3"]); got != "[6 5 4 2] [6 live] registry.local/web:v3 true" {
		t.Errorf("after deploying v3 again: %s", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", `jsonpath={.metadata.annotations.shipit\.dev/restored-spec-hash}`); got != "" {
		t.Errorf("the Deployment still carries the restored hash %q", got)
	}
}

package eks

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipit-dev/shipit/pkg/target"
)

func deploy(gen, observed int64, replicas, updated, total, ready, available int32, rev string, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", UID: types.UID("d1"), Generation: gen, Annotations: map[string]string{RevisionAnnotation: rev}},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Template: template(rev)},
		Status: appsv1.DeploymentStatus{ObservedGeneration: observed, UpdatedReplicas: updated, Replicas: total,
			ReadyReplicas: ready, AvailableReplicas: available, Conditions: conds},
	}
}

func minReady(d *appsv1.Deployment, secs int32) *appsv1.Deployment {
	d.Spec.MinReadySeconds = secs
	return d
}

// template is the pod template of revision rev (its image names it).
func template(rev string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:" + rev}}},
	}
}

// rs is the ReplicaSet of revision rev, made from that revision's template.
func rs(rev, hash string) *appsv1.ReplicaSet {
	tmpl := template(rev)
	tmpl.Labels = map[string]string{"app": "web", appsv1.DefaultDeploymentUniqueLabelKey: hash}
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
		Name: "web-" + hash, Annotations: map[string]string{RevisionAnnotation: rev},
		Labels:          map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: hash},
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web", UID: "d1"}},
	}, Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
}

func pod(name, hash string, phase corev1.PodPhase, waiting string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: hash}},
		Status: corev1.PodStatus{Phase: phase}}
	if waiting != "" {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", Image: "web:bad", RestartCount: 4,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waiting, Message: "Back-off pulling image"}}}}
	}
	return p
}

func TestEvaluate(t *testing.T) {
	deadline := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
		Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "web-b" has timed out progressing.`}
	rss := []*appsv1.ReplicaSet{rs("1", "a"), rs("2", "b")}
	cases := []struct {
		name  string
		d     *appsv1.Deployment
		pods  []*corev1.Pod
		phase target.Phase
		msg   string
	}{
		{"controller has not seen the new generation", deploy(3, 2, 3, 3, 3, 3, 3, "2"), nil,
			target.Progressing, "waiting for the Deployment controller to see generation 3"},
		{"new replicas not all updated", deploy(2, 2, 3, 1, 4, 3, 3, "2"), []*corev1.Pod{pod("p1", "b", corev1.PodRunning, ""), pod("p2", "b", corev1.PodPending, "")},
			target.Progressing, "waiting: 1 of 3 new replicas updated (new pods: 1 Pending, 1 Running)"},
		{"old replicas still terminating", deploy(2, 2, 3, 3, 4, 3, 3, "2"), nil,
			target.Progressing, "waiting: 1 old replicas pending termination"},
		{"updated but not available", deploy(2, 2, 3, 3, 3, 2, 2, "2"), nil,
			target.Progressing, "waiting: 2 of 3 updated replicas available"},
		{"ready but not yet available: minReadySeconds holds the rollout", minReady(deploy(2, 2, 3, 3, 3, 3, 1, "2"), 10), nil,
			target.Progressing, "waiting: 1 of 3 updated replicas available; 3 ready, counted available once ready for 10s (eks.minReadySeconds)"},
		{"available after minReadySeconds: done", minReady(deploy(2, 2, 3, 3, 3, 3, 3, "2"), 10), nil,
			target.Succeeded, `deployment "web" successfully rolled out: 3/3 ready`},
		{"done", deploy(2, 2, 3, 3, 3, 3, 3, "2"), nil,
			target.Succeeded, `deployment "web" successfully rolled out: 3/3 ready`},
		{"zero replicas is done at once", deploy(2, 2, 0, 0, 0, 0, 0, "2"), nil,
			target.Succeeded, `deployment "web" successfully rolled out: 0/0 ready`},
		{"progress deadline", deploy(2, 2, 3, 1, 4, 3, 3, "2", deadline), nil,
			target.Failed, `deployment "web" exceeded its progress deadline: ReplicaSet "web-b" has timed out progressing.`},
		{"image pull backoff in a new pod fails fast", deploy(2, 2, 3, 1, 4, 3, 3, "2"), []*corev1.Pod{pod("p1", "b", corev1.PodPending, "ImagePullBackOff")},
			target.Failed, "pod p1: ImagePullBackOff: image web:bad Back-off pulling image"},
		{"crash loop fails fast", deploy(2, 2, 3, 1, 4, 3, 3, "2"), []*corev1.Pod{pod("p1", "b", corev1.PodRunning, "CrashLoopBackOff")},
			target.Failed, "pod p1: CrashLoopBackOff: container web restarted 4 times Back-off pulling image"},
		{"a stuck OLD pod is not our failure", deploy(2, 2, 3, 3, 4, 3, 3, "2"), []*corev1.Pod{pod("p0", "a", corev1.PodPending, "ImagePullBackOff")},
			target.Progressing, "waiting: 1 old replicas pending termination"},
		{"benign waiting reason is not a failure", deploy(2, 2, 3, 3, 3, 2, 2, "2"), []*corev1.Pod{pod("p1", "b", corev1.PodPending, "ContainerCreating")},
			target.Progressing, "waiting: 2 of 3 updated replicas available (new pods: 1 Pending)"},
	}
	paused := func(d *appsv1.Deployment) *appsv1.Deployment { d.Spec.Paused = true; return d }
	cases = append(cases, []struct {
		name  string
		d     *appsv1.Deployment
		pods  []*corev1.Pod
		phase target.Phase
		msg   string
	}{
		// The controller rolls nothing out and checks no deadline while paused.
		{"paused with a new template: fails at once instead of waiting out the timeout", paused(deploy(2, 2, 3, 0, 3, 3, 3, "2")), nil,
			target.Failed, "deployment \"web\" is paused (spec.paused): the controller rolls nothing out until `kubectl rollout resume deployment/web`"},
		{"paused, nothing left to roll out: done", paused(deploy(2, 2, 3, 3, 3, 3, 3, "2")), nil,
			target.Succeeded, `deployment "web" successfully rolled out: 3/3 ready`},
		// A scale to 0 is synced without the Progressing condition: an old deadline
		// condition sits next to the observed generation for a moment.
		{"scaled to 0 next to a stale ProgressDeadlineExceeded: done", deploy(3, 3, 0, 0, 0, 0, 0, "2", deadline), nil,
			target.Succeeded, `deployment "web" successfully rolled out: 0/0 ready`},
		// minReadySeconds: ready pods count once they have been ready that long (available).
		{"minReadySeconds: ready but not yet available is not done", deploy(2, 2, 3, 3, 3, 3, 2, "2"), nil,
			target.Progressing, "waiting: 2 of 3 updated replicas available"},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Evaluate(c.d, rss, c.pods)
			if got.Phase != c.phase || got.Message != c.msg {
				t.Errorf("got %s %q\nwant %s %q", got.Phase, got.Message, c.phase, c.msg)
			}
		})
	}
}

func TestNewReplicaSetIgnoresOtherOwners(t *testing.T) {
	d := deploy(1, 1, 1, 1, 1, 1, 1, "2")
	other := rs("2", "x")
	other.OwnerReferences[0].UID = "someone-else"
	if got := NewReplicaSet(d, []*appsv1.ReplicaSet{other}); got != nil {
		t.Errorf("picked a ReplicaSet of another Deployment: %v", got.Name)
	}
	if got := NewReplicaSet(d, []*appsv1.ReplicaSet{rs("1", "a"), rs("2", "b")}); got == nil || !strings.HasSuffix(got.Name, "b") {
		t.Errorf("new RS = %v", got)
	}
}

// Ready is the new revision's ready pods: the old ones still serving are not the rollout's.
func TestEvaluateReadyCountsTheNewRevision(t *testing.T) {
	old, cur := rs("1", "a"), rs("2", "b")
	old.Status.ReadyReplicas, cur.Status.ReadyReplicas = 3, 1
	cases := []struct {
		name string
		d    *appsv1.Deployment
		rss  []*appsv1.ReplicaSet
		want int
	}{
		{"mid-rollout: the new ReplicaSet's", deploy(2, 2, 3, 3, 6, 4, 4, "2"), []*appsv1.ReplicaSet{old, cur}, 1},
		{"new ReplicaSet not seen yet, old pods serving", deploy(2, 2, 3, 0, 3, 3, 3, "2"), []*appsv1.ReplicaSet{old}, 0},
		{"new ReplicaSet not seen yet, no old pods", deploy(2, 2, 3, 3, 3, 2, 2, "2"), []*appsv1.ReplicaSet{old}, 2},
		{"done: every ready pod", deploy(2, 2, 3, 3, 3, 3, 3, "2"), []*appsv1.ReplicaSet{old, cur}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Evaluate(c.d, c.rss, nil); got.Ready != c.want {
				t.Errorf("Ready = %d, want %d (%s %q)", got.Ready, c.want, got.Phase, got.Message)
			}
		})
	}
}

// A rollback to an old template reuses that template's ReplicaSet and renumbers it; the
// Deployment's own revision annotation follows later. Meanwhile the new ReplicaSet is the one
// with the Deployment's template, not the one its stale revision names (the one rolled back
// from, whose stuck pods are not the rollback's failure).
func TestEvaluateRollbackReusingAnOldReplicaSet(t *testing.T) {
	d := deploy(3, 3, 3, 3, 4, 3, 3, "2")
	d.Spec.Template = template("1") // rolled back to revision 1's template
	reused, from := rs("1", "a"), rs("2", "b")
	reused.Annotations[RevisionAnnotation] = "3"
	pods := []*corev1.Pod{pod("p1", "a", corev1.PodRunning, ""), pod("p2", "b", corev1.PodPending, "ImagePullBackOff")}
	got := Evaluate(d, []*appsv1.ReplicaSet{reused, from}, pods)
	if got.Phase != target.Progressing || got.Message != "waiting: 1 old replicas pending termination (new pods: 1 Running)" {
		t.Errorf("got %s %q; want the rollback progressing on web-a", got.Phase, got.Message)
	}
	if nrs := NewReplicaSet(d, []*appsv1.ReplicaSet{reused, from}); nrs != reused {
		t.Errorf("NewReplicaSet = %v, want web-a", nrs.Name)
	}
}

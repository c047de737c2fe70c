package eks

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// recorder keeps the events a watch reports.
type recorder struct {
	mu     sync.Mutex
	events []target.Event
}

func (r *recorder) Report(e target.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, string(e.Phase)+": "+e.Message)
	}
	return out
}

// live is the app's Deployment at generation 2 (revision 2, spec hash h2), with the
// ReplicaSets of revisions 1 and 2 and the given pods, in namespace shop.
func live(app *spec.App, d *appsv1.Deployment, pods ...*corev1.Pod) []runtime.Object {
	sel := SelectorLabels(app)
	d.Namespace = "shop"
	d.Labels = sel
	d.Annotations[spec.HashAnnotation] = "h2"
	objs := []runtime.Object{d}
	for _, r := range []*appsv1.ReplicaSet{rs("1", "a"), rs("2", "b")} {
		r.Namespace = "shop"
		for k, v := range sel {
			r.Labels[k] = v
		}
		objs = append(objs, r)
	}
	for _, p := range pods {
		p.Namespace = "shop"
		for k, v := range sel {
			p.Labels[k] = v
		}
		objs = append(objs, p)
	}
	return objs
}

func fakeSession(objs ...runtime.Object) (*Session, *fake.Clientset) {
	cs := fake.NewClientset(objs...)
	return &Session{cs: cs, disc: cs.Discovery(), where: "context test"}, cs
}

func TestWatchVerdicts(t *testing.T) {
	app := testApp(t)
	crash := pod("web-b-1", "b", corev1.PodRunning, "CrashLoopBackOff")
	for _, tc := range []struct {
		name  string
		objs  []runtime.Object
		phase target.Phase
		msg   string
	}{
		{"rolled out", live(app, deploy(2, 2, 3, 3, 3, 3, 3, "2")), target.Succeeded, `deployment "web" successfully rolled out: 3/3 ready`},
		{"a new pod crash-loops", append(live(app, deploy(2, 2, 3, 1, 4, 3, 3, "2"), crash),
			&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "shop"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-b-1"},
				Reason: "BackOff", Message: "Back-off restarting failed container"}),
			target.Failed, "pod web-b-1: CrashLoopBackOff: container web restarted 4 times Back-off pulling image; last events: BackOff: Back-off restarting failed container"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := fakeSession(tc.objs...)
			r := &recorder{}
			dec := mustWatch(t, s, context.Background(), app, time.Minute, r)
			if dec.Phase != tc.phase || dec.Message != tc.msg {
				t.Errorf("got %s %q\nwant %s %q", dec.Phase, dec.Message, tc.phase, tc.msg)
			}
			if msgs := r.messages(); len(msgs) == 0 || msgs[len(msgs)-1] != string(tc.phase)+": "+tc.msg {
				t.Errorf("events %q do not end with the verdict", msgs)
			}
		})
	}
}

// The watch follows changes: a rollout in progress that then completes succeeds.
func TestWatchFollowsChanges(t *testing.T) {
	app := testApp(t)
	s, cs := fakeSession(live(app, deploy(2, 2, 3, 1, 4, 3, 3, "2"))...)
	r := &recorder{}
	done := make(chan Decision, 1)
	go func() {
		dec, _ := s.watch(context.Background(), app, "web", "shop", 2, "h2", time.Minute, r)
		done <- dec
	}()
	// Wait until the watch has reported the rollout in progress, then complete it.
	for !strings.Contains(strings.Join(r.messages(), "\n"), "Progressing: waiting: 1 of 3 new replicas updated") {
		select {
		case dec := <-done:
			t.Fatalf("ended early: %s %q", dec.Phase, dec.Message)
		case <-time.After(10 * time.Millisecond):
		}
	}
	d := deploy(2, 2, 3, 3, 3, 3, 3, "2")
	d.Namespace, d.Labels = "shop", SelectorLabels(app)
	d.Annotations[spec.HashAnnotation] = "h2"
	if _, err := cs.AppsV1().Deployments("shop").UpdateStatus(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	dec := <-done
	if dec.Phase != target.Succeeded {
		t.Errorf("got %s %q, want Succeeded", dec.Phase, dec.Message)
	}
}

// Another deploy's write (a newer generation with another spec hash) is not this rollout's
// verdict; a cache behind our own write is waited out.
func TestWatchReplacedByAnotherDeploy(t *testing.T) {
	app := testApp(t)
	d := deploy(3, 3, 3, 3, 3, 3, 3, "3")
	objs := live(app, d)
	d.Annotations[spec.HashAnnotation] = "other"
	s, _ := fakeSession(objs...)
	dec := mustWatch(t, s, context.Background(), app, time.Minute, &recorder{})
	if dec.Phase != target.Failed || !dec.Replaced || !strings.Contains(dec.Message, "another deploy replaced this one") {
		t.Errorf("got %s %q replaced=%v", dec.Phase, dec.Message, dec.Replaced)
	}
}

// A watch that is interrupted or runs out of time reports the last state it saw.
func TestWatchStops(t *testing.T) {
	app := testApp(t)
	s, _ := fakeSession(live(app, deploy(2, 2, 3, 1, 4, 3, 3, "2"))...)
	dec := mustWatch(t, s, context.Background(), app, 2*time.Second, &recorder{})
	if dec.Phase != target.TimedOut || !strings.HasPrefix(dec.Message, "timed out after 2s: waiting: 1 of 3 new replicas updated") {
		t.Errorf("timeout: got %s %q", dec.Phase, dec.Message)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dec = mustWatch(t, s, ctx, app, time.Minute, &recorder{})
	if dec.Phase != target.Canceled {
		t.Errorf("interrupt: got %s %q", dec.Phase, dec.Message)
	}
}

func TestStatus(t *testing.T) {
	app := testApp(t)
	newPod := pod("web-b-1", "b", corev1.PodRunning, "")
	newPod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", ImageID: "registry.local/web@sha256:abc"}}
	objs := live(app, deploy(2, 2, 3, 3, 3, 3, 3, "2"), newPod)
	for _, o := range objs {
		if r, ok := o.(*appsv1.ReplicaSet); ok {
			n := int32(3)
			if r.Annotations[RevisionAnnotation] == "1" {
				n = 0
			}
			r.Spec.Replicas, r.Status.ReadyReplicas = &n, n
		}
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	objs = append(objs,
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e2", Namespace: "shop"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-b-1"},
			Reason: "Started", Message: "Started container web", LastTimestamp: metav1.NewTime(t0.Add(time.Second))},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "shop"}, InvolvedObject: corev1.ObjectReference{Kind: "ReplicaSet", Name: "web-b"},
			Reason: "SuccessfulCreate", Message: "Created pod: web-b-1", LastTimestamp: metav1.NewTime(t0)},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e3", Namespace: "shop"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "someone-else"},
			Reason: "Started", Message: "not ours", LastTimestamp: metav1.NewTime(t0)},
	)
	s, _ := fakeSession(objs...)
	st, err := s.Status(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || st.Revision != "2" || st.SpecHash != "h2" || st.Image != "web:2" || st.Digest != "sha256:abc" ||
		st.Desired != 3 || st.Ready != 3 || st.Where != "namespace shop, context test" {
		t.Errorf("status %+v", st)
	}
	want := []target.LiveDeployment{
		{ID: "replicaset/web-b", Revision: "2", Status: "current", Desired: 3, Running: 3},
		{ID: "replicaset/web-a", Revision: "1", Status: "old", Desired: 0, Running: 0},
	}
	if len(st.Rollouts) != 2 || st.Rollouts[0] != want[0] || st.Rollouts[1] != want[1] {
		t.Errorf("rollouts %+v\nwant %+v", st.Rollouts, want)
	}
	wantEvents := []string{"03:04:05 replicaset/web-b SuccessfulCreate: Created pod: web-b-1", "03:04:06 pod/web-b-1 Started: Started container web"}
	if strings.Join(st.Events, "\n") != strings.Join(wantEvents, "\n") {
		t.Errorf("events %q\nwant %q", st.Events, wantEvents)
	}

	// after a rollback the Deployment carries a placeholder hash; status shows the restored one
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			d.Annotations[spec.HashAnnotation], d.Annotations[RestoredHashAnnotation] = rolledBackHash, "h1"
		}
	}
	s, _ = fakeSession(objs...)
	if st, err = s.Status(context.Background(), app); err != nil || st.SpecHash != "h1" {
		t.Errorf("after a rollback: spec hash %q, want the restored h1 (%v)", st.SpecHash, err)
	}

	s, _ = fakeSession()
	st, err = s.Status(context.Background(), app)
	if err != nil || st.Exists || st.Where != "namespace shop, context test" {
		t.Errorf("not deployed: %+v %v", st, err)
	}
}

// diffSession is a session whose dynamic client holds objs and answers a server-side apply
// dry run with the applied object itself (a server that adds no defaults).
func diffSession(t *testing.T, objs ...runtime.Object) *Session {
	t.Helper()
	listKinds := map[schema.GroupVersionResource]string{}
	for kind, gvr := range kindResources {
		listKinds[gvr] = kind + "List"
	}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, objs...)
	dyn.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(a.(k8stesting.PatchAction).GetPatch()); err != nil {
			return true, nil, err
		}
		return true, u, nil
	})
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})
	return &Session{cs: cs, dyn: dyn, disc: cs.Discovery(), where: "context test"}
}

func TestDiff(t *testing.T) {
	app := testApp(t)
	rendered, err := renderedObjects(app)
	if err != nil {
		t.Fatal(err)
	}
	var liveObjs []runtime.Object
	for _, o := range rendered {
		liveObjs = append(liveObjs, o.u.DeepCopy())
	}

	t.Run("nothing live: every object is new", func(t *testing.T) {
		d, err := diffSession(t).Diff(context.Background(), app)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Changed || !strings.Contains(d.Diff, "+  replicas: 3") || !strings.Contains(d.Diff, "Service/web") {
			t.Errorf("diff:\n%s", d.Diff)
		}
	})
	t.Run("live as rendered: no differences", func(t *testing.T) {
		d, err := diffSession(t, liveObjs...).Diff(context.Background(), app)
		if err != nil {
			t.Fatal(err)
		}
		if d.Changed || d.Diff != "" {
			t.Errorf("diff:\n%s", d.Diff)
		}
	})
	t.Run("one field differs; a stale object of the app's is deleted", func(t *testing.T) {
		objs := make([]runtime.Object, 0, len(liveObjs)+1)
		for _, o := range liveObjs {
			u := o.(*unstructured.Unstructured).DeepCopy()
			if u.GetKind() == "Deployment" {
				if err := unstructured.SetNestedField(u.Object, int64(2), "spec", "replicas"); err != nil {
					t.Fatal(err)
				}
			}
			objs = append(objs, u)
		}
		stale := &unstructured.Unstructured{}
		stale.SetAPIVersion("v1")
		stale.SetKind("ConfigMap")
		stale.SetName("web-old")
		stale.SetNamespace("shop")
		stale.SetLabels(map[string]string{NameLabel: app.Name, ManagedByLabel: spec.ManagedBy})
		objs = append(objs, stale)
		d, err := diffSession(t, objs...).Diff(context.Background(), app)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Changed || !strings.Contains(d.Diff, "-  replicas: 2\n+  replicas: 3") {
			t.Errorf("diff:\n%s", d.Diff)
		}
		if _, ok := kindResources["ConfigMap"]; ok && !strings.Contains(d.Diff, "ConfigMap/web-old") {
			t.Errorf("stale ConfigMap missing from the diff:\n%s", d.Diff)
		}
	})
}

// mustWatch watches the app's Deployment (generation 2, hash h2) and fails on a watch error.
func mustWatch(t *testing.T, s *Session, ctx context.Context, app *spec.App, timeout time.Duration, r target.Reporter) Decision {
	t.Helper()
	dec, err := s.watch(ctx, app, "web", "shop", 2, "h2", timeout, r)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

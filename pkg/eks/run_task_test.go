package eks

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// The tests of shipit run on Kubernetes play the Job controller and the kubelet: the Job's
// pod goes through the states a script gives, one per poll.

// runApp is the app of the tests: a sidecar, a health check and a service account.
func runApp(t *testing.T) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(`version: 1
name: web
image: registry.local/web:v2
port: 80
cpu: 0.5
memory: 1Gi
args: [serve]
health: {path: /healthz}
sidecars:
  - {name: proxy, image: registry.local/proxy:1, cpu: 0.25, memory: 256Mi}
eks: {namespace: shop, serviceAccount: web}
`), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(spec.TargetEKS); len(errs) > 0 {
		t.Fatal(errs)
	}
	return app
}

// instantClock fires every timer at once, moving time on by its duration.
type instantClock struct{ *testingclock.FakeClock }

func (c instantClock) NewTimer(d time.Duration) clock.Timer {
	t := c.FakeClock.NewTimer(d)
	c.FakeClock.Step(d)
	return t
}

// runCluster is a fake cluster for a run: the Job gets a name and uid on create, and listing
// its pods answers from pods, one entry per poll (the last repeats; nil: no pod yet).
type runCluster struct {
	cs     *fake.Clientset
	mu     sync.Mutex
	pods   []*corev1.Pod
	n      int
	onList func(n int)
}

func newRunCluster(objs ...runtime.Object) *runCluster {
	c := &runCluster{cs: fake.NewClientset(objs...)}
	c.cs.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		j := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
		j.Name, j.UID = j.GenerateName+"x7k2p", "uid-1"
		return false, nil, nil // the tracker stores it
	})
	c.cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c.mu.Lock()
		n := c.n
		c.n++
		hook := c.onList
		c.mu.Unlock()
		if hook != nil {
			hook(n)
		}

		if sel := a.(k8stesting.ListAction).GetListRestrictions().Labels.String(); sel != "batch.kubernetes.io/controller-uid=uid-1" {
			return true, nil, apierrors.NewBadRequest("selector " + sel)
		}
		list := &corev1.PodList{}
		if p := c.pods[min(n, len(c.pods)-1)]; p != nil {
			list.Items = []corev1.Pod{*p}
		}
		return true, list, nil
	})
	return c
}

func (c *runCluster) session() *Session {
	return &Session{cs: c.cs, disc: c.cs.Discovery(), where: "context test",
		clock: instantClock{testingclock.NewFakeClock(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))}}
}

// runPod is the Job's pod in phase with the app container in state.
func runPod(phase corev1.PodPhase, state corev1.ContainerState) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-run-x7k2p-9zq4d", Namespace: "shop", Labels: map[string]string{batchv1.ControllerUidLabel: "uid-1"}},
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: state}}},
	}
}

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

var running = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}

func exited(code int32, reason string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
}

var (
	shop  = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	webSA = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}
)

func TestRunJob(t *testing.T) {
	for _, c := range []struct {
		name   string
		keep   bool
		pods   []*corev1.Pod
		want   target.RunResult
		events []string
		out    string
	}{
		{name: "exit 0, deleted",
			pods: []*corev1.Pod{nil, runPod(corev1.PodPending, waiting("ContainerCreating", "")), runPod(corev1.PodRunning, running),
				runPod(corev1.PodSucceeded, exited(0, "Completed"))},
			want: target.RunResult{Status: target.RunSucceeded, ContainerExitCode: ptrTo(0), StopCode: "Completed",
				Message: "web exited 0 (job shop/web-run-x7k2p, pod web-run-x7k2p-9zq4d)",
				Logs:    "pod web-run-x7k2p-9zq4d, container web: 1 line"},
			events: []string{
				"Progressing: created job shop/web-run-x7k2p in context test: ./manage.py migrate",
				"Progressing: pod web-run-x7k2p-9zq4d: Pending (ContainerCreating)",
				"Progressing: pod web-run-x7k2p-9zq4d: Running",
				"Progressing: pod web-run-x7k2p-9zq4d: Succeeded (web exited 0)",
				"Progressing: deleted job shop/web-run-x7k2p and its pod",
			},
			out: "fake logs\n"},
		{name: "exit 3, kept", keep: true,
			pods: []*corev1.Pod{runPod(corev1.PodFailed, exited(3, "Error"))},
			want: target.RunResult{Status: target.RunFailed, ContainerExitCode: ptrTo(3), StopCode: "Error", Kept: true,
				Message: "web exited 3 (job shop/web-run-x7k2p, pod web-run-x7k2p-9zq4d): Error",
				Logs:    "pod web-run-x7k2p-9zq4d, container web: 1 line"},
			events: []string{
				"Progressing: created job shop/web-run-x7k2p in context test: ./manage.py migrate",
				"Progressing: pod web-run-x7k2p-9zq4d: Failed (web exited 3)",
				"Progressing: kept job shop/web-run-x7k2p (--keep): kubectl logs job/web-run-x7k2p -n shop; delete it with kubectl delete job web-run-x7k2p -n shop",
			},
			out: "fake logs\n"},
		{name: "image not pulled",
			pods: []*corev1.Pod{runPod(corev1.PodPending, waiting("ImagePullBackOff", `Back-off pulling image "registry.local/web:v2"`))},
			want: target.RunResult{Status: target.RunNotRun, StopCode: "ImagePullBackOff", StoppedReason: `Back-off pulling image "registry.local/web:v2"`,
				Message: `pod web-run-x7k2p-9zq4d never ran web: ImagePullBackOff: Back-off pulling image "registry.local/web:v2"`,
				Logs:    "none: the container never started"},
			events: []string{
				"Progressing: created job shop/web-run-x7k2p in context test: ./manage.py migrate",
				"Progressing: pod web-run-x7k2p-9zq4d: Pending (ImagePullBackOff)",
				"Progressing: deleted job shop/web-run-x7k2p and its pod",
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := runApp(t)
			cl := newRunCluster(shop, webSA)
			cl.pods = c.pods
			var got recorder
			var out bytes.Buffer
			res, err := cl.session().RunTask(context.Background(), app, target.RunOptions{
				Command: []string{"./manage.py", "migrate"}, Keep: c.keep, Timeout: time.Hour, Logs: &out}, &got)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			want.Target, want.App, want.Task, want.Container, want.Image = "eks", "web", "shop/web-run-x7k2p", "web", "registry.local/web:v2"
			want.Command = []string{"./manage.py", "migrate"}
			if c.pods[len(c.pods)-1] != nil {
				want.Pod = "web-run-x7k2p-9zq4d"
			}
			if !sameRun(*res, want) {
				t.Errorf("result\n%+v\nwant\n%+v", *res, want)
			}
			if g, w := strings.Join(got.messages(), "\n"), strings.Join(c.events, "\n"); g != w {
				t.Errorf("events:\n%s\nwant:\n%s", g, w)
			}
			if out.String() != c.out {
				t.Errorf("logs %q, want %q", out.String(), c.out)
			}
			job, err := cl.cs.BatchV1().Jobs("shop").Get(context.Background(), "web-run-x7k2p", metav1.GetOptions{})
			if c.keep != (err == nil) {
				t.Fatalf("job after the run: %v (keep %v)", err, c.keep)
			}
			if c.keep {
				checkJob(t, job, true)
			}
		})
	}
}

// checkJob checks the Job a run creates from the app's pod template.
func checkJob(t *testing.T, job *batchv1.Job, keep bool) {
	t.Helper()
	js, ps := job.Spec, job.Spec.Template.Spec
	if job.Labels[RunLabel] != "web" || job.Labels[ManagedByLabel] != spec.ManagedBy || job.Annotations[spec.HashAnnotation] == "" {
		t.Errorf("job metadata %+v", job.ObjectMeta)
	}
	if *js.BackoffLimit != 0 || *js.ActiveDeadlineSeconds != 3600 || (js.TTLSecondsAfterFinished == nil) != keep || ps.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("job spec: backoffLimit %v, activeDeadlineSeconds %v, ttl %v, restartPolicy %s", *js.BackoffLimit, *js.ActiveDeadlineSeconds, js.TTLSecondsAfterFinished, ps.RestartPolicy)
	}
	if l := job.Spec.Template.Labels; l[NameLabel] != "" || l[RunLabel] != "web" || l[ManagedByLabel] != spec.ManagedBy {
		t.Errorf("pod labels %v: want the run label and none of the Deployment's selector", l)
	}
	if len(ps.Containers) != 1 || ps.Containers[0].Name != "web" || !slices.Equal(ps.Containers[0].Args, []string{"./manage.py", "migrate"}) ||
		ps.Containers[0].Image != "registry.local/web:v2" || ps.Containers[0].LivenessProbe != nil || ps.Containers[0].ReadinessProbe != nil ||
		ps.Containers[0].StartupProbe != nil || ps.Containers[0].Resources.Limits.Memory().String() != "768Mi" {
		t.Errorf("app container %+v", ps.Containers)
	}
	if len(ps.InitContainers) != 1 || ps.InitContainers[0].Name != "proxy" || ps.InitContainers[0].RestartPolicy == nil ||
		*ps.InitContainers[0].RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("sidecar %+v: want a native sidecar", ps.InitContainers)
	}
	if ps.ServiceAccountName != "web" {
		t.Errorf("service account %q", ps.ServiceAccountName)
	}
}

// The Job of a run that is deleted afterwards carries the TTL as a safety net.
func TestRunJobSpec(t *testing.T) {
	job, err := runJob(runApp(t), []string{"./manage.py", "migrate"}, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checkJob(t, job, false)
	if *job.Spec.TTLSecondsAfterFinished != 600 || job.GenerateName != "web-run-" || job.Namespace != "shop" {
		t.Errorf("ttl %d, generateName %q, namespace %q", *job.Spec.TTLSecondsAfterFinished, job.GenerateName, job.Namespace)
	}
	if got := jobPrefix(strings.Repeat("a", 63)); len(got)+5 != 63 {
		t.Errorf("prefix %q of a 63-character app: a Job name of %d characters", got, len(got)+5)
	}
}

func ptrTo(n int) *int { return &n }

// sameRun compares two results, their exit codes by value.
func sameRun(a, b target.RunResult) bool {
	ea, eb := a.ContainerExitCode, b.ContainerExitCode
	if (ea == nil) != (eb == nil) || ea != nil && *ea != *eb {
		return false
	}
	a.ContainerExitCode, b.ContainerExitCode = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// A namespace or service account that does not exist is a run that never ran: no Job.
func TestRunPreflight(t *testing.T) {
	for _, c := range []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"no namespace", nil, "namespace shop does not exist in context test: deploy the app first (shipit deploy --target eks creates it)"},
		{"no service account", []runtime.Object{shop}, "service account shop/web does not exist in context test: deploy the app first (shipit deploy --target eks creates it), or create it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newRunCluster(c.objs...)
			res, err := cl.session().RunTask(context.Background(), runApp(t), target.RunOptions{Command: []string{"true"}}, &recorder{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != target.RunNotRun || res.Message != c.want || res.ExitCode() != 3 || res.Task != "" {
				t.Errorf("result %+v", res)
			}
			if jobs, _ := cl.cs.BatchV1().Jobs("shop").List(context.Background(), metav1.ListOptions{}); len(jobs.Items) != 0 {
				t.Errorf("%d jobs created", len(jobs.Items))
			}
		})
	}
}

// A Job that cannot create its pod (admission, quota) says why, from its FailedCreate event.
func TestRunFailedCreate(t *testing.T) {
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "shop"},
		InvolvedObject: corev1.ObjectReference{Kind: "Job", Name: "web-run-x7k2p", UID: "uid-1"}, Reason: "FailedCreate", Type: "Warning",
		Message: `Error creating: pods "web-run-x7k2p-abcde" is forbidden: exceeded quota: compute`}
	cl := newRunCluster(shop, webSA, ev)
	cl.pods = []*corev1.Pod{nil}
	res, err := cl.session().RunTask(context.Background(), runApp(t), target.RunOptions{Command: []string{"true"}}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	want := `job shop/web-run-x7k2p never ran web: FailedCreate: Error creating: pods "web-run-x7k2p-abcde" is forbidden: exceeded quota: compute`
	if res.Status != target.RunNotRun || res.Message != want {
		t.Errorf("result %+v", res)
	}
}

// An interrupt or the command's time bound deletes the Job, --keep or not.
func TestRunJobStopped(t *testing.T) {
	for _, c := range []struct {
		name    string
		limit   time.Duration
		status  target.RunStatus
		message string
	}{
		{"interrupted", 0, target.RunInterrupted, "interrupted while pod web-run-x7k2p-9zq4d was Running; deleted job shop/web-run-x7k2p and its pod"},
		{"timed out", time.Millisecond, target.RunTimedOut, "timed out after 1ms while pod web-run-x7k2p-9zq4d was Running; deleted job shop/web-run-x7k2p and its pod"},
	} {
		t.Run(c.name, func(t *testing.T) {
			process, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			// The bound is set once the task runs, so that it cannot run out before.
			ctx, cancel := target.CommandContext(process, 0)
			defer cancel()
			cl := newRunCluster(shop, webSA)
			cl.pods = []*corev1.Pod{runPod(corev1.PodRunning, running)}
			cl.onList = func(n int) {
				if n == 1 {
					if c.limit == 0 {
						interrupt()
					} else {
						target.SetLimit(ctx, c.limit)
					}
					<-ctx.Done()
				}
			}
			res, err := cl.session().RunTask(ctx, runApp(t), target.RunOptions{Command: []string{"sleep", "600"}, Keep: true}, &recorder{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.Message != c.message || res.Kept {
				t.Errorf("result %+v", res)
			}
			if _, err := cl.cs.BatchV1().Jobs("shop").Get(context.Background(), "web-run-x7k2p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("job after an interrupted run: %v", err)
			}
		})
	}
}

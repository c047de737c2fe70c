package eks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var logT0 = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)

// ts is a log line as the API writes it with timestamps=true, sec seconds after logT0.
func ts(sec float64, msg string) string {
	return logT0.Add(time.Duration(sec*1000)*time.Millisecond).Format(time.RFC3339Nano) + " " + msg + "\n"
}

// logPods is Deployment web (selector app=web) with ReplicaSets of revisions 1 and 2, a pod of
// each (the revision 2 pod with an init container, web and an envoy still waiting), and a pod
// of another app.
func logPods() []runtime.Object {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "d1"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "migrate"}}, Containers: []corev1.Container{{Name: "web"}, {Name: "envoy"}}}}}}
	rs := func(rev, hash string, cs ...string) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "shop",
			Labels:          map[string]string{"app": "web", appsv1.DefaultDeploymentUniqueLabelKey: hash},
			Annotations:     map[string]string{RevisionAnnotation: rev},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web", UID: "d1"}}}}
		for _, c := range cs {
			r.Spec.Template.Spec.Containers = append(r.Spec.Template.Spec.Containers, corev1.Container{Name: c})
		}
		return r
	}
	return []runtime.Object{d, rs("1", "aaa", "web"), rs("2", "bbb", "web", "envoy"),
		logPod("web-aaa-1", "aaa", 0, []string{"web"}, nil),
		logPod("web-bbb-1", "bbb", 1, []string{"web", "envoy"}, []string{"migrate"}),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "shop", Labels: map[string]string{"app": "api"}}},
	}
}

// logPod is a running pod of the ReplicaSet with the hash, created sec seconds after logT0; its
// init containers completed and its containers run, but a container named envoy waits.
func logPod(name, hash string, sec int, cs, inits []string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", CreationTimestamp: metav1.NewTime(logT0.Add(time.Duration(sec) * time.Second)),
		Labels: map[string]string{"app": "web", appsv1.DefaultDeploymentUniqueLabelKey: hash}}, Spec: corev1.PodSpec{NodeName: "node-1"}}
	for _, c := range inits {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: c})
		p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, corev1.ContainerStatus{Name: c,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}})
	}
	for _, c := range cs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
		st := corev1.ContainerStatus{Name: c, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
		if c == "envoy" {
			st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, st)
	}
	return p
}

// fakeLogAPI answers the pod log API from logs (by "pod/container"); a followed stream gets
// those lines, then what the test writes to its pipe, until the test or the context ends it.
type fakeLogAPI struct {
	mu     sync.Mutex
	logs   map[string]string
	errs   map[string]error
	opened []string // "pod/container since=… follow"
	pipes  map[string]*io.PipeWriter
	// onOpen, when set, sees each open (under no lock).
	onOpen func(key string)
}

func (f *fakeLogAPI) open(ctx context.Context, ns, pod string, o *corev1.PodLogOptions) (io.ReadCloser, error) {
	key := pod + "/" + o.Container
	f.mu.Lock()
	desc := key
	if !o.Timestamps {
		desc += " no-timestamps"
	}
	if o.SinceSeconds != nil {
		desc += fmt.Sprintf(" sinceSeconds=%d", *o.SinceSeconds)
	}
	if o.SinceTime != nil {
		desc += " sinceTime=" + o.SinceTime.UTC().Format("15:04:05")
	}
	if o.Follow {
		desc += " follow"
	}
	f.opened = append(f.opened, desc)
	err, body := f.errs[key], f.logs[key]
	on := f.onOpen
	var r io.ReadCloser = io.NopCloser(strings.NewReader(body))
	if o.Follow && err == nil {
		pr, pw := io.Pipe()
		if f.pipes == nil {
			f.pipes = map[string]*io.PipeWriter{}
		}
		f.pipes[key] = pw
		go func() {
			_, _ = io.WriteString(pw, body)
			<-ctx.Done()
			pw.CloseWithError(ctx.Err())
		}()
		r = pr
	}
	f.mu.Unlock()
	if on != nil {
		on(key)
	}
	return r, err
}

// write sends lines to a followed stream.
func (f *fakeLogAPI) write(key, lines string) {
	f.mu.Lock()
	pw := f.pipes[key]
	f.mu.Unlock()
	_, _ = io.WriteString(pw, lines)
}

// end closes a followed stream, as the kubelet does when the container exits.
func (f *fakeLogAPI) end(key string) {
	f.mu.Lock()
	pw := f.pipes[key]
	f.mu.Unlock()
	_ = pw.Close()
}

type sinkRec struct {
	mu     sync.Mutex
	lines  []string
	notes  []string
	onLine func(n int)
}

func (s *sinkRec) Line(l target.LogLine) error {
	s.mu.Lock()
	s.lines = append(s.lines, l.Time.Format("15:04:05.000")+" "+l.Source()+" "+l.Message)
	n, on := len(s.lines), s.onLine
	s.mu.Unlock()
	if on != nil {
		on(n)
	}
	return nil
}

func (s *sinkRec) Note(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, msg)
}

func logFixture(objs ...runtime.Object) (*podLogs, *fake.Clientset, *fakeLogAPI, *sinkRec) {
	cs := fake.NewClientset(append(logPods(), objs...)...)
	api := &fakeLogAPI{logs: map[string]string{
		"web-aaa-1/web":     ts(1, "old web up") + ts(5, "old web GET /"),
		"web-bbb-1/migrate": ts(2, "migrated 3 tables"),
		"web-bbb-1/web":     ts(3, "new web up") + "no timestamp here\n" + ts(4, "panic: boom"),
	}, errs: map[string]error{"web-bbb-1/envoy": errors.New(`container "envoy" in pod "web-bbb-1" is waiting to start: trying and failing to pull image`)}}
	sink := &sinkRec{}
	return &podLogs{cs: cs, open: api.open, poll: time.Millisecond, sink: sink}, cs, api, sink
}

var logsApp = &spec.App{Name: "web", EKS: spec.EKS{Namespace: "shop"}}

const envoyNote = `web-bbb-1/envoy: container "envoy" in pod "web-bbb-1" is waiting to start: trying and failing to pull image`

// TestLogs: pod by pod, oldest first, every container (init containers first) with
// timestamps; a container the API will not give is said; --since, --revision and
// --container narrow it down.
func TestLogs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   target.LogsOptions
		lines  []string
		notes  []string
		opened []string
	}{
		{"all", target.LogsOptions{}, []string{
			"07:00:01.000 web-aaa-1/web old web up",
			"07:00:05.000 web-aaa-1/web old web GET /",
			"07:00:02.000 web-bbb-1/migrate migrated 3 tables",
			"07:00:03.000 web-bbb-1/web new web up",
			"00:00:00.000 web-bbb-1/web no timestamp here",
			"07:00:04.000 web-bbb-1/web panic: boom",
		}, []string{envoyNote}, []string{"web-aaa-1/web", "web-bbb-1/migrate", "web-bbb-1/web", "web-bbb-1/envoy"}},
		{"since", target.LogsOptions{Since: 90*time.Second + time.Millisecond}, nil, nil, nil},
		{"revision", target.LogsOptions{Revision: "2", Container: "web"}, []string{
			"07:00:03.000 web-bbb-1/web new web up",
			"00:00:00.000 web-bbb-1/web no timestamp here",
			"07:00:04.000 web-bbb-1/web panic: boom",
		}, nil, []string{"web-bbb-1/web"}},
		{"revision 1", target.LogsOptions{Revision: "1"}, []string{
			"07:00:01.000 web-aaa-1/web old web up",
			"07:00:05.000 web-aaa-1/web old web GET /",
		}, nil, []string{"web-aaa-1/web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, api, sink := logFixture()
			if err := p.run(context.Background(), logsApp, tc.opts); err != nil {
				t.Fatal(err)
			}
			if tc.name == "since" {
				// The API filters by time: what matters is what was asked.
				if want := []string{"web-aaa-1/web sinceSeconds=91", "web-bbb-1/migrate sinceSeconds=91", "web-bbb-1/web sinceSeconds=91", "web-bbb-1/envoy sinceSeconds=91"}; !slices.Equal(api.opened, want) {
					t.Errorf("opened %q, want %q", api.opened, want)
				}
				return
			}
			if !slices.Equal(sink.lines, tc.lines) {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(sink.lines, "\n"), strings.Join(tc.lines, "\n"))
			}
			if !slices.Equal(sink.notes, tc.notes) {
				t.Errorf("notes %q, want %q", sink.notes, tc.notes)
			}
			if !slices.Equal(api.opened, tc.opened) {
				t.Errorf("opened %q, want %q", api.opened, tc.opened)
			}
		})
	}
}

// TestLogsRefuses: mistakes and an app that is not there, with their exact messages.
func TestLogsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		app   *spec.App
		opts  target.LogsOptions
		want  string
		usage bool
	}{
		{"not deployed", &spec.App{Name: "cart", EKS: spec.EKS{Namespace: "shop"}}, target.LogsOptions{},
			"cart is not deployed on eks (namespace shop): no Deployment cart", false},
		{"bad revision", logsApp, target.LogsOptions{Revision: "web:2"},
			"--revision web:2: give a revision of Deployment web (a number, as `shipit status` and `kubectl rollout history` show)", true},
		{"gone revision", logsApp, target.LogsOptions{Revision: "9"},
			"--revision 9: Deployment shop/web has no ReplicaSet of revision 9 (revisions kept: 1, 2)", false},
		{"unknown container", logsApp, target.LogsOptions{Container: "db"},
			"--container db: the pods of Deployment web have no container db (their containers: migrate, web, envoy)", true},
		{"container of another revision", logsApp, target.LogsOptions{Revision: "1", Container: "envoy"},
			"--container envoy: the pods of revision 1 of Deployment web (ReplicaSet web-aaa) have no container envoy (their containers: web)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, api, sink := logFixture()
			err := p.run(context.Background(), tc.app, tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err %v\nwant %s", err, tc.want)
			}
			var usage *target.UsageError
			if errors.As(err, &usage) != tc.usage {
				t.Errorf("usage error: %v, want %v", !tc.usage, tc.usage)
			}
			if len(api.opened) > 0 || len(sink.lines) > 0 {
				t.Errorf("opened %q, lines %q", api.opened, sink.lines)
			}
		})
	}
}

// TestLogsFollow: --follow streams every started container, says which wait, picks up a pod
// that appears later and a container that restarts (from its last line on, nothing twice),
// and ends with the context.
func TestLogsFollow(t *testing.T) {
	p, cs, api, sink := logFixture()
	delete(api.errs, "web-bbb-1/envoy") // it waits: never opened until it starts
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	newPod := logPod("web-bbb-2", "bbb", 9, []string{"web"}, nil)
	api.logs["web-bbb-2/web"] = ts(10, "second pod up")
	sink.onLine = func(n int) {
		switch n {
		case 6: // everything there was: 2 old, migrate, 3 new
			go func() {
				api.write("web-bbb-1/web", ts(6, "GET /cart"))
			}()
		case 7:
			go func() {
				if _, err := cs.CoreV1().Pods("shop").Create(ctx, newPod, metav1.CreateOptions{}); err != nil {
					t.Error(err)
				}
			}()
		case 8: // the second pod's line: restart web-bbb-1/web
			go func() {
				api.mu.Lock()
				api.logs["web-bbb-1/web"] += ts(6, "GET /cart") + ts(7, "restarted web up")
				api.mu.Unlock()
				api.end("web-bbb-1/web")
				p := logPod("web-bbb-1", "bbb", 1, []string{"web", "envoy"}, []string{"migrate"})
				p.Status.ContainerStatuses[0].RestartCount = 1
				if _, err := cs.CoreV1().Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
					t.Error(err)
				}
			}()
		case 9:
			once.Do(cancel)
		}
	}
	err := p.run(ctx, logsApp, target.LogsOptions{Follow: true, Since: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	want := []string{
		"07:00:01.000 web-aaa-1/web old web up",
		"07:00:05.000 web-aaa-1/web old web GET /",
		"07:00:02.000 web-bbb-1/migrate migrated 3 tables",
		"07:00:03.000 web-bbb-1/web new web up",
		"00:00:00.000 web-bbb-1/web no timestamp here",
		"07:00:04.000 web-bbb-1/web panic: boom",
		"07:00:06.000 web-bbb-1/web GET /cart",
		"07:00:10.000 web-bbb-2/web second pod up",
		"07:00:07.000 web-bbb-1/web restarted web up",
	}
	// Streams run side by side: each one's lines keep their order.
	for _, src := range []string{"web-aaa-1/web", "web-bbb-1/migrate", "web-bbb-1/web", "web-bbb-2/web"} {
		if g, w := only(sink.lines, src), only(want, src); !slices.Equal(g, w) {
			t.Errorf("%s lines:\n%s\nwant:\n%s", src, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	if len(sink.lines) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(sink.lines), len(want), strings.Join(sink.lines, "\n"))
	}
	if wantNotes := []string{"web-bbb-1/envoy is waiting (ImagePullBackOff); following it once it starts", "following new pod web-bbb-2"}; !slices.Equal(sink.notes, wantNotes) {
		t.Errorf("notes %q, want %q", sink.notes, wantNotes)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if !slices.Contains(api.opened, "web-bbb-1/web sinceSeconds=3600 follow") || !slices.Contains(api.opened, "web-bbb-1/web sinceTime=07:00:06 follow") {
		t.Errorf("opened %q: want web-bbb-1/web since the hour, then since its last line", api.opened)
	}
}

// only keeps the lines of one source.
func only(lines []string, src string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, " "+src+" ") {
			out = append(out, l)
		}
	}
	return out
}

// A reader that went away stops every stream with its error.
func TestLogsSinkError(t *testing.T) {
	p, _, _, _ := logFixture()
	boom := errors.New("write |1: broken pipe")
	p.sink = failingSink{boom}
	for _, follow := range []bool{false, true} {
		if err := p.run(context.Background(), logsApp, target.LogsOptions{Follow: follow}); !errors.Is(err, boom) {
			t.Errorf("follow %v: err %v", follow, err)
		}
	}
}

type failingSink struct{ err error }

func (f failingSink) Line(target.LogLine) error { return f.err }
func (f failingSink) Note(string)               {}

// This file holds `shipit logs` on Kubernetes: which pods and containers (the Deployment's
// selector, or one revision's ReplicaSet), and reading their logs through the pod log API, as
// `kubectl logs -l SELECTOR --all-containers --prefix --timestamps` does. logs_follow.go
// follows them.

package eks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

var _ target.LogReader = (*Session)(nil)

// logPoll is how often --follow lists the pods again, for new ones and restarted containers.
const logPoll = 2 * time.Second

// podLogs reads the logs of a set of pods. open is the pod log API (a fake in tests); lists
// go through cs, bounded by the request timeout, while the log streams are bounded by the
// command only (a followed stream lasts as long as the command).
type podLogs struct {
	cs   kubernetes.Interface
	open func(ctx context.Context, ns, pod string, o *corev1.PodLogOptions) (io.ReadCloser, error)
	poll time.Duration

	sinkMu sync.Mutex // Logs calls the sink from one goroutine at a time
	sink   target.LogSink
}

// Logs reads the logs of every container of every pod of the app (docs/architecture.md, "The
// interfaces"), or of one revision's pods, each line with its pod and container.
func (s *Session) Logs(ctx context.Context, app *spec.App, opts target.LogsOptions, sink target.LogSink) error {
	streams := s.watchClient()
	p := &podLogs{cs: s.cs, poll: logPoll, sink: sink,
		open: func(ctx context.Context, ns, pod string, o *corev1.PodLogOptions) (io.ReadCloser, error) {
			return streams.CoreV1().Pods(ns).GetLogs(pod, o).Stream(ctx)
		}}
	return p.run(ctx, app, opts)
}

// podSet is the pods logs reads: a namespace, a selector and the container (or all).
type podSet struct {
	ns        string
	selector  labels.Selector
	container string
	what      string // for messages: "Deployment web", "revision 3 of Deployment web"
}

func (p *podLogs) run(ctx context.Context, app *spec.App, opts target.LogsOptions) error {
	set, err := p.podSet(ctx, app, opts)
	if err != nil {
		return err
	}
	if opts.Follow {
		return p.follow(ctx, set, opts)
	}
	pods, err := p.pods(ctx, set)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		p.note(fmt.Sprintf("no pod of %s in namespace %s", set.what, set.ns))
	}
	for _, pod := range pods {
		for _, c := range containers(&pod, set.container) {
			o := &corev1.PodLogOptions{Container: c, Timestamps: true, SinceSeconds: sinceSeconds(opts.Since)}
			if _, err := p.stream(ctx, set.ns, pod.Name, o, time.Time{}); err != nil {
				if ctx.Err() != nil || errors.Is(err, errSink) {
					return unwrapSink(err)
				}
				p.note(fmt.Sprintf("%s/%s: %v", pod.Name, c, err))
			}
		}
	}
	return nil
}

// podSet finds the Deployment and, for --revision, the ReplicaSet of that revision, whose
// pod-template-hash then narrows the selector; --container must be one of the template's.
func (p *podLogs) podSet(ctx context.Context, app *spec.App, opts target.LogsOptions) (*podSet, error) {
	ns := app.EKS.Namespace
	d, err := p.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%s is not deployed on eks (namespace %s): no Deployment %s", app.Name, ns, app.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: its selector: %w", ns, app.Name, err)
	}
	set := &podSet{ns: ns, selector: sel, container: opts.Container, what: "Deployment " + app.Name}
	template := &d.Spec.Template
	if opts.Revision != "" {
		if n, err := strconv.ParseInt(opts.Revision, 10, 64); err != nil || n < 1 {
			return nil, &target.UsageError{Msg: fmt.Sprintf("--revision %s: give a revision of Deployment %s (a number, as `shipit status` and `kubectl rollout history` show)", opts.Revision, app.Name)}
		}
		rs, kept, err := p.revision(ctx, d, sel, opts.Revision)
		if err != nil {
			return nil, err
		}
		if rs == nil {
			return nil, fmt.Errorf("--revision %s: Deployment %s/%s has no ReplicaSet of revision %s (revisions kept: %s)", opts.Revision, ns, app.Name, opts.Revision, strings.Join(kept, ", "))
		}
		hash := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		req, err := labels.NewRequirement(appsv1.DefaultDeploymentUniqueLabelKey, "=", []string{hash})
		if err != nil {
			return nil, fmt.Errorf("replicaset %s: %w", rs.Name, err)
		}
		set.selector = sel.Add(*req)
		set.what = fmt.Sprintf("revision %s of Deployment %s (ReplicaSet %s)", opts.Revision, app.Name, rs.Name)
		template = &rs.Spec.Template
	}
	if opts.Container != "" {
		names := containerNames(&template.Spec)
		if !slices.Contains(names, opts.Container) {
			return nil, &target.UsageError{Msg: fmt.Sprintf("--container %s: the pods of %s have no container %s (their containers: %s)",
				opts.Container, set.what, opts.Container, strings.Join(names, ", "))}
		}
	}
	return set, nil
}

// revision is the Deployment's ReplicaSet of revision rev, and the revisions it keeps.
func (p *podLogs) revision(ctx context.Context, d *appsv1.Deployment, sel labels.Selector, rev string) (*appsv1.ReplicaSet, []string, error) {
	list, err := p.cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, nil, fmt.Errorf("list replicasets: %w", err)
	}
	var kept []*appsv1.ReplicaSet
	for i := range list.Items {
		if rs := &list.Items[i]; ownedBy(rs, d) {
			kept = append(kept, rs)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return revisionNumber(kept[i]) < revisionNumber(kept[j]) })
	var revs []string
	for _, rs := range kept {
		if rs.Annotations[RevisionAnnotation] == rev {
			return rs, nil, nil
		}
		revs = append(revs, rs.Annotations[RevisionAnnotation])
	}
	return nil, revs, nil
}

// pods lists the set's pods, oldest first (then by name), as a rollout made them.
func (p *podLogs) pods(ctx context.Context, set *podSet) ([]corev1.Pod, error) {
	list, err := p.cs.CoreV1().Pods(set.ns).List(ctx, metav1.ListOptions{LabelSelector: set.selector.String()})
	if err != nil {
		return nil, fmt.Errorf("list pods of %s: %w", set.what, err)
	}
	pods := list.Items
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i].CreationTimestamp, pods[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return pods[i].Name < pods[j].Name
	})
	return pods, nil
}

// containerNames are a pod's init containers, then its containers, as they start.
func containerNames(spec *corev1.PodSpec) []string {
	var out []string
	for _, c := range spec.InitContainers {
		out = append(out, c.Name)
	}
	for _, c := range spec.Containers {
		out = append(out, c.Name)
	}
	return out
}

// containers are the pod's containers logs reads: all, or the one asked for if it has it.
func containers(pod *corev1.Pod, only string) []string {
	all := containerNames(&pod.Spec)
	if only == "" {
		return all
	}
	if slices.Contains(all, only) {
		return []string{only}
	}
	return nil
}

// sinceSeconds is --since as the API takes it (whole seconds, rounded up); nil for all.
func sinceSeconds(d time.Duration) *int64 {
	if d <= 0 {
		return nil
	}
	n := int64(math.Ceil(d.Seconds()))
	return &n
}

// errSink marks an error of the sink (the reader went away): it ends every stream.
var errSink = errors.New("log sink")

type sinkError struct{ err error }

func (e *sinkError) Error() string        { return e.err.Error() }
func (e *sinkError) Is(target error) bool { return target == errSink }

// unwrapSink is a sink's own error, or err.
func unwrapSink(err error) error {
	var se *sinkError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

// stream reads one container's log and sends its lines, skipping those not after `after`
// (a stream opened again after a restart starts a second early: SinceTime has whole
// seconds). It returns the time of the last line sent.
func (p *podLogs) stream(ctx context.Context, ns, pod string, o *corev1.PodLogOptions, after time.Time) (time.Time, error) {
	last := after
	rc, err := p.open(ctx, ns, pod, o)
	if err != nil {
		return last, err
	}
	defer rc.Close()
	r := bufio.NewReader(rc)
	for {
		raw, err := r.ReadString('\n')
		if raw != "" {
			line := parseLogLine(pod, o.Container, raw)
			if after.IsZero() || line.Time.After(after) {
				if serr := p.line(line); serr != nil {
					return last, &sinkError{serr}
				}
				last = line.Time
			}
		}
		if err == io.EOF {
			return last, nil
		}
		if err != nil {
			return last, err
		}
	}
}

// parseLogLine splits a line the API wrote with timestamps=true: "RFC3339Nano message".
func parseLogLine(pod, container, raw string) target.LogLine {
	raw = strings.TrimRight(raw, "\r\n")
	l := target.LogLine{Pod: pod, Container: container, Message: raw}
	if ts, msg, ok := strings.Cut(raw, " "); ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			l.Time, l.Message = t.UTC(), msg
		}
	}
	return l
}

func (p *podLogs) line(l target.LogLine) error {
	p.sinkMu.Lock()
	defer p.sinkMu.Unlock()
	return p.sink.Line(l)
}

func (p *podLogs) note(msg string) {
	p.sinkMu.Lock()
	defer p.sinkMu.Unlock()
	p.sink.Note(msg)
}

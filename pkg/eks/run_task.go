// This file is shipit run on Kubernetes: the Job of run_job.go created, its pod followed to
// the app container's exit code with its logs streamed, and the Job deleted afterwards.

package eks

import (
	"context"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Timing of a run: the Job and its pod are read every runPoll; the Job's FailedCreate events
// every eventsEvery polls while it has no pod. Deleting the Job and its pod, and the rest of
// the logs once the container has exited, get their own bounds.
const (
	runPoll         = time.Second
	eventsEvery     = 5
	runCleanup      = 30 * time.Second
	logsAfterExit   = 10 * time.Second
	maxLogLineBytes = 1 << 20
)

// failFastWaiting are the waiting reasons of the app container that mean it will not start
// without a change (docs/architecture.md, "Rollout rules": the ones a rollout fails fast on).
var failFastWaiting = map[string]bool{
	"ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true,
}

var _ target.TaskRunner = (*Session)(nil)

// RunTask runs opts.Command once in a Job of the app's pod template (runJob), follows its pod
// until the app container has exited, streams that container's logs (kubectl logs -f), and
// deletes the Job with its pod unless opts.Keep. An interrupt or the command's time bound
// deletes the Job, --keep or not.
func (s *Session) RunTask(ctx context.Context, app *spec.App, opts target.RunOptions, r target.Reporter) (*target.RunResult, error) {
	ns, main := app.EKS.Namespace, app.MainContainer()
	job, err := runJob(app, opts.Command, opts.Keep, opts.Timeout)
	if err != nil {
		return nil, err
	}
	res := &target.RunResult{Target: spec.TargetEKS, App: app.Name, Container: main, Command: opts.Command, Image: app.Image}
	target.Step(ctx, "checking namespace "+ns)
	if why, err := s.runPreflight(ctx, job); err != nil || why != "" {
		if err != nil {
			return nil, err
		}
		res.Status, res.Message, res.Logs = target.RunNotRun, why, "none: no Job was created"
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx) // nothing created yet
	}
	target.Step(ctx, "creating the Job in namespace "+ns)
	created, err := s.cs.BatchV1().Jobs(ns).Create(target.WithoutInterrupt(ctx), job, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, fmt.Errorf("create job %s… in namespace %s (%s): %w", job.GenerateName, ns, s.where, err)
	}
	res.Task = ns + "/" + created.Name
	r.Report(s.event(app, target.Progressing, fmt.Sprintf("created job %s in %s: %s", res.Task, s.where, strings.Join(opts.Command, " "))))

	w := &jobWait{s: s, app: app, job: created, main: main, r: r, logs: &runLogStream{out: opts.Logs}}
	target.Step(ctx, "waiting for job "+res.Task)
	done, err := w.wait(ctx)
	if ctx.Err() != nil {
		// Interrupted or out of time: the Job must not go on unattended.
		w.stopped(ctx, res)
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w\nthe job goes on: see it with kubectl get job %s -n %s, delete it with kubectl delete job %s -n %s",
			err, created.Name, ns, created.Name, ns)
	}
	w.logs.finish(logsAfterExit)
	done.fill(res, w)
	if opts.Keep {
		res.Kept = true
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("kept job %s (--keep): kubectl logs job/%s -n %s; delete it with kubectl delete job %s -n %s",
			res.Task, created.Name, ns, created.Name, ns)))
		return res, nil
	}
	w.delete(ctx)
	return res, nil
}

// runPreflight finds what would keep the Job from ever creating its pod: a namespace or a
// service account that does not exist (the app was never deployed). why says so; err is an
// API failure.
func (s *Session) runPreflight(ctx context.Context, job *batchv1.Job) (why string, err error) {
	ns := job.Namespace
	if _, err := s.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return fmt.Sprintf("namespace %s does not exist in %s: deploy the app first (shipit deploy --target eks creates it)", ns, s.where), nil
	} else if err != nil {
		return "", fmt.Errorf("get namespace %s (%s): %w", ns, s.where, err)
	}
	sa := job.Spec.Template.Spec.ServiceAccountName
	if sa == "" || sa == "default" {
		return "", nil
	}
	if _, err := s.cs.CoreV1().ServiceAccounts(ns).Get(ctx, sa, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return fmt.Sprintf("service account %s/%s does not exist in %s: deploy the app first (shipit deploy --target eks creates it), or create it", ns, sa, s.where), nil
	} else if err != nil {
		return "", fmt.Errorf("get serviceaccount %s/%s (%s): %w", ns, sa, s.where, err)
	}
	return "", nil
}

// jobWait follows one run's Job and pod.
type jobWait struct {
	s    *Session
	app  *spec.App
	job  *batchv1.Job
	main string
	r    target.Reporter
	logs *runLogStream
	// pod is the Job's pod once seen; state the last reported state of it.
	pod   *corev1.Pod
	state string
}

// ended is how the Job's run ended.
type ended struct {
	terminated *corev1.ContainerStateTerminated // the app container's, when it ran
	// reason and message say why it never ran (a waiting reason, the pod's or the Job's).
	reason, message string
}

// wait polls the Job and its pod until the app container has terminated, or will never run.
// It returns nil and ctx's error when ctx ends first.
func (w *jobWait) wait(ctx context.Context) (*ended, error) {
	ns := w.job.Namespace
	sel := labels.Set{batchv1.ControllerUidLabel: string(w.job.UID)}.AsSelector().String()
	for n := 0; ; n++ {
		pods, err := w.s.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("list pods of job %s/%s (%s): %w", ns, w.job.Name, w.s.where, err)
		}
		if len(pods.Items) > 0 {
			if done := w.look(ctx, &pods.Items[0]); done != nil {
				return done, nil
			}
		} else if done, err := w.noPod(ctx, n); done != nil || err != nil {
			return done, err
		}
		if !w.sleep(ctx) {
			return nil, ctx.Err()
		}
	}
}

// look reports the pod's state when it changed, starts the logs once the app container has
// started, and returns how the run ended once it has.
func (w *jobWait) look(ctx context.Context, pod *corev1.Pod) *ended {
	w.pod = pod
	cs := containerStatus(pod, w.main)
	state := string(pod.Status.Phase)
	switch {
	case cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
		state += " (" + cs.State.Waiting.Reason + ")"
	case cs != nil && cs.State.Terminated != nil:
		state += fmt.Sprintf(" (%s exited %d)", w.main, cs.State.Terminated.ExitCode)
	}
	if state != w.state {
		w.state = state
		w.r.Report(w.s.event(w.app, target.Progressing, fmt.Sprintf("pod %s: %s", pod.Name, state)))
	}
	if cs != nil && (cs.State.Running != nil || cs.State.Terminated != nil) {
		w.logs.start(ctx, w.s.watchClient().CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: w.main, Follow: true}).Stream, pod.Name, w.main)
	}
	switch {
	case cs != nil && cs.State.Terminated != nil:
		return &ended{terminated: cs.State.Terminated}
	case cs != nil && cs.State.Waiting != nil && failFastWaiting[cs.State.Waiting.Reason]:
		return &ended{reason: cs.State.Waiting.Reason, message: cs.State.Waiting.Message}
	case pod.Status.Phase == corev1.PodFailed:
		return &ended{reason: pod.Status.Reason, message: pod.Status.Message}
	}
	return nil
}

// noPod checks a Job that has no pod (yet): failed (its deadline), or unable to create one
// (admission, quota: its FailedCreate events, read every eventsEvery polls).
func (w *jobWait) noPod(ctx context.Context, n int) (*ended, error) {
	ns := w.job.Namespace
	job, err := w.s.cs.BatchV1().Jobs(ns).Get(ctx, w.job.Name, metav1.GetOptions{})
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("job %s/%s was deleted before its pod ran (%s)", ns, w.job.Name, w.s.where)
	case err != nil:
		return nil, fmt.Errorf("get job %s/%s (%s): %w", ns, w.job.Name, w.s.where, err)
	}
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return &ended{reason: c.Reason, message: c.Message}, nil
		}
	}
	if n%eventsEvery != eventsEvery-1 {
		return nil, nil
	}
	evs, err := w.s.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
		"involvedObject.uid": string(w.job.UID), "reason": "FailedCreate"}.AsSelector().String()})
	if err == nil && len(evs.Items) > 0 {
		e := evs.Items[len(evs.Items)-1]
		return &ended{reason: e.Reason, message: e.Message}, nil
	}
	return nil, nil
}

// sleep waits one poll on the session's clock; false when ctx ended first.
func (w *jobWait) sleep(ctx context.Context) bool {
	t := w.s.clk().NewTimer(runPoll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// fill writes how the run ended into res.
func (d *ended) fill(res *target.RunResult, w *jobWait) {
	if w.pod != nil {
		res.Pod = w.pod.Name
	}
	res.Logs = w.logs.describe()
	if t := d.terminated; t != nil {
		code := int(t.ExitCode)
		res.ContainerExitCode = &code
		res.StopCode, res.StoppedReason = t.Reason, t.Message
		res.Message = fmt.Sprintf("%s exited %d (job %s, pod %s)", w.main, code, res.Task, res.Pod)
		if code == 0 {
			res.Status = target.RunSucceeded
			return
		}
		res.Status = target.RunFailed
		if t.Reason != "" {
			res.Message += ": " + strings.TrimSuffix(t.Reason+": "+t.Message, ": ")
		}
		return
	}
	res.Status = target.RunNotRun
	res.StopCode, res.StoppedReason = d.reason, d.message
	where := "job " + res.Task
	if res.Pod != "" {
		where = "pod " + res.Pod
	}
	res.Message = fmt.Sprintf("%s never ran %s: %s", where, w.main, strings.TrimSuffix(d.reason+": "+d.message, ": "))
}

// stopped deletes the Job of a run that was interrupted or ran out of time and says so in res.
func (w *jobWait) stopped(ctx context.Context, res *target.RunResult) {
	res.Status = target.StoppedBy(ctx)
	why := (&target.InterruptError{Cause: context.Cause(ctx)}).Prefix()
	if te := target.OutOfTime(ctx, nil); te != nil {
		why = fmt.Sprintf("timed out after %s", te.Limit)
	}
	state := "before its pod was seen"
	if w.pod != nil {
		res.Pod = w.pod.Name
		state = fmt.Sprintf("while pod %s was %s", w.pod.Name, w.state)
	}
	w.logs.finish(0)
	res.Logs = w.logs.describe()
	res.Message = fmt.Sprintf("%s %s; %s", why, state, w.delete(ctx))
}

// delete deletes the Job and, in the foreground, its pod, waits (bounded) until both are
// gone, and says what it did. It is not cut short by an interrupt or the command's bound.
func (w *jobWait) delete(ctx context.Context) string {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runCleanup)
	defer cancel()
	ns, name := w.job.Namespace, w.job.Name
	jobs := w.s.cs.BatchV1().Jobs(ns)
	err := jobs.Delete(cctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)})
	if err != nil && !apierrors.IsNotFound(err) {
		msg := fmt.Sprintf("could not delete job %s/%s: %v; delete it with kubectl delete job %s -n %s", ns, name, err, name, ns)
		w.r.Report(w.s.event(w.app, target.Progressing, msg))
		return msg
	}
	msg := fmt.Sprintf("deleted job %s/%s and its pod", ns, name)
	for {
		if _, err := jobs.Get(cctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			break
		}
		t := w.s.clk().NewTimer(runPoll)
		select {
		case <-cctx.Done():
			t.Stop()
			msg = fmt.Sprintf("deleting job %s/%s and its pod (still under way after %s)", ns, name, runCleanup)
			w.r.Report(w.s.event(w.app, target.Progressing, msg))
			return msg
		case <-t.C():
		}
	}
	w.r.Report(w.s.event(w.app, target.Progressing, msg))
	return msg
}

// containerStatus is the status of the named container of a pod (nil when it has none yet).
func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == name {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}

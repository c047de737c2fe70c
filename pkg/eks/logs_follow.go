// This file follows the logs of a set of pods: one stream per pod and container, like
// `kubectl logs -f -l SELECTOR --all-containers --prefix`, plus what kubectl does not do: pods
// that appear later (a rollout, a replaced pod) and containers that restart are picked up by
// listing the pods again every logPoll.

package eks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipit-dev/shipit/pkg/target"
)

// followed is one pod's container that has or had a stream.
type followed struct {
	open     bool      // its stream is open
	failed   bool      // its stream ended with an error: opened again while the container runs
	restarts int32     // the container's restart count when the stream was opened
	last     time.Time // the time of the last line sent
	noted    string    // the last error said about it, so a failing stream is said once
}

// follow streams every container of every pod of set until outer ends, and returns why it
// ended (the context's error, or a sink's).
func (p *podLogs) follow(outer context.Context, set *podSet, opts target.LogsOptions) error {
	ctx, cancel := context.WithCancel(outer)
	defer cancel()
	var (
		sinkErr error
		mu      sync.Mutex
		wg      sync.WaitGroup
		streams = map[string]*followed{}
		known   = map[string]bool{}
		waiting = map[string]bool{}
		listErr string
	)
	start := func(pod, c string, f *followed, o *corev1.PodLogOptions) {
		f.open, f.failed = true, false
		after := f.last
		wg.Add(1)
		go func() {
			defer wg.Done()
			last, err := p.stream(ctx, set.ns, pod, o, after)
			mu.Lock()
			defer mu.Unlock()
			f.open, f.last = false, last
			switch {
			case errors.Is(err, errSink):
				sinkErr = unwrapSink(err)
				cancel()
			case err != nil && ctx.Err() == nil:
				f.failed = true
				if msg := err.Error(); msg != f.noted {
					f.noted = msg
					p.note(fmt.Sprintf("%s/%s: %s (trying again)", pod, c, msg))
				}
			}
		}()
	}
	for first := true; ; first = false {
		pods, err := p.pods(ctx, set)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			// The API server may be restarting: the open streams go on, the list is retried.
			if err.Error() != listErr {
				listErr = err.Error()
				p.note(err.Error() + " (trying again)")
			}
		default:
			listErr = ""
			if first && len(pods) == 0 {
				p.note(fmt.Sprintf("no pod of %s in namespace %s yet; waiting for one", set.what, set.ns))
			}
			mu.Lock()
			for i := range pods {
				pod := &pods[i]
				if !known[pod.Name] && !first {
					p.note("following new pod " + pod.Name)
				}
				known[pod.Name] = true
				for _, c := range containers(pod, set.container) {
					key := pod.Name + "/" + c
					started, restarts, reason := containerStarted(pod, c)
					f := streams[key]
					if !started {
						if f == nil && !waiting[key] {
							waiting[key] = true
							p.note(fmt.Sprintf("%s is waiting (%s); following it once it starts", key, reason))
						}
						continue
					}
					o := &corev1.PodLogOptions{Container: c, Follow: true, Timestamps: true}
					switch {
					case f == nil:
						f = &followed{restarts: restarts}
						streams[key] = f
						o.SinceSeconds = sinceSeconds(opts.Since)
					case f.open || (restarts <= f.restarts && !f.failed):
						continue
					default:
						// A restarted container, or a stream cut short: from where it stopped.
						f.restarts = restarts
						if !f.last.IsZero() {
							since := metav1.NewTime(f.last)
							o.SinceTime = &since
						}
					}
					start(pod.Name, c, f, o)
				}
			}
			mu.Unlock()
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			if sinkErr != nil {
				return sinkErr
			}
			return outer.Err()
		case <-time.After(p.poll):
		}
	}
}

// containerStarted tells whether a pod's container has run (so it has a log), its restart
// count, and otherwise why it waits.
func containerStarted(pod *corev1.Pod, name string) (bool, int32, string) {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			if cs.Name != name {
				continue
			}
			if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
				return true, cs.RestartCount, ""
			}
			if w := cs.State.Waiting; w != nil && w.Reason != "" {
				return false, 0, w.Reason
			}
			return false, 0, "not started"
		}
	}
	if pod.Spec.NodeName == "" {
		return false, 0, "not scheduled"
	}
	return false, 0, "no status yet"
}

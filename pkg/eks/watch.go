package eks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// watch follows a Deployment's rollout to a verdict. It is driven by informers (a list, then a
// watch that the reflector re-establishes after a dropped connection or an API server
// restart, re-listing when its resource version is gone), not by polling; every change to the
// Deployment, its ReplicaSets or its pods re-runs Evaluate.
//
// hash is the spec hash this rollout wrote: when the live Deployment carries another one,
// another deploy replaced ours and this rollout's verdict would be someone else's.
//
// It keeps the watch contract of pkg/target: every verdict is a Decision; an error means the
// rollout could not be watched at all (its fate is unknown, so nothing is rolled back).
func (s *Session) watch(ctx context.Context, app *spec.App, name, ns string, generation int64, hash string, timeout time.Duration, r target.Reporter) (Decision, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	selector := labels.Set(SelectorLabels(app)).String()
	factory := informers.NewSharedInformerFactoryWithOptions(s.watchClient(), 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	deps := factory.Apps().V1().Deployments()
	rss := factory.Apps().V1().ReplicaSets()
	pods := factory.Core().V1().Pods()
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	// A watch that cannot reach the API server keeps retrying (with backoff) until the
	// timeout; say so once per distinct error instead of going quiet.
	var errMu sync.Mutex
	lastErr := ""
	onWatchError := func(_ *cache.Reflector, err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if msg := err.Error(); msg != lastErr {
			lastErr = msg
			r.Report(s.event(app, target.Progressing, "watch interrupted, retrying: "+msg))
		}
	}
	for _, inf := range []cache.SharedIndexInformer{deps.Informer(), rss.Informer(), pods.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return Decision{}, fmt.Errorf("watch: %w", err)
		}
		if err := inf.SetWatchErrorHandler(onWatchError); err != nil {
			return Decision{}, fmt.Errorf("watch: %w", err)
		}
	}
	factory.Start(ctx.Done())
	// Evaluate as soon as the caches are filled: the first list's adds may all come before
	// the caches count as synced, and then nothing but the heartbeat would wake the loop.
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), deps.Informer().HasSynced, rss.Informer().HasSynced, pods.Informer().HasSynced) {
			poke()
		}
	}()
	// Stop the informers before waiting for them: Shutdown blocks until they have ended.
	defer func() {
		cancel()
		factory.Shutdown()
	}()

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	// A heartbeat re-evaluates now and then, so a quiet rollout still shows it is alive.
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	var last Decision
	end := func(phase target.Phase, msg string) Decision {
		last.Phase, last.Message = phase, msg
		// Report the end too, so a live progress line is closed before the verdict prints.
		r.Report(s.event(app, phase, msg).WithCounts(last.Desired, last.Updated, last.Ready))
		return last
	}
	for {
		select {
		case <-ctx.Done():
			return end(target.Canceled, "stopped watching (interrupted)"), nil
		case <-deadline.C:
			return end(target.TimedOut, fmt.Sprintf("timed out after %s: %s", timeout, last.Message)), nil
		case <-tick.C:
		case <-changed:
		}
		if !deps.Informer().HasSynced() || !rss.Informer().HasSynced() || !pods.Informer().HasSynced() {
			continue
		}
		d, err := deps.Lister().Deployments(ns).Get(name)
		if err != nil {
			last = Decision{Phase: target.Progressing, Message: "waiting for deployment " + name}
			continue
		}
		if d.Generation < generation {
			continue // the cache has not caught up with our own write yet
		}
		// A newer generation with another spec hash is another deploy's write. (An older
		// hash at our generation is only a cache behind our own write.)
		if live := d.Annotations[spec.HashAnnotation]; d.Generation > generation && live != hash {
			dec := end(target.Failed, fmt.Sprintf("another deploy replaced this one while it rolled out (the Deployment now carries spec %s, not %s); its rollout is not this deploy's verdict, and this deploy does not roll it back", live, hash))
			dec.Replaced = true
			return dec, nil
		}
		rsList, _ := rss.Lister().ReplicaSets(ns).List(labels.Everything())
		podList, _ := pods.Lister().Pods(ns).List(labels.Everything())
		dec := Evaluate(d, rsList, podList)
		if dec.Phase == target.Failed && dec.FailedPod != "" {
			if ev := s.podEvents(ctx, ns, dec.FailedPod, 3); ev != "" {
				dec.Message += "; last events: " + ev
			}
		}
		if dec != last {
			r.Report(s.event(app, dec.Phase, dec.Message).WithCounts(dec.Desired, dec.Updated, dec.Ready))
		}
		last = dec
		if dec.Phase.Terminal() {
			return dec, nil
		}
	}
}

// podEvents returns a pod's last n events, oldest first, as one line.
func (s *Session) podEvents(ctx context.Context, ns, pod string, n int) string {
	evs, err := s.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	if err != nil || len(evs.Items) == 0 {
		return ""
	}
	items := evs.Items
	sort.Slice(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
	if len(items) > n {
		items = items[len(items)-n:]
	}
	var parts []string
	for _, e := range items {
		parts = append(parts, fmt.Sprintf("%s: %s", e.Reason, strings.TrimSpace(e.Message)))
	}
	return strings.Join(parts, " | ")
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

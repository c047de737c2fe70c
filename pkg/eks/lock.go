package eks

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// The deploy lock keeps two deploys (or a deploy and a rollback) of one app from interleaving
// (docs/architecture.md, "Rollout rules"): the second one fails clearly, naming the first.
// It is a coordination.k8s.io Lease in the app's namespace, taken before the first write, renewed while shipit watches and
// deleted when it ends. A shipit that died leaves a lease that simply expires, so a crash never
// wedges the app the way Helm's stuck "pending-upgrade" release does.
const lockDuration = 30 * time.Second

// lockRenew is how often the lease is renewed.
const lockRenew = 10 * time.Second

// LockName is the Lease that holds an app's deploy lock.
func LockName(app string) string { return "shipit-" + app }

// lockHolder names this process for the one it keeps waiting.
func lockHolder(op string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("shipit %s, pid %d on %s", op, os.Getpid(), host)
}

// LockedError is another shipit holding the app's deploy lock.
type LockedError struct {
	App, Namespace, Holder string
	// Op is what this process was about to do: deploy, rollback or destroy.
	Op           string
	Since, Until time.Time
}

func (e *LockedError) Error() string {
	since := ""
	if !e.Since.IsZero() {
		since = " since " + e.Since.UTC().Format(time.RFC3339) + ";"
	}
	msg := fmt.Sprintf("another %s holds the deploy lock of %s in namespace %s (lease %s;%s its holder renews it every %s): "+
		"a %s now would interleave with it. Wait for it to end (shipit status --target eks; if its holder died, the lock expires at %s)",
		e.Holder, e.App, e.Namespace, LockName(e.App), since, lockRenew, e.Op, e.Until.UTC().Format(time.RFC3339))
	if e.Op == "deploy" {
		msg += ", or pass --force-conflicts to take the lock over"
	}
	return msg
}

// lock takes the app's deploy lock (over a live holder only with force) and keeps renewing it
// until release is called. Release never fails the deploy: a lease left behind expires.
// note reports a wait, for the progress output.
func (s *Session) lock(ctx context.Context, app *spec.App, op string, force bool, note func(string)) (release func(), err error) {
	ns, name := app.EKS.Namespace, LockName(app.Name)
	leases := s.cs.CoordinationV1().Leases(ns)
	holder := lockHolder(op)
	now := metav1.NewMicroTime(s.now())
	want := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{NameLabel: app.Name, ManagedByLabel: spec.ManagedBy}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: ptr.To(int32(lockDuration / time.Second)),
			AcquireTime: &now, RenewTime: &now},
	}
	// Taking the lease is a write: an interrupt must not cut it off mid-flight, or the lease
	// could be created while its answer is lost, and left behind with nobody to release it.
	// The caller sees the interrupt right after and releases what it got.
	wctx := target.WithoutInterrupt(ctx)
	held, err := leases.Create(wctx, want, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		held, err = s.takeOver(ctx, want, op, force, note)
	}
	if err != nil {
		if _, ok := err.(*LockedError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("take the deploy lock (lease %s/%s): %w", ns, name, err)
	}

	var mu sync.Mutex
	// Stopping also cuts a renewal short that waits on an unreachable API server.
	stopCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := s.clk().NewTicker(lockRenew)
		defer t.Stop()
		for {
			select {
			case <-stopCtx.Done():
				return
			case <-t.C():
			}
			mu.Lock()
			l := held.DeepCopy()
			mu.Unlock()
			renewed := metav1.NewMicroTime(s.now())
			l.Spec.RenewTime = &renewed
			rctx, cancel := context.WithTimeout(stopCtx, lockRenew)
			// A failed renewal (the API server restarting, say) is tried again at the next
			// tick; the lease outlives two missed ones.
			u, err := leases.Update(rctx, l, metav1.UpdateOptions{FieldManager: FieldManager})
			if apierrors.IsConflict(err) {
				// Our last renewal may have landed without its answer reaching us: the
				// lease is still ours if it still names us.
				if fresh, gerr := leases.Get(rctx, name, metav1.GetOptions{}); gerr == nil && sameHolder(fresh, l) {
					u, err = fresh, nil
				}
			}
			cancel()
			switch {
			case err == nil:
				mu.Lock()
				held = u
				mu.Unlock()
			case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
				return // taken over with --force-conflicts, or deleted: no longer ours
			}
		}
	}()
	return func() {
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Only the lease as this process last wrote it: never one taken over since.
		_ = leases.Delete(dctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID: &held.UID, ResourceVersion: &held.ResourceVersion}})
	}, nil
}

// takeOver takes a lease that exists: when it has expired, or with force. The update carries
// the resource version read, so of two processes taking it at once only one succeeds.
//
// A lease that has a holder but looks expired is only taken once it has also gone a renewal
// interval, by our own clock, without being renewed: the expiry compares the holder's clock
// with ours, and a skew between two CI machines must not hand a live lock over.
func (s *Session) takeOver(ctx context.Context, want *coordinationv1.Lease, op string, force bool, note func(string)) (*coordinationv1.Lease, error) {
	leases := s.cs.CoordinationV1().Leases(want.Namespace)
	read := func() (*coordinationv1.Lease, error) {
		l, err := leases.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("read the deploy lock (lease %s/%s): %w", want.Namespace, want.Name, err)
		}
		return l, nil
	}
	live, err := read()
	if err != nil {
		return nil, err
	}
	until, active := lockUntil(live)
	if active(s.now()) && !force {
		return nil, lockedError(want, live, op, until)
	}
	if h := live.Spec.HolderIdentity; !force && h != nil && *h != "" {
		wait := lockRenew + time.Second
		note(fmt.Sprintf("the deploy lock of %s, held by %s, expired at %s; making sure it is not renewed in the next %s",
			want.Labels[NameLabel], *h, until.UTC().Format(time.RFC3339), wait))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.clk().After(wait):
		}
		again, err := read()
		if err != nil {
			return nil, err
		}
		if again.ResourceVersion != live.ResourceVersion {
			until, _ := lockUntil(again)
			return nil, lockedError(want, again, op, until)
		}
		live = again
	}
	l := live.DeepCopy()
	l.Labels, l.Spec = want.Labels, want.Spec
	taken, err := leases.Update(target.WithoutInterrupt(ctx), l, metav1.UpdateOptions{FieldManager: FieldManager})
	if apierrors.IsConflict(err) {
		// Someone else took it between our read and our write: it is theirs.
		if again, gerr := leases.Get(ctx, want.Name, metav1.GetOptions{}); gerr == nil {
			until, _ := lockUntil(again)
			return nil, lockedError(want, again, op, until)
		}
	}
	return taken, err
}

// lockUntil is when a lease runs out, and a test of whether it is still held at a time.
func lockUntil(l *coordinationv1.Lease) (time.Time, func(time.Time) bool) {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return time.Time{}, func(time.Time) bool { return false }
	}
	until := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
	return until, func(now time.Time) bool { return now.Before(until) }
}

func lockedError(want, live *coordinationv1.Lease, op string, until time.Time) *LockedError {
	e := &LockedError{App: want.Labels[NameLabel], Namespace: want.Namespace, Op: op, Until: until, Holder: "shipit"}
	if h := live.Spec.HolderIdentity; h != nil && *h != "" {
		e.Holder = *h
	}
	if a := live.Spec.AcquireTime; a != nil {
		e.Since = a.Time
	}
	return e
}

// inProgress describes who holds the app's deploy lock now, for status ("" when nobody, or
// when the lease cannot be read: status never fails on it).
func (s *Session) inProgress(ctx context.Context, app *spec.App) string {
	l, err := s.cs.CoordinationV1().Leases(app.EKS.Namespace).Get(ctx, LockName(app.Name), metav1.GetOptions{})
	if err != nil {
		return ""
	}
	until, active := lockUntil(l)
	if !active(s.now()) {
		return ""
	}
	since := ""
	if a := l.Spec.AcquireTime; a != nil {
		since = " since " + a.UTC().Format(time.RFC3339) + ","
	}
	return fmt.Sprintf("%s (lease %s;%s held until %s unless renewed)", *l.Spec.HolderIdentity, l.Name, since, until.UTC().Format(time.RFC3339))
}

// sameHolder reports whether two leases name the same holder, taken at the same time.
func sameHolder(a, b *coordinationv1.Lease) bool {
	h := func(l *coordinationv1.Lease) string {
		if l.Spec.HolderIdentity == nil || l.Spec.AcquireTime == nil {
			return ""
		}
		return *l.Spec.HolderIdentity + "@" + l.Spec.AcquireTime.UTC().Format(time.RFC3339Nano)
	}
	return h(a) != "" && h(a) == h(b)
}

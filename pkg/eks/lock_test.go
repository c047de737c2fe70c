package eks

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

func lease(holder string, renewed time.Time) *coordinationv1.Lease {
	at := metav1.NewMicroTime(renewed)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LockName("web"), Namespace: "shop"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: ptr.To(int32(30)),
			AcquireTime: &at, RenewTime: &at},
	}
}

func holderOf(t *testing.T, s *Session) string {
	t.Helper()
	l, err := s.cs.CoordinationV1().Leases("shop").Get(context.Background(), LockName("web"), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return *l.Spec.HolderIdentity
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	app := testApp(t)
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var fc *testingclock.FakeClock
	session := func(objs ...*coordinationv1.Lease) *Session {
		cs := fake.NewClientset()
		for _, o := range objs {
			if _, err := cs.CoordinationV1().Leases("shop").Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		fc = testingclock.NewFakeClock(now)
		return &Session{cs: cs, clock: fc}
	}
	// lockAfterWait takes the lock in the background, lets the clock run through the wait
	// that checks an expired lease is not renewed, and returns lock's result.
	lockAfterWait := func(s *Session, note func(string)) (func(), error) {
		type result struct {
			release func()
			err     error
		}
		ch := make(chan result, 1)
		go func() {
			release, err := s.lock(ctx, app, "deploy", false, note)
			ch <- result{release, err}
		}()
		for !fc.HasWaiters() {
			goruntime.Gosched()
		}
		fc.Step(lockRenew + time.Second)
		r := <-ch
		return r.release, r.err
	}

	t.Run("free: taken, refused to a second deploy, gone once released", func(t *testing.T) {
		s := session()
		release, err := s.lock(ctx, app, "deploy", false, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if h := holderOf(t, s); !strings.HasPrefix(h, "shipit deploy, pid ") {
			t.Errorf("holder %q", h)
		}
		_, err = s.lock(ctx, app, "rollback", false, func(string) {})
		var locked *LockedError
		if !errors.As(err, &locked) {
			t.Fatalf("second lock: %v, want a LockedError", err)
		}
		want := " holds the deploy lock of web in namespace shop (lease shipit-web; since 2026-11-26T08:00:00Z; its holder renews it every 10s): " +
			"a rollback now would interleave with it. Wait for it to end (shipit status --target eks; if its holder died, the lock expires at 2026-11-26T08:00:30Z)"
		if !strings.HasPrefix(err.Error(), "another shipit deploy, pid ") || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("message: %s\nwant it to end with: %s", err, want)
		}
		release()
		if h := holderOf(t, s); h != "" {
			t.Errorf("lease left after release, held by %q", h)
		}
		release, err = s.lock(ctx, app, "deploy", false, func(string) {})
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		release()
	})
	t.Run("expired and not renewed: taken over", func(t *testing.T) {
		s := session(lease("shipit deploy, pid 1 on gone", now.Add(-31*time.Second)))
		var notes []string
		release, err := lockAfterWait(s, func(n string) { notes = append(notes, n) })
		if err != nil {
			t.Fatalf("expired lease: %v", err)
		}
		if want := "the deploy lock of web, held by shipit deploy, pid 1 on gone, expired at 2026-11-26T07:59:59Z; making sure it is not renewed in the next 11s"; len(notes) != 1 || notes[0] != want {
			t.Errorf("notes %q, want %q", notes, want)
		}
		defer release()
		if h := holderOf(t, s); !strings.HasPrefix(h, "shipit deploy, pid ") || strings.HasSuffix(h, "on gone") {
			t.Errorf("holder %q", h)
		}
	})
	t.Run("expired by its clock, but renewed meanwhile (clock skew): refused", func(t *testing.T) {
		l := lease("shipit deploy, pid 1 on skewed", now.Add(-31*time.Second))
		l.ResourceVersion = "1"
		s := session(l)
		gets := 0
		s.cs.(*fake.Clientset).PrependReactor("get", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
			gets++
			renewed := l.DeepCopy()
			renewed.ResourceVersion = fmt.Sprint(gets) // its holder renews it between our reads
			return true, renewed, nil
		})
		if _, err := lockAfterWait(s, func(string) {}); err == nil || !strings.HasPrefix(err.Error(), "another shipit deploy, pid 1 on skewed holds the deploy lock") {
			t.Fatalf("renewed lease: %v, want refused", err)
		}
	})
	t.Run("live: refused, unless forced", func(t *testing.T) {
		s := session(lease("shipit deploy, pid 1 on ci", now.Add(-29*time.Second)))
		if _, err := s.lock(ctx, app, "deploy", false, func(string) {}); err == nil || !strings.HasPrefix(err.Error(), "another shipit deploy, pid 1 on ci holds the deploy lock of web") ||
			!strings.HasSuffix(err.Error(), "expires at 2026-11-26T08:00:01Z), or pass --force-conflicts to take the lock over") {
			t.Fatalf("live lease: %v", err)
		}
		release, err := s.lock(ctx, app, "deploy", true, func(string) {})
		if err != nil {
			t.Fatalf("forced: %v", err)
		}
		defer release()
		if h := holderOf(t, s); strings.HasSuffix(h, "on ci") {
			t.Errorf("not taken over: %q", h)
		}
	})
	t.Run("no holder: free", func(t *testing.T) {
		s := session(lease("", now))
		release, err := s.lock(ctx, app, "deploy", false, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		release()
	})
	t.Run("renewed while held", func(t *testing.T) {
		s := session()
		renewals := make(chan time.Time, 10)
		s.cs.(*fake.Clientset).PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
			renewals <- a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease).Spec.RenewTime.Time
			return false, nil, nil
		})
		release, err := s.lock(ctx, app, "deploy", false, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			for !fc.HasWaiters() {
				goruntime.Gosched()
			}
			fc.Step(lockRenew)
			if got, want := <-renewals, fc.Now(); !got.Equal(want) {
				t.Errorf("renewed at %s, want %s", got, want)
			}
		}
		release()
		if h := holderOf(t, s); h != "" {
			t.Errorf("lease left after release, held by %q", h)
		}
	})
}

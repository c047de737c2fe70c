package eks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func lease(holder string, renewed time.Time) *coordinationv1.Lease {
	at := metav1.NewMicroTime(renewed)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LockName("web"), Namespace: "shop"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: ptr(int32(30)),
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
	session := func(objs ...*coordinationv1.Lease) *Session {
		cs := fake.NewClientset()
		for _, o := range objs {
			if _, err := cs.CoordinationV1().Leases("shop").Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return &Session{cs: cs, now: func() time.Time { return now }}
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
		defer func(d time.Duration) { lockRenew = d }(lockRenew)
		lockRenew = 5 * time.Millisecond
		s := session(lease("shipit deploy, pid 1 on gone", now.Add(-31*time.Second)))
		var notes []string
		release, err := s.lock(ctx, app, "deploy", false, func(n string) { notes = append(notes, n) })
		if err != nil {
			t.Fatalf("expired lease: %v", err)
		}
		if want := "the deploy lock of web, held by shipit deploy, pid 1 on gone, expired at 2026-11-26T07:59:59Z; making sure it is not renewed in the next 1.005s"; len(notes) != 1 || notes[0] != want {
			t.Errorf("notes %q, want %q", notes, want)
		}
		defer release()
		if h := holderOf(t, s); !strings.HasPrefix(h, "shipit deploy, pid ") || strings.HasSuffix(h, "on gone") {
			t.Errorf("holder %q", h)
		}
	})
	t.Run("expired by its clock, but renewed meanwhile (clock skew): refused", func(t *testing.T) {
		defer func(d time.Duration) { lockRenew = d }(lockRenew)
		lockRenew = 5 * time.Millisecond
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
		if _, err := s.lock(ctx, app, "deploy", false, func(string) {}); err == nil || !strings.HasPrefix(err.Error(), "another shipit deploy, pid 1 on skewed holds the deploy lock") {
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
		defer func(d time.Duration) { lockRenew = d }(lockRenew)
		lockRenew = 5 * time.Millisecond
		s := session()
		var mu sync.Mutex
		clock := now
		s.now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		}
		release, err := s.lock(ctx, app, "deploy", false, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		renewed := func() time.Time {
			l, err := s.cs.CoordinationV1().Leases("shop").Get(ctx, LockName("web"), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return l.Spec.RenewTime.Time
		}
		first := renewed()
		deadline := time.Now().Add(5 * time.Second)
		for !renewed().After(first) {
			if time.Now().After(deadline) {
				t.Fatal("lease not renewed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		release()
		if h := holderOf(t, s); h != "" {
			t.Errorf("lease left after release, held by %q", h)
		}
	})
}

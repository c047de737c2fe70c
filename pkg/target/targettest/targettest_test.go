package targettest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// TestFakeRecordsAndAnswers: the fake answers each call with its field (or a success) and
// records it, so command tests can assert what reached the target.
func TestFakeRecordsAndAnswers(t *testing.T) {
	app := &spec.App{Name: "web"}
	ft := New("fake")
	ctx := context.Background()
	if ft.Name() != "fake" {
		t.Errorf("name %q", ft.Name())
	}
	if _, err := ft.Render(app, target.RenderOptions{}); err != nil {
		t.Errorf("render: %v", err)
	}
	s, err := ft.Connect(ctx, app, target.ConnectOptions{Region: "r"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Deploy(ctx, app, target.DeployOptions{NoWait: true}, nil)
	if err != nil || v.Phase != target.Succeeded || v.App != "web" {
		t.Errorf("deploy: %+v %v", v, err)
	}
	if _, err := s.Status(ctx, app); err != nil {
		t.Errorf("status: %v", err)
	}
	if _, err := s.Diff(ctx, app); err != nil {
		t.Errorf("diff: %v", err)
	}
	if _, err := s.Rollback(ctx, app, target.RollbackOptions{To: "3"}, nil); err != nil {
		t.Errorf("rollback: %v", err)
	}
	if _, err := s.Destroy(ctx, app, target.DestroyOptions{Plan: true}, nil); err != nil {
		t.Errorf("destroy plan: %v", err)
	}
	if got, want := ft.Session.Methods(), []string{"Deploy", "Status", "Diff", "Rollback", "Destroy"}; !reflect.DeepEqual(got, want) {
		t.Errorf("methods %v, want %v", got, want)
	}
	if len(ft.Session.Connects) != 1 || ft.Session.Connects[0].Region != "r" {
		t.Errorf("connects %+v", ft.Session.Connects)
	}
	boom := errors.New("boom")
	ft.ConnectErr = boom
	if _, err := ft.Connect(ctx, app, target.ConnectOptions{}); !errors.Is(err, boom) {
		t.Errorf("connect error %v", err)
	}
	ft.Session.DeployErr, ft.Session.StatusErr, ft.Session.DiffErr, ft.Session.RollbackErr, ft.Session.DestroyErr = boom, boom, boom, boom, boom
	if _, err := s.Deploy(ctx, app, target.DeployOptions{}, nil); !errors.Is(err, boom) {
		t.Errorf("deploy error %v", err)
	}
	if _, err := s.Status(ctx, app); !errors.Is(err, boom) {
		t.Errorf("status error %v", err)
	}
	if _, err := s.Diff(ctx, app); !errors.Is(err, boom) {
		t.Errorf("diff error %v", err)
	}
	if _, err := s.Rollback(ctx, app, target.RollbackOptions{}, nil); !errors.Is(err, boom) {
		t.Errorf("rollback error %v", err)
	}
	if _, err := s.Destroy(ctx, app, target.DestroyOptions{}, nil); !errors.Is(err, boom) {
		t.Errorf("destroy error %v", err)
	}
}

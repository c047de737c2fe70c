package eks

import (
	"context"
	"io"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// interruptSession is a session on fake clients where Ctrl-C comes while an apply call is on
// its way: the dry run (dryRun) or the real apply of the Deployment. Like a real client, the
// dynamic fake refuses a dry run made after the interrupt.
func interruptSession(t *testing.T, dryRun bool) (*Session, *fake.Clientset, context.Context, *[]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var written []string
	listKinds := map[schema.GroupVersionResource]string{}
	for kind, gvr := range kindResources {
		listKinds[gvr] = kind + "List"
	}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	dyn.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchAction)
		isDry := false
		if o, ok := a.(interface{ GetPatchOptions() metav1.PatchOptions }); ok {
			isDry = len(o.GetPatchOptions().DryRun) > 0
		}
		if err := ctx.Err(); err != nil && isDry {
			return true, nil, err
		}
		if p.GetResource().Resource == "deployments" && isDry == dryRun {
			cancel() // Ctrl-C while this call is in flight; the call itself completes
		}
		if !isDry {
			written = append(written, p.GetResource().Resource+"/"+p.GetName())
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(p.GetPatch()); err != nil {
			return true, nil, err
		}
		return true, u, nil
	})
	// The namespace exists (and is not the app's): every object can be dry-run.
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Name: "web", Namespace: "shop", Generation: 2,
		Annotations: map[string]string{RevisionAnnotation: "2"},
	}})
	s := &Session{cs: cs, dyn: dyn, disc: cs.Discovery(), where: "context test"}
	return s, cs, ctx, &written
}

func testApp(t *testing.T) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(`version: 1
name: web
image: registry.local/web:v2
port: 80
cpu: 0.25
memory: 512Mi
replicas: 3
eks: {namespace: shop}
`), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestDeployInterrupted(t *testing.T) {
	t.Run("during the dry run: nothing written", func(t *testing.T) {
		s, _, ctx, written := interruptSession(t, true)
		v, err := s.Deploy(ctx, testApp(t), target.DeployOptions{}, target.NewReporter(io.Discard, "json", false))
		if err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		if v.Phase != target.Canceled || v.Message != "interrupted before anything was written" || len(*written) != 0 {
			t.Errorf("got %s %q, written %v", v.Phase, v.Message, *written)
		}
	})
	t.Run("during the apply: every object applied, then no watch", func(t *testing.T) {
		s, cs, ctx, written := interruptSession(t, false)
		v, err := s.Deploy(ctx, testApp(t), target.DeployOptions{}, target.NewReporter(io.Discard, "json", false))
		if err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		want := []string{"Deployment/web", "Service/web"}
		if v.Phase != target.Canceled || !slices.Equal(v.Applied, want) || len(*written) != len(want) {
			t.Errorf("got %s %q, applied %v, written %v; want Canceled with %v", v.Phase, v.Message, v.Applied, *written, want)
		}
		if v.Revision != "2" {
			t.Errorf("revision %q, want the live one (2)", v.Revision)
		}
		for _, a := range cs.Actions() {
			// The HPA is listed before the apply (the autoscale switch), not by the watch.
			if (a.GetVerb() == "list" || a.GetVerb() == "watch") && a.GetResource().Resource != "horizontalpodautoscalers" {
				t.Errorf("watched after the interrupt: %s %s", a.GetVerb(), a.GetResource().Resource)
			}
		}
	})
}

//go:build e2e

package e2e

// Tests of the sandbox's Kubernetes half itself, through the real kubectl and client-go: that a
// rollout completes, that a second rollout completes, and that the failure scenarios (chosen by
// the container image, see e2e/sandbox/k8s.sh) look to a client as they would on a real cluster.
// shipit's own EKS tests build on these behaviours.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shipit-dev/shipit/e2e/harness"
)

const k8sImage = "registry.example.test/shipit/web"

// k8sManifest is a Deployment like the ones shipit renders, plus its Service.
func k8sManifest(name, image string, replicas, progressDeadline int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels: {app: %[1]s}
spec:
  replicas: %[3]d
  progressDeadlineSeconds: %[4]d
  selector:
    matchLabels: {app: %[1]s}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: web
        image: %[2]s
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector: {app: %[1]s}
  ports: [{port: 80, targetPort: 8080}]
`, name, image, replicas, progressDeadline)
}

// k8sEventually polls cond every 200 ms until it returns true, fails the test at the deadline
// with cond's last description of what it saw.
func k8sEventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	last := "nothing observed yet"
	for {
		ok, seen, err := cond(ctx)
		if err != nil {
			seen = "error: " + err.Error()
		}
		if seen != "" {
			last = seen
		}
		if ok && err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s; last seen: %s", what, timeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func k8sPods(ctx context.Context, cs kubernetes.Interface, ns, app string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	var live []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	return live, nil
}

func k8sPodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func k8sContainer(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

func k8sDeployCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == typ {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

func k8sDescribePods(pods []corev1.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "[%s phase=%s ready=%v", p.Name, p.Status.Phase, k8sPodReady(&p))
		for _, c := range p.Status.ContainerStatuses {
			state := "?"
			switch {
			case c.State.Running != nil:
				state = "running"
			case c.State.Waiting != nil:
				state = "waiting:" + c.State.Waiting.Reason
			case c.State.Terminated != nil:
				state = "terminated:" + c.State.Terminated.Reason
			}
			fmt.Fprintf(&b, " %s{%s ready=%v restarts=%d}", c.Name, state, c.Ready, c.RestartCount)
		}
		b.WriteString("] ")
	}
	return b.String()
}

// k8sApply runs kubectl apply of manifest in ns.
func k8sApply(t *testing.T, ns, manifest string) {
	t.Helper()
	if out, err := harness.KubectlInput(t, manifest, "-n", ns, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

// k8sWaitPodsRunningReady waits until the app has exactly n live pods, all Running and Ready,
// all with image.
func k8sWaitPodsRunningReady(t *testing.T, cs kubernetes.Interface, ns, app, image string, n int) {
	t.Helper()
	k8sEventually(t, 30*time.Second, fmt.Sprintf("%d Ready pods of %s with %s", n, app, image), func(ctx context.Context) (bool, string, error) {
		pods, err := k8sPods(ctx, cs, ns, app)
		if err != nil {
			return false, "", err
		}
		if len(pods) != n {
			return false, k8sDescribePods(pods), nil
		}
		for _, p := range pods {
			if p.Status.Phase != corev1.PodRunning || !k8sPodReady(&p) || p.Spec.Containers[0].Image != image ||
				p.Status.PodIP == "" {
				return false, k8sDescribePods(pods), nil
			}
		}
		return true, "", nil
	})
}

func TestK8sRolloutAndImageUpdate(t *testing.T) {
	t.Parallel()
	ns := harness.Namespace(t)
	cs := harness.Clientset(t)
	ctx := t.Context()

	// First rollout: apply + rollout status, as a user would.
	v1 := k8sImage + ":1.0.0"
	start := time.Now()
	k8sApply(t, ns, k8sManifest("web", v1, 3, 60))
	if out, err := harness.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"); err != nil {
		t.Fatalf("first rollout: %v\n%s", err, out)
	} else if !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("first rollout: unexpected output %q", out)
	}
	t.Logf("first rollout (apply + rollout status): %.2fs", time.Since(start).Seconds())

	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != 3 || d.Status.AvailableReplicas != 3 || d.Status.UpdatedReplicas != 3 {
		t.Errorf("after first rollout: ready=%d available=%d updated=%d, want 3/3/3",
			d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas)
	}
	if c := k8sDeployCondition(d, appsv1.DeploymentProgressing); c == nil || c.Reason != "NewReplicaSetAvailable" {
		t.Errorf("Progressing condition after first rollout: %+v, want reason NewReplicaSetAvailable", c)
	}
	k8sWaitPodsRunningReady(t, cs, ns, "web", v1, 3)

	// The Service gets a cluster IP, and its EndpointSlice the three ready pods (kwok gives
	// them fake pod IPs; nothing routes to them).
	svc, err := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == "None" {
		t.Errorf("service cluster IP = %q", svc.Spec.ClusterIP)
	}
	k8sEventually(t, 30*time.Second, "EndpointSlice with 3 ready endpoints", func(ctx context.Context) (bool, string, error) {
		slices, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
		if err != nil {
			return false, "", err
		}
		ready := 0
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && *e.Conditions.Ready {
					ready++
				}
			}
		}
		return ready == 3, fmt.Sprintf("%d ready endpoints in %d slices", ready, len(slices.Items)), nil
	})

	// Second rollout: a new image.
	v2 := k8sImage + ":1.1.0"
	start = time.Now()
	if out, err := harness.Kubectl(t, "-n", ns, "set", "image", "deployment/web", "web="+v2); err != nil {
		t.Fatalf("set image: %v\n%s", err, out)
	}
	if out, err := harness.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"); err != nil {
		t.Fatalf("second rollout: %v\n%s", err, out)
	}
	t.Logf("second rollout (set image + rollout status): %.2fs", time.Since(start).Seconds())

	d, err = cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ObservedGeneration < d.Generation || d.Generation < 2 {
		t.Errorf("generation %d observed %d, want >= 2 and observed", d.Generation, d.Status.ObservedGeneration)
	}
	if d.Status.UpdatedReplicas != 3 || d.Status.ReadyReplicas != 3 {
		t.Errorf("after second rollout: updated=%d ready=%d, want 3/3", d.Status.UpdatedReplicas, d.Status.ReadyReplicas)
	}
	if got := d.Annotations["deployment.kubernetes.io/revision"]; got != "2" {
		t.Errorf("revision = %q, want 2", got)
	}
	rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) != 2 {
		t.Errorf("%d ReplicaSets, want 2", len(rss.Items))
	}
	for _, rs := range rss.Items {
		want := int32(0)
		if rs.Spec.Template.Spec.Containers[0].Image == v2 {
			want = 3
		}
		if rs.Status.Replicas != want || *rs.Spec.Replicas != want {
			t.Errorf("ReplicaSet %s (%s): spec %d status %d replicas, want %d", rs.Name,
				rs.Spec.Template.Spec.Containers[0].Image, *rs.Spec.Replicas, rs.Status.Replicas, want)
		}
	}
	k8sWaitPodsRunningReady(t, cs, ns, "web", v2, 3)
}

func TestK8sNeverReadyExceedsProgressDeadline(t *testing.T) {
	t.Parallel()
	ns := harness.Namespace(t)
	cs := harness.Clientset(t)
	image := k8sImage + ":never-ready"
	start := time.Now()
	k8sApply(t, ns, k8sManifest("stuck", image, 3, 15))

	// kubectl sees it fail...
	out, err := harness.Kubectl(t, "-n", ns, "rollout", "status", "deployment/stuck", "--timeout=90s")
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("rollout status of a never-ready Deployment succeeded:\n%s", out)
	}
	if !strings.Contains(err.Error(), "exceeded its progress deadline") {
		t.Fatalf("rollout status failed for another reason: %v", err)
	}
	t.Logf("rollout status failed after %.2fs: %v", elapsed.Seconds(), err)
	// ...not before the deadline (so it is the deadline, not some other failure).
	if elapsed < 14*time.Second {
		t.Errorf("progress deadline of 15s exceeded after only %s", elapsed)
	}

	// ...and the API says why.
	d, err := cs.AppsV1().Deployments(ns).Get(t.Context(), "stuck", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := k8sDeployCondition(d, appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("Progressing condition = %+v, want False/ProgressDeadlineExceeded", c)
	}
	if d.Status.ReadyReplicas != 0 || d.Status.AvailableReplicas != 0 {
		t.Errorf("ready=%d available=%d, want 0/0", d.Status.ReadyReplicas, d.Status.AvailableReplicas)
	}
	// The pods run but never turn Ready (the default pod-ready stage must leave them alone).
	pods, err := k8sPods(t.Context(), cs, ns, "stuck")
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 3 {
		t.Fatalf("%d pods, want 3: %s", len(pods), k8sDescribePods(pods))
	}
	for _, p := range pods {
		cst := k8sContainer(&p, "web")
		if p.Status.Phase != corev1.PodRunning || k8sPodReady(&p) || cst == nil || cst.Ready || cst.State.Running == nil {
			t.Errorf("pod not Running-but-unready: %s", k8sDescribePods([]corev1.Pod{p}))
		}
	}
}

func TestK8sImagePullBackOff(t *testing.T) {
	t.Parallel()
	ns := harness.Namespace(t)
	cs := harness.Clientset(t)
	image := k8sImage + ":image-pull-backoff"
	k8sApply(t, ns, k8sManifest("nopull", image, 2, 10))

	inBackOff := func(ctx context.Context) (bool, string, error) {
		pods, err := k8sPods(ctx, cs, ns, "nopull")
		if err != nil {
			return false, "", err
		}
		if len(pods) != 2 {
			return false, k8sDescribePods(pods), nil
		}
		for _, p := range pods {
			c := k8sContainer(&p, "web")
			if p.Status.Phase != corev1.PodPending || k8sPodReady(&p) || c == nil || c.Ready ||
				c.State.Waiting == nil || c.State.Waiting.Reason != "ImagePullBackOff" ||
				!strings.Contains(c.State.Waiting.Message, image) {
				return false, k8sDescribePods(pods), nil
			}
		}
		return true, "", nil
	}
	start := time.Now()
	k8sEventually(t, 30*time.Second, "pods waiting in ImagePullBackOff", inBackOff)
	t.Logf("pods in ImagePullBackOff after %.2fs", time.Since(start).Seconds())

	// A client that explains a failed rollout reads the pods' events.
	k8sEventually(t, 30*time.Second, "a Warning BackOff event on a pod", func(ctx context.Context) (bool, string, error) {
		evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Pod,reason=BackOff"})
		if err != nil {
			return false, "", err
		}
		for _, e := range evs.Items {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, "pulling image") {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d BackOff events", len(evs.Items)), nil
	})

	// It stays that way: the rollout runs into its deadline with the pods still backing off.
	k8sEventually(t, 60*time.Second, "ProgressDeadlineExceeded", func(ctx context.Context) (bool, string, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "nopull", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		c := k8sDeployCondition(d, appsv1.DeploymentProgressing)
		if c == nil {
			return false, "no Progressing condition", nil
		}
		return c.Reason == "ProgressDeadlineExceeded", c.Reason, nil
	})
	if ok, seen, err := inBackOff(t.Context()); !ok || err != nil {
		t.Errorf("pods left ImagePullBackOff: %s %v", seen, err)
	}
}

func TestK8sCrashLoopBackOff(t *testing.T) {
	t.Parallel()
	ns := harness.Namespace(t)
	cs := harness.Clientset(t)
	image := k8sImage + ":crash-loop"
	// The app crashes; its sidecar (an ordinary image) runs fine.
	manifest := strings.Replace(k8sManifest("crashy", image, 2, 60),
		"      containers:\n",
		"      containers:\n      - name: sidecar\n        image: "+k8sImage+"-sidecar:1.0.0\n", 1)
	k8sApply(t, ns, manifest)

	start := time.Now()
	maxRestarts := int32(0)
	k8sEventually(t, 30*time.Second, "pods in CrashLoopBackOff", func(ctx context.Context) (bool, string, error) {
		pods, err := k8sPods(ctx, cs, ns, "crashy")
		if err != nil {
			return false, "", err
		}
		if len(pods) != 2 {
			return false, k8sDescribePods(pods), nil
		}
		for _, p := range pods {
			web, side := k8sContainer(&p, "web"), k8sContainer(&p, "sidecar")
			if p.Status.Phase != corev1.PodRunning || k8sPodReady(&p) || web == nil || side == nil ||
				web.Ready || web.RestartCount < 1 || web.State.Waiting == nil ||
				web.State.Waiting.Reason != "CrashLoopBackOff" ||
				web.LastTerminationState.Terminated == nil || web.LastTerminationState.Terminated.ExitCode == 0 ||
				!side.Ready || side.State.Running == nil || side.RestartCount != 0 {
				return false, k8sDescribePods(pods), nil
			}
		}
		return true, "", nil
	})
	t.Logf("pods in CrashLoopBackOff after %.2fs", time.Since(start).Seconds())

	// The container keeps crashing: its restart count grows.
	k8sEventually(t, 30*time.Second, "restartCount growing", func(ctx context.Context) (bool, string, error) {
		pods, err := k8sPods(ctx, cs, ns, "crashy")
		if err != nil {
			return false, "", err
		}
		for _, p := range pods {
			if c := k8sContainer(&p, "web"); c != nil && c.RestartCount > maxRestarts {
				maxRestarts = c.RestartCount
			}
		}
		return maxRestarts >= 2, k8sDescribePods(pods), nil
	})
	t.Logf("restartCount reached %d after %.2fs", maxRestarts, time.Since(start).Seconds())

	d, err := cs.AppsV1().Deployments(ns).Get(t.Context(), "crashy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != 0 {
		t.Errorf("ready replicas = %d, want 0", d.Status.ReadyReplicas)
	}
}

// A pod annotated kwok.x-k8s.io/status=custom is left alone by kwok: a test can write any
// status it wants.
func TestK8sCustomStatusAnnotation(t *testing.T) {
	t.Parallel()
	ns := harness.Namespace(t)
	cs := harness.Clientset(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "custom",
			Annotations: map[string]string{"kwok.x-k8s.io/status": "custom"},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: k8sImage + ":1.0.0"}}},
	}
	// A control pod without the annotation, created after it: once kwok has made the control
	// pod Running, it has handled the custom one too, and must have left it alone.
	control := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "control"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: k8sImage + ":1.0.0"}}},
	}
	for _, p := range []*corev1.Pod{pod, control} {
		if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	k8sEventually(t, 30*time.Second, "pod scheduled", func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "custom", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return p.Spec.NodeName != "", "", nil
	})
	k8sEventually(t, 30*time.Second, "control pod running", func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "control", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return p.Status.Phase == corev1.PodRunning, string(p.Status.Phase), nil
	})
	p, err := cs.CoreV1().Pods(ns).Get(t.Context(), "custom", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodPending || len(p.Status.ContainerStatuses) != 0 {
		t.Fatalf("kwok touched a pod annotated status=custom: %s", k8sDescribePods([]corev1.Pod{*p}))
	}
	patch := `{"status":{"containerStatuses":[{"name":"web","image":"` + k8sImage + `:1.0.0","imageID":"","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ErrImagePull","message":"set by the test"}}}]}}`
	if out, err := harness.Kubectl(t, "-n", ns, "patch", "pod", "custom", "--subresource=status", "--type=merge", "-p", patch); err != nil {
		t.Fatalf("patch status: %v\n%s", err, out)
	}
	p, err = cs.CoreV1().Pods(ns).Get(t.Context(), "custom", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := k8sContainer(p, "web"); c == nil || c.State.Waiting == nil || c.State.Waiting.Reason != "ErrImagePull" {
		t.Fatalf("status after patch: %s", k8sDescribePods([]corev1.Pod{*p}))
	}
}

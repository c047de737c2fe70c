// This file renders the Job of shipit run from the Deployment's pod template; run_task.go
// creates it and waits for it.

package eks

import (
	"fmt"
	"maps"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// RunLabel is on every Job shipit run creates, and on its pod, with the app's name as value:
// kubectl get jobs -l shipit.dev/run=web.
const RunLabel = "shipit.dev/run"

// runJobTTL is how long the cluster keeps a finished Job that shipit could not delete itself
// (ttlSecondsAfterFinished, the TTL-after-finished controller): a shipit killed while it waited
// leaves no Job behind for long.
const runJobTTL = 10 * time.Minute

// runJob is the Job that runs command once in the app's pod: the rendered Deployment's pod
// template (eks.patches included: image, env, secrets, service account, resources, volumes,
// placement), with
//   - the app container's args replaced by command (Docker's CMD; the entrypoint, the spec's
//     command, stays) and its probes removed: a one-off command serves nothing, and a failing
//     liveness probe would kill it;
//   - the sidecars as native sidecars (init containers with restartPolicy Always, Kubernetes
//     documentation, "Sidecar Containers"), which the kubelet stops once the app container has
//     exited; as ordinary containers they would keep the pod, and the Job, running for ever;
//   - none of the Deployment's selector labels, so that neither the Deployment, its Service
//     nor its disruption budget counts the pod; it carries RunLabel instead;
//   - restartPolicy Never and backoffLimit 0: the command runs once, a failure is final;
//   - activeDeadlineSeconds = deadline (when > 0), so that the cluster ends the Job even when
//     shipit is gone; ttlSecondsAfterFinished unless keep.
func runJob(app *spec.App, command []string, keep bool, deadline time.Duration) (*batchv1.Job, error) {
	objs, err := Render(app)
	if err != nil {
		return nil, err
	}
	var d *appsv1.Deployment
	for _, o := range objs {
		if dep, ok := o.(*appsv1.Deployment); ok {
			d = dep
		}
	}
	if d == nil {
		return nil, fmt.Errorf("eks: the render of %s has no Deployment to take the pod template from", app.Name)
	}
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels = maps.Clone(tmpl.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	for k := range d.Spec.Selector.MatchLabels {
		delete(tmpl.Labels, k)
	}
	tmpl.Labels[RunLabel] = app.Name
	ps := &tmpl.Spec
	ps.RestartPolicy = corev1.RestartPolicyNever
	var containers []corev1.Container
	for _, c := range ps.Containers {
		if c.Name == app.MainContainer() {
			c.Args = command
			c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = nil, nil, nil
			containers = append(containers, c)
			continue
		}
		c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		ps.InitContainers = append(ps.InitContainers, c)
	}
	ps.Containers = containers

	labels := objectLabels(app)
	labels[RunLabel] = app.Name
	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: jobPrefix(app.Name),
			Namespace:    app.EKS.Namespace,
			Labels:       labels,
			Annotations:  map[string]string{spec.HashAnnotation: app.HashFor(spec.TargetEKS)},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template:     *tmpl,
		},
	}
	if deadline > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr.To(max(int64(deadline.Round(time.Second)/time.Second), 1))
	}
	if !keep {
		job.Spec.TTLSecondsAfterFinished = ptr.To(int32(runJobTTL / time.Second))
	}
	return job, nil
}

// jobPrefix is the Jobs' generateName, "<app>-run-": the API server adds 5 characters, and a
// Job's name may be at most 63 (it becomes a label value on its pods).
func jobPrefix(app string) string {
	const keep = 63 - 5 - len("-run-")
	if len(app) > keep {
		app = app[:keep]
	}
	return app + "-run-"
}

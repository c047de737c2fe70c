package eks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/shipit-dev/shipit/pkg/target"
)

// RevisionAnnotation is where the Deployment controller numbers Deployments and ReplicaSets.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// failFastReasons are container waiting reasons that will not fix themselves within the
// progress deadline: shipit fails the rollout at once rather than waiting it out.
var failFastReasons = map[string]bool{
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CrashLoopBackOff":           true,
}

// Decision is what the rollout looks like now.
type Decision struct {
	Phase     target.Phase
	Message   string
	Desired   int
	Updated   int
	Ready     int
	Available int
	// FailedPod is the pod that made a fail-fast decision, for its events.
	FailedPod string
	// Replaced: another deploy wrote the Deployment meanwhile. The rollout is theirs now;
	// rolling it back would undo their deploy.
	Replaced bool
}

// Evaluate decides a rollout's state from the Deployment, its ReplicaSets and its pods, with
// the same rule as `kubectl rollout status` plus fail-fast on pods of the new ReplicaSet. It
// is a pure function: the watch loop only feeds it what the API returned.
//
// Two departures from kubectl's rule, both where the Deployment controller's status can say
// more than kubectl reads from it:
//   - A ProgressDeadlineExceeded condition left from an earlier rollout is stale once the
//     counts show the rollout complete: the controller only updates the Progressing condition
//     on a full sync, and a change of replicas alone (a scale to 0, say) is synced without
//     it, so for a moment the new generation is observed next to the old condition.
//   - A paused Deployment rolls nothing out and never times out (the controller checks no
//     deadline while paused): a rollout that is not complete while paused fails at once,
//     rather than waiting for shipit's own timeout without saying why.
func Evaluate(d *appsv1.Deployment, rss []*appsv1.ReplicaSet, pods []*corev1.Pod) Decision {
	desired := 1
	if d.Spec.Replicas != nil {
		desired = int(*d.Spec.Replicas)
	}
	st := d.Status
	dec := Decision{Phase: target.Progressing, Desired: desired, Updated: int(st.UpdatedReplicas),
		Available: int(st.AvailableReplicas)}
	if d.Generation > st.ObservedGeneration {
		dec.Message = fmt.Sprintf("waiting for the Deployment controller to see generation %d", d.Generation)
		return dec
	}
	complete := st.UpdatedReplicas >= int32(desired) && st.Replicas <= st.UpdatedReplicas && st.AvailableReplicas >= st.UpdatedReplicas
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" && !complete {
			dec.Phase = target.Failed
			dec.Message = fmt.Sprintf("deployment %q exceeded its progress deadline: %s", d.Name, c.Message)
			return dec
		}
	}
	if d.Spec.Paused && !complete {
		dec.Phase = target.Failed
		dec.Message = fmt.Sprintf("deployment %q is paused (spec.paused): the controller rolls nothing out until `kubectl rollout resume deployment/%s`", d.Name, d.Name)
		return dec
	}
	newRS := NewReplicaSet(d, rss)
	// Ready counts the new revision's pods only: the old ones still serving are not this
	// rollout's progress ("3/3 updated, 3/3 ready" next to a failure would be a lie).
	switch {
	case newRS != nil:
		dec.Ready = int(newRS.Status.ReadyReplicas)
	case st.Replicas == st.UpdatedReplicas:
		dec.Ready = int(st.ReadyReplicas) // no old pods: every ready one is new
	}
	if newRS != nil {
		hash := newRS.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		for _, p := range sortedPods(pods) {
			if p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash || p.DeletionTimestamp != nil {
				continue
			}
			if reason, msg, ok := stuck(p); ok {
				dec.Phase = target.Failed
				dec.FailedPod = p.Name
				dec.Message = fmt.Sprintf("pod %s: %s", p.Name, reason)
				if msg != "" {
					dec.Message += ": " + msg
				}
				return dec
			}
		}
	}
	phases := podPhases(pods, newRS)
	switch {
	case st.UpdatedReplicas < int32(desired):
		dec.Message = fmt.Sprintf("waiting: %d of %d new replicas updated%s", st.UpdatedReplicas, desired, phases)
	case st.Replicas > st.UpdatedReplicas:
		dec.Message = fmt.Sprintf("waiting: %d old replicas pending termination%s", st.Replicas-st.UpdatedReplicas, phases)
	case st.AvailableReplicas < st.UpdatedReplicas:
		dec.Message = fmt.Sprintf("waiting: %d of %d updated replicas available%s", st.AvailableReplicas, st.UpdatedReplicas, phases)
		if m := d.Spec.MinReadySeconds; m > 0 && st.ReadyReplicas > st.AvailableReplicas {
			// Ready is not enough: kubectl's rule counts available pods, which lag ready ones
			// by minReadySeconds.
			dec.Message += fmt.Sprintf("; %d ready, counted available once ready for %ds (eks.minReadySeconds)", st.ReadyReplicas, m)
		}
	default:
		dec.Phase = target.Succeeded
		dec.Ready = int(st.ReadyReplicas) // the old pods are gone
		dec.Message = fmt.Sprintf("deployment %q successfully rolled out: %d/%d ready", d.Name, dec.Ready, desired)
	}
	return dec
}

// NewReplicaSet is the ReplicaSet of the Deployment's current revision, or nil before the
// controller has made it. Like the Deployment controller, it is the ReplicaSet whose pod
// template is the Deployment's (the pod-template-hash label aside): after a rollback to an
// old template the controller reuses that template's ReplicaSet and renumbers it, and the
// revision annotations of the ReplicaSet and of the Deployment are updated one after the
// other, so for a while the Deployment's revision still names the ReplicaSet rolled back
// from. Among several matching ReplicaSets the one of the Deployment's revision wins, else
// the newest; when none matches (a template the API did not return), the revision decides.
func NewReplicaSet(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	rev := d.Annotations[RevisionAnnotation]
	var same *appsv1.ReplicaSet
	for _, rs := range rss {
		if !ownedBy(rs, d) || !sameTemplate(&rs.Spec.Template, &d.Spec.Template) {
			continue
		}
		if rev != "" && rs.Annotations[RevisionAnnotation] == rev {
			return rs
		}
		if same == nil || revisionNumber(rs) > revisionNumber(same) {
			same = rs
		}
	}
	if same != nil {
		return same
	}
	if rev == "" {
		return nil
	}
	for _, rs := range rss {
		if rs.Annotations[RevisionAnnotation] == rev && ownedBy(rs, d) {
			return rs
		}
	}
	return nil
}

// sameTemplate compares pod templates as the Deployment controller does: ignoring the
// pod-template-hash label it adds to a ReplicaSet's template.
func sameTemplate(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

func ownedBy(rs *appsv1.ReplicaSet, d *appsv1.Deployment) bool {
	for _, o := range rs.OwnerReferences {
		if o.Kind == "Deployment" && o.Name == d.Name && (d.UID == "" || o.UID == d.UID) {
			return true
		}
	}
	return false
}

// stuck reports a container of the pod waiting for a reason that will not fix itself.
func stuck(p *corev1.Pod) (reason, message string, ok bool) {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			if w := cs.State.Waiting; w != nil && failFastReasons[w.Reason] {
				detail := w.Message
				if cs.Image != "" && (w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull" || w.Reason == "InvalidImageName") && !strings.Contains(detail, cs.Image) {
					detail = strings.TrimSpace("image " + cs.Image + " " + detail)
				}
				if w.Reason == "CrashLoopBackOff" {
					detail = strings.TrimSpace(fmt.Sprintf("container %s restarted %d times %s", cs.Name, cs.RestartCount, detail))
				}
				return w.Reason, detail, true
			}
		}
	}
	return "", "", false
}

// podPhases summarises the new pods' phases: " (pods: 2 Running, 1 Pending)".
func podPhases(pods []*corev1.Pod, newRS *appsv1.ReplicaSet) string {
	if newRS == nil {
		return ""
	}
	hash := newRS.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
	counts := map[string]int{}
	for _, p := range pods {
		if p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
			continue
		}
		phase := string(p.Status.Phase)
		if phase == "" {
			phase = "Pending"
		}
		if p.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		counts[phase]++
	}
	if len(counts) == 0 {
		return ""
	}
	var parts []string
	for _, ph := range []string{"Pending", "Running", "Succeeded", "Failed", "Unknown", "Terminating"} {
		if n := counts[ph]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, ph))
		}
	}
	return " (new pods: " + strings.Join(parts, ", ") + ")"
}

func sortedPods(pods []*corev1.Pod) []*corev1.Pod {
	out := append([]*corev1.Pod(nil), pods...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// revisionNumber parses a revision annotation (0 when absent).
func revisionNumber(o interface{ GetAnnotations() map[string]string }) int64 {
	n, _ := strconv.ParseInt(o.GetAnnotations()[RevisionAnnotation], 10, 64)
	return n
}

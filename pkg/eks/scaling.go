package eks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Switching an app between a fixed replica count and autoscaling is where server-side apply
// and the HPA get in each other's way; these steps keep the pods running through both.
//
//   - Into autoscaling: the render drops spec.replicas. With shipit as its only owner, apply
//     would remove the field and the Deployment would fall back to 1 replica until the HPA
//     scaled it up again. As the Kubernetes documentation advises ("transferring ownership"),
//     another field manager first applies just the current count, so the field survives
//     shipit letting go of it; the HPA takes it from there.
//   - Out of autoscaling: the HPA (or the hand-over manager) owns spec.replicas, so shipit's
//     apply would conflict with it. The apply of the Deployment takes spec.replicas over when
//     that is the only field in conflict (a conflict on any other field is still reported),
//     and the HPA is deleted right after it (prune), so it stops scaling. Until that delete
//     has happened the HPA is still there, so a deploy that failed half way is finished by
//     the next one.
//
// handoverManager is the field manager that holds spec.replicas between shipit and the HPA.
const handoverManager = "handover-to-hpa"

// scalingSwitch is what the live Deployment needs before the apply.
type scalingSwitch int

const (
	noSwitch scalingSwitch = iota
	intoAutoscaling
	outOfAutoscaling
)

// switchFor decides from the live Deployment (nil when there is none), whether a shipit HPA
// of the app is live, and whether the spec autoscales.
func switchFor(live *appsv1.Deployment, liveHPA, autoscale bool) scalingSwitch {
	switch {
	case live == nil:
		return noSwitch
	case autoscale && live.Spec.Replicas != nil && ownsReplicas(live, FieldManager, metav1.ManagedFieldsOperationApply):
		return intoAutoscaling
	case !autoscale && liveHPA:
		return outOfAutoscaling
	}
	return noSwitch
}

// ownsReplicas reports whether a field manager owns spec.replicas through an operation.
func ownsReplicas(d *appsv1.Deployment, manager string, op metav1.ManagedFieldsOperationType) bool {
	for _, mf := range d.ManagedFields {
		if mf.Manager != manager || mf.Operation != op || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields) == nil {
			if _, ok := fields["f:spec"]["f:replicas"]; ok {
				return true
			}
		}
	}
	return false
}

// scalingSwitchFor reads what switchFor needs from the cluster.
func (s *Session) scalingSwitchFor(ctx context.Context, app *spec.App) (scalingSwitch, error) {
	ns := app.EKS.Namespace
	live, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return noSwitch, nil
	}
	if err != nil {
		return noSwitch, fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	h, err := s.ownHPA(ctx, app)
	if err != nil {
		return noSwitch, err
	}
	return switchFor(live, h != nil, app.Autoscale != nil), nil
}

// onlyReplicasConflict reports whether an apply failed on a conflict over spec.replicas alone.
func onlyReplicasConflict(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &st) || st.Status().Details == nil || len(st.Status().Details.Causes) == 0 {
		return false
	}
	for _, c := range st.Status().Details.Causes {
		if c.Field != ".spec.replicas" {
			return false
		}
	}
	return true
}

// handOver performs the switch into autoscaling before the apply, with the deploy lock held.
// The Deployment is read again under the lock, so the count handed over is the live one. It
// returns what it did, for the output.
func (s *Session) handOver(ctx context.Context, app *spec.App) (string, error) {
	ns := app.EKS.Namespace
	live, err := s.cs.AppsV1().Deployments(ns).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get deployment %s/%s: %w", ns, app.Name, err)
	}
	if switchFor(live, false, true) != intoAutoscaling {
		return "", nil // someone else's deploy made the switch meanwhile
	}
	body, err := json.Marshal(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": app.Name, "namespace": ns},
		"spec":     map[string]any{"replicas": *live.Spec.Replicas},
	})
	if err != nil {
		return "", err
	}
	if _, err := s.cs.AppsV1().Deployments(ns).Patch(ctx, app.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: handoverManager}); err != nil {
		return "", fmt.Errorf("hand spec.replicas of deployment %s over to the autoscaler: %w", app.Name, err)
	}
	return fmt.Sprintf("autoscaling from now on: the %d live replicas stay until the HorizontalPodAutoscaler changes them", *live.Spec.Replicas), nil
}

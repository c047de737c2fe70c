package eks

import (
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func deploymentWith(replicas *int32, fields ...metav1.ManagedFieldsEntry) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{ManagedFields: fields}, Spec: appsv1.DeploymentSpec{Replicas: replicas}}
}

func managed(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, FieldsV1: metav1.NewFieldsV1(fields)}
}

func TestSwitchFor(t *testing.T) {
	three := int32(3)
	shipitReplicas := managed("shipit", metav1.ManagedFieldsOperationApply, `{"f:spec":{"f:replicas":{},"f:template":{}}}`)
	shipitNoReplicas := managed("shipit", metav1.ManagedFieldsOperationApply, `{"f:spec":{"f:template":{}}}`)
	hpaReplicas := managed("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:replicas":{}}}`)
	shipitUpdate := managed("shipit", metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:replicas":{}}}`)
	for _, tc := range []struct {
		name      string
		live      *appsv1.Deployment
		liveHPA   bool
		autoscale bool
		want      scalingSwitch
	}{
		{"first deploy", nil, false, true, noSwitch},
		{"fixed count stays fixed", deploymentWith(&three, shipitReplicas), false, false, noSwitch},
		{"into autoscaling: shipit owns replicas", deploymentWith(&three, shipitReplicas), false, true, intoAutoscaling},
		{"already autoscaled: shipit let go of replicas", deploymentWith(&three, shipitNoReplicas, hpaReplicas), true, true, noSwitch},
		{"an Update by shipit is not its apply", deploymentWith(&three, shipitNoReplicas, shipitUpdate), false, true, noSwitch},
		{"out of autoscaling: shipit's HPA is live", deploymentWith(&three, shipitNoReplicas, hpaReplicas), true, false, outOfAutoscaling},
		{"no HPA of shipit's: nothing to switch", deploymentWith(&three, shipitNoReplicas, hpaReplicas), false, false, noSwitch},
		{"unreadable managed fields", deploymentWith(&three, managed("shipit", metav1.ManagedFieldsOperationApply, `not json`)), false, true, noSwitch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := switchFor(tc.live, tc.liveHPA, tc.autoscale); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOnlyReplicasConflict(t *testing.T) {
	conflict := func(fields ...string) error {
		err := apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("Apply failed"))
		for _, f := range fields {
			err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: f})
		}
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"replicas alone", conflict(".spec.replicas"), true},
		{"replicas and the image", conflict(".spec.replicas", `.spec.template.spec.containers[name="web"].image`), false},
		{"no causes", conflict(), false},
		{"not a conflict", apierrors.NewBadRequest("bad"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := onlyReplicasConflict(tc.err); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

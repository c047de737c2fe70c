package eks

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// TestDefaultsRoundTrip: stripping the defaults of a live object and filling them in again
// gives the live object back (so an apply of the stripped object changes nothing), and
// stripping is idempotent.
func TestDefaultsRoundTrip(t *testing.T) {
	objs := liveObjects()
	hpa := objs[5].(*autoscalingv2.HorizontalPodAutoscaler).DeepCopy()
	hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}}
	FillDefaults(hpa)
	svc := objs[3].(*corev1.Service).DeepCopy()
	svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	FillDefaults(svc)
	objs = append(objs, hpa, svc)
	for _, o := range objs {
		live := o.DeepCopyObject()
		StripServerFields(live)
		stripped := live.DeepCopyObject()
		StripDefaults(stripped)
		again := stripped.DeepCopyObject()
		StripDefaults(again)
		back := stripped.DeepCopyObject()
		FillDefaults(back)
		if !equality.Semantic.DeepEqual(back, live) {
			t.Errorf("%T %s: fill(strip(live)) != live:\n%#v\n%#v", o, name(o), back, live)
		}
		if !equality.Semantic.DeepEqual(again, stripped) {
			t.Errorf("%T %s: strip is not idempotent", o, name(o))
		}
	}
}

func name(o runtime.Object) string { _, n := kindName(o); return n }

// TestDefaults pins single defaults: the pull policy by tag, a probe's, a Secret volume's mode.
func TestDefaults(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"nginx": corev1.PullAlways, "nginx:latest": corev1.PullAlways, "nginx:1.27": corev1.PullIfNotPresent,
		"registry:5000/nginx": corev1.PullAlways, "registry:5000/nginx:1": corev1.PullIfNotPresent,
		"nginx@sha256:0123": corev1.PullIfNotPresent, "nginx:latest@sha256:0123": corev1.PullAlways,
	} {
		if got := defaultPullPolicy(image); got != want {
			t.Errorf("%s: %s, want %s", image, got, want)
		}
	}
	d := liveDeployment("web", "", map[string]string{"app": "web"})
	ps := &d.Spec.Template.Spec
	ps.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}, {Name: "e"}}
	ps.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9}}}
	FillDefaults(d)
	if m := ps.Volumes[0].Secret.DefaultMode; m == nil || *m != 0o644 {
		t.Errorf("secret mode %v", m)
	}
	if ps.Volumes[1].EmptyDir == nil {
		t.Error("a volume without a source is not an emptyDir")
	}
	l := ps.Containers[0].LivenessProbe
	if l.TimeoutSeconds != 1 || l.PeriodSeconds != 10 || l.SuccessThreshold != 1 || l.FailureThreshold != 3 || l.GRPC.Service == nil || *l.GRPC.Service != "" {
		t.Errorf("probe %+v", l)
	}
	if d.Spec.Strategy.RollingUpdate.MaxSurge.String() != "25%" || *d.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("strategy %+v", d.Spec.Strategy)
	}
}

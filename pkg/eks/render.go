// This file renders a spec into the k8s.io/api objects that deploy applies; rendering is
// pure and needs no cluster.

package eks

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Labels and annotations shipit puts on what it creates.
const (
	NameLabel      = "app.kubernetes.io/name"
	ManagedByLabel = "app.kubernetes.io/managed-by"
	RoleAnnotation = "eks.amazonaws.com/role-arn"
	// The ClusterSecretStores used for AWS secret references unless eks.secretStore is set.
	SecretsManagerStore = "aws-secrets-manager"
	ParameterStore      = "aws-parameter-store"
)

// Render maps a validated spec to Kubernetes objects in apply order (Namespace,
// ServiceAccount, ExternalSecret, PersistentVolume/Claim, Deployment, Service, Ingress, HPA,
// PodDisruptionBudget), with eks.patches applied last. Only a patch can fail.
func Render(app *spec.App) ([]runtime.Object, error) {
	return applyPatches(app, renderObjects(app))
}

// renderObjects is the render from the spec's own fields, before eks.patches.
func renderObjects(app *spec.App) []runtime.Object {
	hash := app.HashFor(spec.TargetEKS)
	ns := app.EKS.Namespace
	meta := func(name string, namespaced bool) metav1.ObjectMeta {
		m := metav1.ObjectMeta{
			Name:        name,
			Labels:      objectLabels(app),
			Annotations: map[string]string{spec.HashAnnotation: hash},
		}
		if namespaced {
			m.Namespace = ns
		}
		return m
	}
	var objs []runtime.Object
	if ns != spec.DefaultNamespace {
		objs = append(objs, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: meta(ns, false),
		})
	}
	if sa := app.EKS.ServiceAccount; sa != "" && app.EKS.OwnsServiceAccount() {
		m := meta(sa, true)
		if app.Role != "" {
			m.Annotations[RoleAnnotation] = app.Role
		}
		objs = append(objs, &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: m})
	}
	if es := externalSecret(app, meta(app.Name, true)); es != nil {
		objs = append(objs, es)
	}
	for _, v := range app.Volumes {
		if v.EFS == nil {
			continue // scratch, Secret and ConfigMap volumes live in the pod spec only
		}
		pv, pvc := efsVolume(app, v, meta)
		objs = append(objs, pv, pvc)
	}
	objs = append(objs, deployment(app, meta(app.Name, true)))
	if app.Expose != "none" && len(app.ExposedPorts()) > 0 {
		objs = append(objs, service(app, meta(ServiceName(app), true)))
		if ps := publicService(app, meta); ps != nil {
			objs = append(objs, ps)
		}
		if app.PublicViaALB() {
			objs = append(objs, ingress(app, meta(app.Name, true)))
		}
	}
	if app.Autoscale != nil {
		objs = append(objs, hpa(app, meta(app.Name, true)))
	}
	if pdb := disruptionBudget(app, meta(app.Name, true)); pdb != nil {
		objs = append(objs, pdb)
	}
	return objs
}

// SelectorLabels select the app's pods; they never change, since a Deployment's selector is
// immutable.
func SelectorLabels(app *spec.App) map[string]string {
	if len(app.EKS.Selector) > 0 {
		return maps.Clone(app.EKS.Selector)
	}
	return map[string]string{NameLabel: app.Name}
}

// ServiceName is the app's Service: eks.serviceName, else the app's name.
func ServiceName(app *spec.App) string { return spec.ServiceNameOf(app) }

func objectLabels(app *spec.App) map[string]string {
	l := map[string]string{}
	for k, v := range app.Labels {
		l[k] = v
	}
	l[NameLabel] = app.Name
	l[ManagedByLabel] = spec.ManagedBy
	return l
}

func deployment(app *spec.App, meta metav1.ObjectMeta) *appsv1.Deployment {
	// The pods carry the selector's labels too, or an adopted selector would select nothing.
	podLabels := objectLabels(app)
	for k, v := range SelectorLabels(app) {
		podLabels[k] = v
	}
	surge := intstr.FromString(fmt.Sprintf("%d%%", app.MaxSurgePercent()))
	unavail := intstr.FromString(fmt.Sprintf("%d%%", app.MaxUnavailablePercent()))
	deadline := int32(app.RolloutTimeout().Seconds())
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(app)},
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail},
			},
			ProgressDeadlineSeconds: &deadline,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: maps.Clone(app.EKS.PodAnnotations)},
				Spec:       podSpec(app),
			},
		},
	}
	// With autoscale the HPA owns the replica count: leaving replicas out of what shipit
	// applies means a deploy never resets it.
	if app.Autoscale == nil && app.Replicas != nil {
		n := int32(*app.Replicas)
		d.Spec.Replicas = &n
	}
	schedule(app, d)
	return d
}

func hpa(app *spec.App, meta metav1.ObjectMeta) *autoscalingv2.HorizontalPodAutoscaler {
	as := app.Autoscale
	minR := int32(as.Min)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: meta,
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: app.Name},
			MinReplicas:    &minR,
			MaxReplicas:    int32(as.Max),
		},
	}
	add := func(name corev1.ResourceName, pct int) {
		if pct == 0 {
			return
		}
		v := int32(pct)
		h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: name, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v,
			}},
		})
	}
	add(corev1.ResourceCPU, as.CPU)
	add(corev1.ResourceMemory, as.Memory)
	return h
}

func volumeName(app *spec.App, v spec.Volume) string { return app.Name + "-" + v.Name }

// EFSVolumeNames are the PersistentVolumeClaim and PersistentVolume an EFS volume renders.
func EFSVolumeNames(app *spec.App, v spec.Volume) (claim, volume string) {
	volume = volumeName(app, v)
	if app.EKS.Namespace != spec.DefaultNamespace {
		volume = app.EKS.Namespace + "-" + volume // PVs are cluster-wide
	}
	return volumeName(app, v), volume
}

// efsVolume statically provisions an EFS file system (or access point) through the EFS CSI
// driver: a PersistentVolume bound to one claim in the app's namespace.
func efsVolume(app *spec.App, v spec.Volume, meta func(string, bool) metav1.ObjectMeta) (*corev1.PersistentVolume, *corev1.PersistentVolumeClaim) {
	_, name := EFSVolumeNames(app, v)
	handle := v.EFS.FileSystem
	if v.EFS.AccessPoint != "" {
		handle += "::" + v.EFS.AccessPoint
	}
	// EFS is elastic; Kubernetes still wants a capacity, which the driver ignores.
	capacity := corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}
	empty := ""
	pv := &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: meta(name, false),
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      capacity,
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "efs.csi.aws.com", VolumeHandle: handle, VolumeAttributes: efsAttributes(v.EFS),
			}},
			ClaimRef: &corev1.ObjectReference{Namespace: app.EKS.Namespace, Name: volumeName(app, v)},
		},
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: meta(volumeName(app, v), true),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: &empty,
			VolumeName:       name,
			Resources:        corev1.VolumeResourceRequirements{Requests: capacity},
		},
	}
	return pv, pvc
}

// efsAttributes are the EFS CSI driver's volume attributes: encryptInTransit "false" when the
// spec turns transit encryption off (the driver's default is on, as ECS's is in shipit).
func efsAttributes(e *spec.EFS) map[string]string {
	if e.Encrypted() {
		return nil
	}
	return map[string]string{"encryptInTransit": "false"}
}

// externalSecret feeds AWS secret references into a Secret named after the app, through the
// External Secrets Operator (external-secrets.io/v1). Each kind of reference goes to its own
// ClusterSecretStore: Secrets Manager to eks.secretStore, SSM to eks.parameterStore.
func externalSecret(app *spec.App, meta metav1.ObjectMeta) *unstructured.Unstructured {
	var data []any
	smStore, ssmStore := app.EKS.SecretStore, app.EKS.ParameterStore
	if smStore == "" {
		smStore = SecretsManagerStore
	}
	if ssmStore == "" {
		ssmStore = ParameterStore
	}
	for _, k := range slices.Sorted(maps.Keys(app.Secrets)) {
		ref := spec.ParseSecretRef(app.Secrets[k])
		var remote map[string]any
		item := map[string]any{"secretKey": k}
		switch ref.Kind {
		case spec.SecretsManager:
			// ECS's ARN:json-key:version-stage:version-id suffix is ESO's property and version
			// (a version id is written uuid/<id>).
			remote = map[string]any{"key": ref.SecretARN}
			if ref.JSONKey != "" {
				remote["property"] = ref.JSONKey
			}
			switch {
			case ref.VersionID != "":
				remote["version"] = "uuid/" + ref.VersionID
			case ref.VersionStage != "":
				remote["version"] = ref.VersionStage
			}
		case spec.SSMParameter:
			// The parameter store provider takes the parameter's name, not its ARN.
			remote = map[string]any{"key": ref.Parameter}
			item["sourceRef"] = map[string]any{"storeRef": map[string]any{"kind": "ClusterSecretStore", "name": ssmStore}}
		default:
			continue
		}
		item["remoteRef"] = remote
		data = append(data, item)
	}
	if len(data) == 0 {
		return nil
	}
	labels := map[string]any{}
	for k, v := range meta.Labels {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1",
		"kind":       "ExternalSecret",
		"metadata": map[string]any{
			"name": meta.Name, "namespace": meta.Namespace, "labels": labels,
			"annotations": map[string]any{spec.HashAnnotation: meta.Annotations[spec.HashAnnotation]},
		},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": smStore},
			"target":          map[string]any{"name": app.Name, "creationPolicy": "Owner"},
			"data":            data,
		},
	}}
}

package importer

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipit-dev/shipit/pkg/eks"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// What shipit renders for AWS on Kubernetes, read back: the ExternalSecret that feeds AWS
// secret references into the app's Secret (secrets:), and the EFS CSI PersistentVolume and
// claim behind an EFS volume (volumes[].efs).

// esItem is one entry of the ExternalSecret's data as a secret reference.
type esItem struct {
	key, ref string
	ssmStore string // the store of an SSM parameter ("" for Secrets Manager)
}

// externalSecret reads the ExternalSecret when it feeds the app's own Secret (named after
// the app) from ClusterSecretStores: its data as secret references, and its stores.
func (in *k8sApp) externalSecret() (items []esItem, store string, ok bool) {
	if in.secret == nil {
		return nil, "", false
	}
	u := in.secret.obj.(*unstructured.Unstructured)
	tgt, _, _ := unstructured.NestedString(u.Object, "spec", "target", "name")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "secretStoreRef", "kind")
	store, _, _ = unstructured.NestedString(u.Object, "spec", "secretStoreRef", "name")
	if tgt != in.d.Name || kind != "ClusterSecretStore" {
		return nil, "", false
	}
	data, _, _ := unstructured.NestedSlice(u.Object, "spec", "data")
	for _, d := range data {
		m, _ := d.(map[string]any)
		key, _, _ := unstructured.NestedString(m, "secretKey")
		remote, _, _ := unstructured.NestedString(m, "remoteRef", "key")
		prop, _, _ := unstructured.NestedString(m, "remoteRef", "property")
		version, _, _ := unstructured.NestedString(m, "remoteRef", "version")
		ssm, isSSM, _ := unstructured.NestedString(m, "sourceRef", "storeRef", "name")
		var ref string
		switch {
		case isSSM && prop == "" && version == "":
			ref = remote // the parameter store provider takes the parameter's name
		case !isSSM:
			// ECS's ARN:json-key:version-stage:version-id, as ESO's property and version.
			stage, id := version, ""
			if v, ok := strings.CutPrefix(version, "uuid/"); ok {
				stage, id = "", v
			}
			ref = remote
			if prop != "" || stage != "" || id != "" {
				ref += ":" + prop + ":" + stage + ":" + id
			}
		}
		r := spec.ParseSecretRef(ref)
		if r.Kind != spec.SecretsManager && r.Kind != spec.SSMParameter || (r.Kind == spec.SSMParameter) != isSSM {
			continue // not a reference the spec can hold: the patches carry the entry
		}
		items = append(items, esItem{key: key, ref: ref, ssmStore: ssm})
	}
	return items, store, true
}

// secretEnv are the app container's variables the ExternalSecret feeds (name = key, from the
// app's Secret), which env then leaves to secrets:.
func (in *k8sApp) secretEnv(on bool) map[string]bool {
	items, _, ok := in.externalSecret()
	if !on || !ok {
		return nil
	}
	main := in.d.Spec.Template.Spec.Containers[in.main]
	out := map[string]bool{}
	for _, it := range items {
		for _, e := range main.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && e.Name == it.key && r.SecretKeyRef.Name == in.d.Name && r.SecretKeyRef.Key == it.key && r.SecretKeyRef.Optional == nil {
				out[it.key] = true
			}
		}
	}
	return out
}

// awsSecrets reads the ExternalSecret back into secrets: and the stores.
func (in *k8sApp) awsSecrets(a *spec.App) {
	items, store, ok := in.externalSecret()
	if !ok {
		return
	}
	fed := in.secretEnv(true)
	for _, it := range items {
		if !fed[it.key] {
			continue
		}
		if a.Secrets == nil {
			a.Secrets = map[string]string{}
		}
		a.Secrets[it.key] = it.ref
		if it.ssmStore != "" && it.ssmStore != eks.ParameterStore {
			a.EKS.ParameterStore = it.ssmStore
		}
	}
	if len(a.Secrets) > 0 && store != eks.SecretsManagerStore {
		a.EKS.SecretStore = store
	}
}

// efsVolume reads a pod volume on a claim bound to an EFS CSI PersistentVolume (as shipit
// renders one: a volume handle fs-… or fs-…::fsap-…, encryptInTransit) as an EFS volume.
func (in *k8sApp) efsVolume(v corev1.Volume) *spec.EFS {
	claim := in.claims[v.PersistentVolumeClaim.ClaimName]
	if claim == nil {
		return nil
	}
	pvo := in.volumeOf(claim)
	if pvo == nil {
		return nil
	}
	csi := pvo.obj.(*corev1.PersistentVolume).Spec.CSI
	if csi == nil || csi.Driver != "efs.csi.aws.com" {
		return nil
	}
	fs, ap, _ := strings.Cut(csi.VolumeHandle, "::")
	e := &spec.EFS{FileSystem: fs, AccessPoint: ap}
	if csi.VolumeAttributes["encryptInTransit"] == "false" {
		f := false
		e.TransitEncryption = &f
	}
	in.efs[v.Name] = [2]*k8sObject{claim, pvo}
	return e
}

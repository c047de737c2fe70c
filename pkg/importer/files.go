package importer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/shipit-dev/shipit/pkg/target"
)

// FromDocuments imports one app from its definitions: ECS JSON (a task definition, and
// optionally a service) or Kubernetes YAML (a Deployment and its Service, HPA, ServiceAccount,
// PodDisruptionBudget, Ingress). Which it is comes from the content, not the file name.
func FromDocuments(docs []target.Document) (*Result, error) {
	var ecsDocs, k8sDocs []target.Document
	for _, d := range docs {
		if isJSONObject(d.Data) && !looksKubernetes(d.Data) {
			ecsDocs = append(ecsDocs, d)
		} else {
			k8sDocs = append(k8sDocs, d)
		}
	}
	switch {
	case len(ecsDocs) > 0 && len(k8sDocs) > 0:
		return nil, fmt.Errorf("%s is ECS JSON and %s is Kubernetes YAML: import one app from one platform at a time", ecsDocs[0].Name, k8sDocs[0].Name)
	case len(ecsDocs) > 0:
		return FromECS(ecsDocs)
	case len(k8sDocs) > 0:
		return FromKubernetes(k8sDocs)
	}
	return nil, fmt.Errorf("nothing to import: name a task definition (and service) JSON file, or Kubernetes manifests")
}

func isJSONObject(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && json.Valid(b)
}

// looksKubernetes reports whether a JSON document is a Kubernetes object or List (kubectl get
// -o json), which has apiVersion and kind at the top.
func looksKubernetes(b []byte) bool {
	var top struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	return json.Unmarshal(b, &top) == nil && top.APIVersion != "" && top.Kind != ""
}

package importer

import (
	"errors"

	"github.com/shipit-dev/shipit/pkg/target"
)

// FromKubernetes imports a Deployment and the objects around it (Service, HPA, ServiceAccount,
// PodDisruptionBudget, Ingress) from multi-document YAML or a List.
func FromKubernetes(docs []target.Document) (*Result, error) {
	return nil, errors.New("importing from Kubernetes is not built yet")
}

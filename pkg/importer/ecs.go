package importer

import (
	"errors"

	"github.com/shipit-dev/shipit/pkg/target"
)

// FromECS imports a task definition (register-task-definition input or describe-task-definition
// output) and, optionally, a service (create-service input or describe-services output).
func FromECS(docs []target.Document) (*Result, error) {
	return nil, errors.New("importing from ECS is not built yet")
}

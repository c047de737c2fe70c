package ecs

import (
	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/target"
)

// File names of an ECS render, each in the shape `aws … --cli-input-json` accepts.
const (
	TaskDefinitionFile = "task-definition.json" // aws ecs register-task-definition
	ServiceFile        = "service.json"         // aws ecs create-service
	ScalingFile        = "scaling.json"         // register-scalable-target input + "policies"
)

// Files renders the inputs as the CLI-input JSON files of `shipit render`.
//
// scaling.json holds the Application Auto Scaling calls deploy makes, in the lowerCamel style
// of the other two files: the register-scalable-target input (serviceNamespace, resourceId,
// scalableDimension, minCapacity, maxCapacity, tags) plus "policies", a list of complete
// put-scaling-policy inputs. (That service's CLI spells the same keys in PascalCase.)
func (r *Rendered) Files() ([]target.File, error) {
	var files []target.File
	add := func(name string, v any) error {
		b, err := awsjson.Marshal(v)
		if err == nil {
			files = append(files, target.File{Name: name, Data: b})
		}
		return err
	}
	if err := add(TaskDefinitionFile, r.TaskDefinition); err != nil {
		return nil, err
	}
	if err := add(ServiceFile, r.Service); err != nil {
		return nil, err
	}
	if r.Scaling != nil {
		if err := add(ScalingFile, r.ScalingDocument()); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// ScalingDocument is scaling.json as plain JSON values.
func (r *Rendered) ScalingDocument() map[string]any {
	if r.Scaling == nil {
		return nil
	}
	doc := awsjson.Value(r.Scaling.Target).(map[string]any)
	policies := make([]any, 0, len(r.Scaling.Policies))
	for _, p := range r.Scaling.Policies {
		policies = append(policies, awsjson.Value(p))
	}
	doc["policies"] = policies
	return doc
}

// Document is the whole render as one JSON value (for stdout and -o json).
func (r *Rendered) Document() map[string]any {
	doc := map[string]any{
		"taskDefinition": awsjson.Value(r.TaskDefinition),
		"service":        awsjson.Value(r.Service),
		"logGroup":       map[string]any{"logGroupName": r.LogGroup, "retentionInDays": r.LogRetention},
		"specHash":       r.Hash,
	}
	if r.Scaling != nil {
		doc["scaling"] = r.ScalingDocument()
	}
	return doc
}

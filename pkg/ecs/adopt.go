package ecs

// Adopting a service shipit did not deploy (`shipit import`, then `shipit deploy`): its task
// definition carries no spec hash, so whether it already is the render is told by its content,
// normalised as diff normalises it (docs/architecture.md, "The flow"). A deploy then registers
// nothing and starts no deployment when the imported spec is unchanged.

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
)

// adopted reports whether a live task definition without a spec hash is this render: the same
// family and the same content but for tags (shipit's bookkeeping, which a revision of its own
// would carry). An image the render pinned to a digest counts as the tag it was pinned from,
// which is what the live task definition names.
func adopted(td *types.TaskDefinition, tags []types.Tag, rd *Rendered, pins []pinned) bool {
	if td == nil || tagValue(tags, spec.HashAnnotation) != "" {
		return false
	}
	if aws.ToString(td.Family) != aws.ToString(rd.TaskDefinition.Family) {
		return false
	}
	want := *rd.TaskDefinition
	want.Tags = nil
	want.ContainerDefinitions = append([]types.ContainerDefinition(nil), rd.TaskDefinition.ContainerDefinitions...)
	for i, c := range want.ContainerDefinitions {
		for _, p := range pins {
			if p.container == aws.ToString(c.Name) && p.to == aws.ToString(c.Image) {
				want.ContainerDefinitions[i].Image = aws.String(p.from)
			}
		}
	}
	live := normalizeTaskDefinition(awsjson.Value(registerInput(td, nil)))
	return docText(live) == docText(normalizeTaskDefinition(awsjson.Value(&want)))
}

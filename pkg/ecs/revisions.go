// This file holds the task definition revisions: reading one, listing a family's, and telling
// whether one already is a render.

package ecs

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// sameRevision reports whether a registered task definition is this render: it carries the
// spec's hash and runs the same (pinned) images. A moved ECR tag changes the digest, so it is a
// change even when the spec is not.
func sameRevision(td *types.TaskDefinition, tags []types.Tag, rd *Rendered) bool {
	if td == nil || tagValue(tags, spec.HashAnnotation) != rd.Hash {
		return false
	}
	if aws.ToString(td.Family) != aws.ToString(rd.TaskDefinition.Family) {
		return false
	}
	want := map[string]string{}
	for _, c := range rd.TaskDefinition.ContainerDefinitions {
		want[aws.ToString(c.Name)] = aws.ToString(c.Image)
	}
	if len(td.ContainerDefinitions) != len(want) {
		return false
	}
	for _, c := range td.ContainerDefinitions {
		if img, ok := want[aws.ToString(c.Name)]; !ok || img != aws.ToString(c.Image) {
			return false
		}
	}
	return true
}

// taskDefinition describes a task definition (ARN, family:rev, or family for the newest
// revision) with its tags.
func (s *Session) taskDefinition(ctx context.Context, ref string) (*types.TaskDefinition, []types.Tag, error) {
	out, err := s.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, nil, apiError("ecs DescribeTaskDefinition", ref, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// revisions lists the family's task definition ARNs with the given status (ACTIVE or
// INACTIVE), newest first.
func (s *Session) revisions(ctx context.Context, family string, status types.TaskDefinitionStatus) ([]string, error) {
	var arns []string
	pages := ecs.NewListTaskDefinitionsPaginator(s.ecs, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: status, Sort: types.SortOrderDesc,
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("ecs ListTaskDefinitions", "family "+family, err)
		}
		for _, a := range out.TaskDefinitionArns {
			if f, _ := splitRevision(Revision(a)); f == family {
				arns = append(arns, a)
			}
		}
	}
	sort.SliceStable(arns, func(i, j int) bool {
		_, a := splitRevision(Revision(arns[i]))
		_, b := splitRevision(Revision(arns[j]))
		return a > b
	})
	return arns, nil
}

// splitRevision splits family:rev.
func splitRevision(s string) (string, int) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	return s[:i], n
}

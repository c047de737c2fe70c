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

// clusterRevision is a revision of the app's family registered for the app's cluster, with
// its description and tags.
type clusterRevision struct {
	arn  string
	td   *types.TaskDefinition
	tags []types.Tag
}

// clusterRevisions walks the family's ACTIVE revisions newest first, skipping those numbered
// at or above below (when > 0) unread, and hands each that was registered for the app's
// cluster (ClusterTag) to each until it returns false. A family is shared by every cluster of
// the account and region (an app's staging and production register revisions of the same
// family), so rollback and history only take their own cluster's. ListTaskDefinitions carries
// no tags: each revision is described on the way, so a walk that stops early reads no more
// than it needs. others counts the revisions read that belong to another cluster or carry no
// cluster tag.
func (s *Session) clusterRevisions(ctx context.Context, app *spec.App, below int, each func(clusterRevision) bool) (others int, err error) {
	arns, err := s.revisions(ctx, Family(app), types.TaskDefinitionStatusActive)
	if err != nil {
		return 0, err
	}
	for _, a := range arns {
		if _, n := splitRevision(Revision(a)); below > 0 && n >= below {
			continue
		}
		td, tags, err := s.taskDefinition(ctx, a)
		if err != nil {
			return others, err
		}
		if tagValue(tags, ClusterTag) != app.ECS.Cluster {
			others++
			continue
		}
		if !each(clusterRevision{arn: a, td: td, tags: tags}) {
			return others, nil
		}
	}
	return others, nil
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

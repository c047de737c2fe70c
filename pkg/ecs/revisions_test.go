package ecs

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// pagedTaskDefs answers ListTaskDefinitions two ARNs a page, as ECS pages a long family.
type pagedTaskDefs struct {
	*fakeECS
	arns   []string
	tokens []string
}

func (p *pagedTaskDefs) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	p.tokens = append(p.tokens, aws.ToString(in.NextToken))
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	end := min(start+2, len(p.arns))
	out := &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: p.arns[start:end]}
	if end < len(p.arns) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func TestRevisionsReadsEveryPage(t *testing.T) {
	const prefix = "arn:aws:ecs:us-east-1:123456789012:task-definition/"
	p := &pagedTaskDefs{fakeECS: &fakeECS{}, arns: []string{
		prefix + "web:9", prefix + "web-worker:4", prefix + "web:10", prefix + "web:2", prefix + "web:7",
	}}
	s := newTestSession(p.fakeECS)
	s.ecs = p
	got, err := s.revisions(context.Background(), "web", types.TaskDefinitionStatusActive)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{prefix + "web:10", prefix + "web:9", prefix + "web:7", prefix + "web:2"}
	if !slices.Equal(got, want) {
		t.Errorf("revisions %v\nwant %v", got, want)
	}
	if wantTokens := []string{"", "2", "4"}; !slices.Equal(p.tokens, wantTokens) {
		t.Errorf("asked with tokens %q, want %q", p.tokens, wantTokens)
	}
}

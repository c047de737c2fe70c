package ecs

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// describeBatch is the most tasks one DescribeTasks call takes.
const describeBatch = 100

// eachTask lists the tasks ListTasks finds for in, every page, and describes them a batch at
// a time; visit sees each batch and returns false to stop. what names the tasks in errors.
func (s *Session) eachTask(ctx context.Context, app *spec.App, in *ecs.ListTasksInput, what string, visit func([]types.Task) bool) error {
	pages := ecs.NewListTasksPaginator(s.ecs, in)
	var arns []string
	describe := func() (bool, error) {
		out, err := s.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(app.ECS.Cluster), Tasks: arns})
		arns = arns[:0]
		if err != nil {
			return false, apiError("ecs DescribeTasks", what, err)
		}
		return visit(out.Tasks), nil
	}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return apiError("ecs ListTasks", what, err)
		}
		for _, arn := range page.TaskArns {
			arns = append(arns, arn)
			if len(arns) == describeBatch {
				if more, err := describe(); err != nil || !more {
					return err
				}
			}
		}
	}
	if len(arns) > 0 {
		_, err := describe()
		return err
	}
	return nil
}

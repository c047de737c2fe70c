package ecssim

import (
	"context"
	"fmt"
)

// A task whose awslogs group does not exist never starts: the awslogs driver creates the
// stream as the container starts, CloudWatch Logs answers ResourceNotFoundException, and ECS
// stops the task with a ResourceInitializationError (stopCode TaskFailedToStart) unless the
// container sets awslogs-create-group "true" (ECS developer guide, "Using the awslogs log
// driver": awslogs-create-group "Controls whether the log group is created automatically",
// default false). The reason is worded as Fargate 1.4 reports it, from captured task
// failures: "ResourceInitializationError: failed to validate logger args: create stream has
// been retried 1 times: failed to create Cloudwatch log stream: …" (TechToSpeech/
// terraform-aws-serverless-static-wordpress issue 74) with the cause "ResourceNotFoundException:
// The specified log group does not exist." (Rayraegah/terraform-aws-hasura issue 25).
//
// The groups are checked when a deployment starts (a forced new deployment of the same task
// definition checks again) or a standalone task is run, not at every launch: a group created
// afterwards does not rescue the tasks of a deployment already under way.

// missingLogGroupReason is the stoppedReason of a task whose log group does not exist.
const missingLogGroupReason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: " +
	"failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"

// checkLogGroups sets td.missingLogGroup to the first awslogs group of its containers that
// neither exists in the account (and the group's region, else region) nor is created by the
// driver. If moto cannot say, the group counts as there (the task starts, as before).
func (s *Simulator) checkLogGroups(ctx context.Context, account, region string, td *taskDef) {
	for _, c := range td.containers {
		if c.logs == nil || c.logs.createGroup {
			continue
		}
		r := c.logs.region
		if r == "" {
			r = region
		}
		ok, err := s.logGroupExists(ctx, account, r, c.logs.group)
		if err != nil {
			s.log.Warn("log group not checked; assuming it exists", "group", c.logs.group, "err", err)
			continue
		}
		if !ok {
			td.missingLogGroup = c.logs.group
			return
		}
	}
}

// logGroupExists asks moto for the groups named with group as a prefix and looks for group
// itself among them.
func (s *Simulator) logGroupExists(ctx context.Context, account, region, group string) (bool, error) {
	rep, err := s.callMotoLogs(ctx, logsHeader(account, region), "DescribeLogGroups", obj{"logGroupNamePrefix": group})
	if err != nil {
		return false, err
	}
	if !rep.ok() {
		return false, fmt.Errorf("DescribeLogGroups: HTTP %d: %s", rep.status, rep.body)
	}
	o, err := decodeObj(rep.body)
	if err != nil {
		return false, err
	}
	for _, g := range list(o, "logGroups") {
		if g, _ := g.(obj); str(g, "logGroupName") == group {
			return true, nil
		}
	}
	return false, nil
}

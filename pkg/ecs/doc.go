// Package ecs is shipit's ECS backend (Fargate, awsvpc): it implements target.Target and
// target.Session on aws-sdk-go-v2.
//
// Render turns a spec into the exact SDK inputs (task definition, service, autoscaling),
// offline. Deploy registers the task definition, creates or updates the service (pinning ECR
// images to their digest, creating the log group and Cloud Map service it needs), then
// watches the deployment: watch polls DescribeServices and Evaluate decides, a pure function
// of what ECS returned. Status, Diff, Rollback and Destroy read or change the same objects.
//
// The package reaches AWS through narrow interfaces (session.go); its tests drive the
// decision logic through fakes. See docs/architecture.md, "Rollout rules".
package ecs

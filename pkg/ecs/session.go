package ecs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/smithy-go"
	"k8s.io/utils/clock"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// The backend reaches AWS through these narrow interfaces: the handful of calls it makes. The
// real SDK clients satisfy them; the package's tests use fakes to drive the decision logic.

// ecsAPI is the part of the ECS API shipit uses.
type ecsAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	CreateService(context.Context, *ecs.CreateServiceInput, ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	DeleteService(context.Context, *ecs.DeleteServiceInput, ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error)
	TagResource(context.Context, *ecs.TagResourceInput, ...func(*ecs.Options)) (*ecs.TagResourceOutput, error)
	UntagResource(context.Context, *ecs.UntagResourceInput, ...func(*ecs.Options)) (*ecs.UntagResourceOutput, error)
	ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	ListTaskDefinitions(context.Context, *ecs.ListTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	DeregisterTaskDefinition(context.Context, *ecs.DeregisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	// RunTask and StopTask: shipit run (run_task.go).
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// ecrAPI resolves image tags to digests.
type ecrAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// logsAPI manages the app's log group and reads its events (shipit logs).
type logsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
	// GetLogEvents streams a one-off task's logs (run_logs.go).
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// scalingAPI is Application Auto Scaling for the service's desired count.
type scalingAPI interface {
	RegisterScalableTarget(context.Context, *aas.RegisterScalableTargetInput, ...func(*aas.Options)) (*aas.RegisterScalableTargetOutput, error)
	DeregisterScalableTarget(context.Context, *aas.DeregisterScalableTargetInput, ...func(*aas.Options)) (*aas.DeregisterScalableTargetOutput, error)
	DescribeScalableTargets(context.Context, *aas.DescribeScalableTargetsInput, ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error)
	PutScalingPolicy(context.Context, *aas.PutScalingPolicyInput, ...func(*aas.Options)) (*aas.PutScalingPolicyOutput, error)
	DescribeScalingPolicies(context.Context, *aas.DescribeScalingPoliciesInput, ...func(*aas.Options)) (*aas.DescribeScalingPoliciesOutput, error)
	DeleteScalingPolicy(context.Context, *aas.DeleteScalingPolicyInput, ...func(*aas.Options)) (*aas.DeleteScalingPolicyOutput, error)
}

// Session is a connection to one AWS account and region.
type Session struct {
	ecs     ecsAPI
	logs    logsAPI
	scaling scalingAPI
	// discovery is Cloud Map, for expose: internal with ecs.discovery.
	discovery discoveryAPI
	// ecrFor returns an ECR client for a registry's region (an image may live in another
	// region than the cluster).
	ecrFor func(region string) ecrAPI
	region string
	// clock tells the time and times the watch (a fake one in tests).
	clock clock.Clock

	// poll is the base interval between DescribeServices calls while watching (jittered);
	// maxPoll caps the exponential backoff when AWS throttles. The package's tests shorten
	// them; the product always uses the defaults.
	poll, maxPoll time.Duration
	// jitter returns a random factor in [0,1) for the poll interval.
	jitter func() float64
}

// Default watch timing (docs/architecture.md, "Rollout rules").
const (
	defaultPoll    = 2 * time.Second
	defaultMaxPoll = 30 * time.Second
)

// Connect builds the AWS clients from the SDK's default configuration: credentials from the
// default chain (or --profile), the region from --region, else ecs.region, else the chain.
// Endpoints come from the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> handling.
// It makes no request.
func (Target) Connect(ctx context.Context, app *spec.App, opts target.ConnectOptions) (target.Session, error) {
	cfg, err := target.LoadAWSConfig(ctx, opts, app.ECS.Region, "ecs: no AWS region: set ecs.region in the spec, pass --region or set AWS_REGION")
	if err != nil {
		return nil, err
	}
	return newSession(cfg), nil
}

func newSession(cfg aws.Config) *Session {
	s := &Session{
		ecs:       ecs.NewFromConfig(cfg),
		logs:      cloudwatchlogs.NewFromConfig(cfg),
		scaling:   aas.NewFromConfig(cfg),
		discovery: sd.NewFromConfig(cfg),
		region:    cfg.Region,
	}
	s.ecrFor = func(region string) ecrAPI {
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) {
			if region != "" {
				o.Region = region
			}
		})
	}
	s.defaults()
	return s
}

// defaults fills the watch timing and clock a Session literal leaves out (newSession and the
// package's tests build sessions; every method relies on them being set).
func (s *Session) defaults() {
	if s.clock == nil {
		s.clock = clock.RealClock{}
	}
	if s.poll == 0 {
		s.poll = defaultPoll
	}
	if s.maxPoll == 0 {
		s.maxPoll = defaultMaxPoll
	}
	if s.jitter == nil {
		s.jitter = randFloat
	}
}

// now is the session's clock's time.
func (s *Session) now() time.Time { return s.clock.Now() }

func (s *Session) event(app *spec.App, phase target.Phase, msg string) target.Event {
	return target.NewEvent(s.now(), spec.TargetECS, app.Name, phase, msg)
}

// where names the cluster and region for messages.
func (s *Session) where(app *spec.App) string {
	return fmt.Sprintf("cluster %s in %s", app.ECS.Cluster, s.region)
}

// apiError wraps an AWS error with the call and the resource (docs/architecture.md, "Safety").
func apiError(call, resource string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if notAWS(err) {
		return fmt.Errorf("%s %s: the endpoint does not answer like the AWS API (no request id in the response; check AWS_ENDPOINT_URL, --region and --profile): %w", call, resource, err)
	}
	return fmt.Errorf("%s %s: %w", call, resource, err)
}

// notAWS reports an HTTP answer that no AWS service gives: every AWS response, errors
// included, carries a request id (a proxy or web server answering 404 to everything does not).
func notAWS(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.ServiceRequestID() == ""
}

// isCode reports whether err is an AWS API error with one of the codes.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

package ecs

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/shipit-dev/shipit/pkg/awsjson"
	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// logGroup finds the app's log group (nil when there is none).
func (s *Session) logGroup(ctx context.Context, name string) (*logtypes.LogGroup, error) {
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(s.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("logs DescribeLogGroups", name, err)
		}
		for i := range out.LogGroups {
			if aws.ToString(out.LogGroups[i].LogGroupName) == name {
				return &out.LogGroups[i], nil
			}
		}
	}
	return nil, nil
}

// ensureLogGroup creates the awslogs group when it is missing and sets its retention when it
// differs; it writes nothing when both are right.
func (d *deployRun) ensureLogGroup(ctx context.Context) error {
	rd := d.rd
	lg, err := d.logGroup(ctx, rd.LogGroup)
	if err != nil {
		return err
	}
	if lg != nil && aws.ToInt32(lg.RetentionInDays) == rd.LogRetention {
		return nil
	}
	if err := d.mayWrite(ctx); err != nil {
		return err
	}
	if lg == nil {
		_, err := d.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{
			LogGroupName: aws.String(rd.LogGroup),
			Tags:         map[string]string{"managed-by": spec.ManagedBy},
		})
		if err != nil && !isCode(err, "ResourceAlreadyExistsException") {
			return apiError("logs CreateLogGroup", rd.LogGroup, err)
		}
		d.wrote("log group " + rd.LogGroup)
		d.report(target.Pending, "created log group "+rd.LogGroup)
	}
	if _, err := d.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(rd.LogGroup), RetentionInDays: aws.Int32(rd.LogRetention),
	}); err != nil {
		return apiError("logs PutRetentionPolicy", rd.LogGroup, err)
	}
	if lg != nil {
		d.wrote(fmt.Sprintf("log group %s retention %d days", rd.LogGroup, rd.LogRetention))
	}
	d.report(target.Pending, fmt.Sprintf("log group %s keeps logs %d days", rd.LogGroup, rd.LogRetention))
	return nil
}

// scalingResource is the Application Auto Scaling resource id of the app's service.
func scalingResource(app *spec.App) string {
	return fmt.Sprintf("service/%s/%s", app.ECS.Cluster, ServiceName(app))
}

// scalableTarget returns the service's scalable target, nil when there is none.
func (s *Session) scalableTarget(ctx context.Context, app *spec.App) (*aastypes.ScalableTarget, error) {
	out, err := s.scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceIds:       []string{scalingResource(app)},
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return nil, apiError("application-autoscaling DescribeScalableTargets", scalingResource(app), err)
	}
	for i := range out.ScalableTargets {
		if aws.ToString(out.ScalableTargets[i].ResourceId) == scalingResource(app) {
			return &out.ScalableTargets[i], nil
		}
	}
	return nil, nil
}

// scalingPolicies lists the target's policies.
func (s *Session) scalingPolicies(ctx context.Context, app *spec.App) ([]aastypes.ScalingPolicy, error) {
	var all []aastypes.ScalingPolicy
	pages := aas.NewDescribeScalingPoliciesPaginator(s.scaling, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(scalingResource(app)),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("application-autoscaling DescribeScalingPolicies", scalingResource(app), err)
		}
		all = append(all, out.ScalingPolicies...)
	}
	return all, nil
}

// scalingState is the service's autoscaling as it is live: its scalable target (nil when
// there is none) and the target's policies.
type scalingState struct {
	target   *aastypes.ScalableTarget
	policies []aastypes.ScalingPolicy
}

// readScaling reads the service's scalable target and its policies.
func (s *Session) readScaling(ctx context.Context, app *spec.App) (*scalingState, error) {
	st := &scalingState{}
	tgt, err := s.scalableTarget(ctx, app)
	if err != nil || tgt == nil {
		return st, err
	}
	st.target = tgt
	if st.policies, err = s.scalingPolicies(ctx, app); err != nil {
		return nil, err
	}
	return st, nil
}

// doc is the live autoscaling in the normalised form diff compares (nil without a target).
func (st *scalingState) doc() any {
	if st == nil || st.target == nil {
		return nil
	}
	var inputs []*aas.PutScalingPolicyInput
	for _, p := range st.policies {
		inputs = append(inputs, policyInput(p))
	}
	t := st.target
	return normalizeScaling(awsjson.Value(&aas.RegisterScalableTargetInput{
		ServiceNamespace: t.ServiceNamespace, ResourceId: t.ResourceId, ScalableDimension: t.ScalableDimension,
		MinCapacity: t.MinCapacity, MaxCapacity: t.MaxCapacity,
	}), policyValues(inputs))
}

// policyInput is the PutScalingPolicy input that makes a live policy.
func policyInput(p aastypes.ScalingPolicy) *aas.PutScalingPolicyInput {
	return &aas.PutScalingPolicyInput{
		PolicyName: p.PolicyName, ServiceNamespace: p.ServiceNamespace, ResourceId: p.ResourceId,
		ScalableDimension: p.ScalableDimension, PolicyType: p.PolicyType,
		TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration,
		StepScalingPolicyConfiguration:           p.StepScalingPolicyConfiguration,
	}
}

// renderedScaling is the render's autoscaling in the same normalised form (nil without).
func renderedScaling(rd *Rendered) any {
	if rd.Scaling == nil {
		return nil
	}
	t := *rd.Scaling.Target
	t.Tags = nil // not readable with DescribeScalableTargets
	return normalizeScaling(awsjson.Value(&t), policyValues(rd.Scaling.Policies))
}

// applyScaling makes the autoscaling what the render says, writing only when the live target
// or its policies differ (so it is safe to run on every deploy, changed or not): it registers
// the scalable target and its target-tracking policies and removes the policies the spec no
// longer has, or deregisters the target when the spec dropped autoscale. have is the live
// state (readScaling).
func (d *deployRun) applyScaling(ctx context.Context, have *scalingState) error {
	app, rd := d.app, d.rd
	res := scalingResource(app)
	if rd.Scaling == nil {
		if have == nil || have.target == nil {
			return nil
		}
		if _, err := d.scaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(res),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		}); err != nil {
			return apiError("application-autoscaling DeregisterScalableTarget", res, err)
		}
		d.wrote("scalable target " + res + " (deregistered: the spec has no autoscale)")
		d.report(target.Progressing, "deregistered the scalable target "+res+": the spec has no autoscale")
		return nil
	}
	if docText(have.doc()) == docText(renderedScaling(rd)) {
		return nil // already what the spec says
	}
	if _, err := d.scaling.RegisterScalableTarget(ctx, rd.Scaling.Target); err != nil {
		return apiError("application-autoscaling RegisterScalableTarget", res, err)
	}
	d.wrote("scalable target " + res)
	want := map[string]bool{}
	var names []string
	for _, p := range rd.Scaling.Policies {
		if _, err := d.scaling.PutScalingPolicy(ctx, p); err != nil {
			return apiError("application-autoscaling PutScalingPolicy", aws.ToString(p.PolicyName), err)
		}
		want[aws.ToString(p.PolicyName)] = true
		names = append(names, aws.ToString(p.PolicyName))
		d.wrote("scaling policy " + aws.ToString(p.PolicyName))
	}
	d.report(target.Progressing, fmt.Sprintf("autoscaling %d–%d tasks (%s)",
		aws.ToInt32(rd.Scaling.Target.MinCapacity), aws.ToInt32(rd.Scaling.Target.MaxCapacity), strings.Join(names, ", ")))
	var live []aastypes.ScalingPolicy
	if have != nil {
		live = have.policies
	}
	for _, p := range live {
		name := aws.ToString(p.PolicyName)
		if want[name] || !strings.HasPrefix(name, app.Name+"-") {
			continue
		}
		if err := d.deletePolicy(ctx, app, name); err != nil {
			return err
		}
		d.wrote("scaling policy " + name + " (deleted)")
	}
	return nil
}

func (s *Session) deletePolicy(ctx context.Context, app *spec.App, name string) error {
	if _, err := s.scaling.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{
		PolicyName: aws.String(name), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(scalingResource(app)),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	}); err != nil && !isCode(err, "ObjectNotFoundException") {
		return apiError("application-autoscaling DeleteScalingPolicy", name, err)
	}
	return nil
}

// restoreScaling puts the autoscaling back as it was before a deploy (before) that set
// rd's: the target's capacities and policies, or no target at all. It reports whether it
// changed anything.
func (s *Session) restoreScaling(ctx context.Context, app *spec.App, before *scalingState, rd *Rendered) (bool, error) {
	if before == nil || docText(before.doc()) == docText(renderedScaling(rd)) {
		return false, nil
	}
	res := scalingResource(app)
	if before.target == nil {
		if _, err := s.scaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(res),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		}); err != nil && !isCode(err, "ObjectNotFoundException") {
			return false, apiError("application-autoscaling DeregisterScalableTarget", res, err)
		}
		return true, nil
	}
	if _, err := s.scaling.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(res),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       before.target.MinCapacity, MaxCapacity: before.target.MaxCapacity,
	}); err != nil {
		return false, apiError("application-autoscaling RegisterScalableTarget", res, err)
	}
	had := map[string]bool{}
	for _, p := range before.policies {
		had[aws.ToString(p.PolicyName)] = true
		if _, err := s.scaling.PutScalingPolicy(ctx, policyInput(p)); err != nil {
			return false, apiError("application-autoscaling PutScalingPolicy", aws.ToString(p.PolicyName), err)
		}
	}
	if rd.Scaling != nil {
		for _, p := range rd.Scaling.Policies {
			if name := aws.ToString(p.PolicyName); !had[name] {
				if err := s.deletePolicy(ctx, app, name); err != nil {
					return false, err
				}
			}
		}
	}
	return true, nil
}

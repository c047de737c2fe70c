package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// Destroy removes what shipit created for the app, in an order that never fights itself: the
// scalable target (so the scaler cannot scale the service back up), the service (scaled to 0,
// then deleted), the task definition revisions shipit registered for this cluster
// (deregistered: the family is shared with the app's other clusters), and the log group only
// with PurgeLogs and only when no service of the app on another cluster still logs to it. It
// never touches the cluster, and refuses a service shipit did not create. With Plan it only
// lists what it would delete.
func (s *Session) Destroy(ctx context.Context, app *spec.App, opts target.DestroyOptions, r target.Reporter) (*target.DestroyResult, error) {
	res := &target.DestroyResult{Deleted: []string{}}
	svc, err := s.describeService(ctx, app, true)
	if err != nil {
		return nil, err
	}
	if svc != nil && tagValue(svc.Tags, "managed-by") != spec.ManagedBy {
		return nil, fmt.Errorf("ecs: service %s in %s has no managed-by=%s tag: shipit did not create it and will not delete it",
			ServiceName(app), s.where(app), spec.ManagedBy)
	}
	var tgt *aastypes.ScalableTarget
	if svc != nil {
		if tgt, err = s.scalableTarget(ctx, app); err != nil {
			return nil, err
		}
	}
	// The family is shared by every cluster of the account and region: only the revisions
	// registered for this cluster go.
	arns, err := s.revisions(ctx, Family(app), types.TaskDefinitionStatusActive)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, a := range arns {
		_, tags, err := s.taskDefinition(ctx, a)
		if err != nil {
			return nil, err
		}
		switch c := tagValue(tags, ClusterTag); {
		case tagValue(tags, "managed-by") != spec.ManagedBy:
			res.Kept = append(res.Kept, "task definition "+Revision(a)+" (not created by shipit)")
		case c == app.ECS.Cluster:
			mine = append(mine, a)
		case c != "":
			res.Kept = append(res.Kept, "task definition "+Revision(a)+" (registered for cluster "+c+")")
		default:
			res.Kept = append(res.Kept, "task definition "+Revision(a)+" (no "+ClusterTag+" tag: it may be another cluster's; deregister it yourself if not)")
		}
	}
	lg, err := s.logGroup(ctx, LogGroupName(app))
	if err != nil {
		return nil, err
	}
	// The log group is named after the app, so the same app on other clusters logs to it too.
	var logUsers []string
	if lg != nil && opts.PurgeLogs {
		if logUsers, err = s.otherServices(ctx, app); err != nil {
			return nil, err
		}
	}
	cloudMap, err := s.ownedDiscovery(ctx, app)
	if err != nil {
		return nil, err
	}

	res2 := scalingResource(app)
	if tgt != nil {
		res.Deleted = append(res.Deleted, "scalable target "+res2+" and its scaling policies")
	}
	if svc != nil {
		res.Deleted = append(res.Deleted, fmt.Sprintf("service %s in %s (scaled to 0, then deleted)", ServiceName(app), s.where(app)))
	}
	for _, a := range mine {
		res.Deleted = append(res.Deleted, "task definition "+Revision(a)+" (deregistered)")
	}
	cloudMapName := ""
	if cloudMap != nil {
		cloudMapName = fmt.Sprintf("Cloud Map service %s (%s) in namespace %s", app.Name, aws.ToString(cloudMap.Id), app.ECS.Discovery.Namespace)
		res.Deleted = append(res.Deleted, cloudMapName)
	}
	purge := lg != nil && opts.PurgeLogs && len(logUsers) == 0
	if lg != nil {
		switch {
		case purge:
			res.Deleted = append(res.Deleted, "log group "+LogGroupName(app))
		case opts.PurgeLogs:
			res.Kept = append(res.Kept, fmt.Sprintf("log group %s (not purged: %s of the same app still use it)", LogGroupName(app), strings.Join(logUsers, ", ")))
		default:
			res.Kept = append(res.Kept, "log group "+LogGroupName(app)+" (--purge-logs deletes it)")
		}
	}
	if opts.Plan {
		return res, nil
	}

	if tgt != nil {
		if _, err := s.scaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(res2),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		}); err != nil && !isCode(err, "ObjectNotFoundException") {
			return nil, apiError("application-autoscaling DeregisterScalableTarget", res2, err)
		}
		r.Report(s.event(app, target.Progressing, "deregistered scalable target "+res2))
	}
	if svc != nil {
		if svc.DesiredCount > 0 {
			if _, err := s.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{
				Cluster: aws.String(app.ECS.Cluster), Service: aws.String(ServiceName(app)), DesiredCount: aws.Int32(0),
			}); err != nil {
				return nil, apiError("ecs UpdateService", "service "+ServiceName(app)+" (scale to 0)", err)
			}
			r.Report(s.event(app, target.Progressing, fmt.Sprintf("scaled service %s from %d to 0 tasks", ServiceName(app), svc.DesiredCount)))
		}
		if _, err := s.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{
			Cluster: aws.String(app.ECS.Cluster), Service: aws.String(ServiceName(app)),
		}); err != nil {
			return nil, apiError("ecs DeleteService", "service "+ServiceName(app)+" in "+s.where(app), err)
		}
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("deleted service %s (draining; ECS stops its tasks)", ServiceName(app))))
	}
	for _, a := range mine {
		if _, err := s.ecs.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(a)}); err != nil {
			return nil, apiError("ecs DeregisterTaskDefinition", Revision(a), err)
		}
	}
	if len(mine) > 0 {
		r.Report(s.event(app, target.Progressing, fmt.Sprintf("deregistered %d task definition revisions of %s", len(mine), Family(app))))
	}
	if cloudMap != nil {
		if _, err := s.discovery.DeleteService(ctx, &sd.DeleteServiceInput{Id: cloudMap.Id}); err != nil {
			if !isCode(err, "ResourceInUse") {
				return nil, apiError("servicediscovery DeleteService", aws.ToString(cloudMap.Id), err)
			}
			// ECS deregisters the instances as the tasks stop; until then Cloud Map keeps it.
			res.Deleted = slices.DeleteFunc(res.Deleted, func(s string) bool { return s == cloudMapName })
			res.Kept = append(res.Kept, cloudMapName+" (it still has instances while the tasks stop; run destroy again to delete it)")
		} else {
			r.Report(s.event(app, target.Progressing, "deleted "+cloudMapName))
		}
	}
	if purge {
		if _, err := s.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(LogGroupName(app))}); err != nil {
			return nil, apiError("logs DeleteLogGroup", LogGroupName(app), err)
		}
		r.Report(s.event(app, target.Progressing, "deleted log group "+LogGroupName(app)))
	}
	return res, nil
}

// otherServices lists the services named after the app on the account's other clusters in
// this region that run a revision of its family (and so log to its log group), as
// "service NAME in cluster CLUSTER".
func (s *Session) otherServices(ctx context.Context, app *spec.App) ([]string, error) {
	var clusters []string
	pages := ecs.NewListClustersPaginator(s.ecs, &ecs.ListClustersInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("ecs ListClusters", s.region, err)
		}
		clusters = append(clusters, out.ClusterArns...)
	}
	var users []string
	for _, arn := range clusters {
		name := arn[strings.LastIndex(arn, "/")+1:]
		if name == app.ECS.Cluster || arn == app.ECS.Cluster {
			continue
		}
		out, err := s.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(arn), Services: []string{ServiceName(app)}})
		if err != nil {
			return nil, apiError("ecs DescribeServices", "service "+ServiceName(app)+" in cluster "+name, err)
		}
		for _, svc := range out.Services {
			st := aws.ToString(svc.Status)
			if fam, _ := splitRevision(Revision(aws.ToString(svc.TaskDefinition))); fam == Family(app) && (st == "ACTIVE" || st == "DRAINING") {
				users = append(users, fmt.Sprintf("service %s in cluster %s", ServiceName(app), name))
			}
		}
	}
	return users, nil
}

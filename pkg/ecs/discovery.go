package ecs

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// expose: internal with ecs.discovery registers the service's tasks in AWS Cloud Map: shipit
// keeps one Cloud Map service named after the app in the given namespace (A records, TTL 10 s,
// ECS reporting task health), and the ECS service's serviceRegistries point at it.

// discoveryAPI is the part of Cloud Map shipit uses.
type discoveryAPI interface {
	ListServices(context.Context, *sd.ListServicesInput, ...func(*sd.Options)) (*sd.ListServicesOutput, error)
	CreateService(context.Context, *sd.CreateServiceInput, ...func(*sd.Options)) (*sd.CreateServiceOutput, error)
	GetNamespace(context.Context, *sd.GetNamespaceInput, ...func(*sd.Options)) (*sd.GetNamespaceOutput, error)
	DeleteService(context.Context, *sd.DeleteServiceInput, ...func(*sd.Options)) (*sd.DeleteServiceOutput, error)
	ListTagsForResource(context.Context, *sd.ListTagsForResourceInput, ...func(*sd.Options)) (*sd.ListTagsForResourceOutput, error)
}

// wantsDiscovery reports whether the spec registers the service in Cloud Map.
func wantsDiscovery(app *spec.App) bool {
	return app.Expose != "none" && app.ECS.Discovery != nil && app.ECS.Discovery.Namespace != ""
}

// discoveryService finds the app's Cloud Map service in the spec's namespace (nil when none).
func (s *Session) discoveryService(ctx context.Context, app *spec.App) (*sdtypes.ServiceSummary, error) {
	ns := app.ECS.Discovery.Namespace
	pages := sd.NewListServicesPaginator(s.discovery, &sd.ListServicesInput{
		Filters: []sdtypes.ServiceFilter{{Name: sdtypes.ServiceFilterNameNamespaceId, Values: []string{ns}, Condition: sdtypes.FilterConditionEq}},
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("servicediscovery ListServices", "namespace "+ns, err)
		}
		for i := range out.Services {
			if aws.ToString(out.Services[i].Name) == app.Name {
				return &out.Services[i], nil
			}
		}
	}
	return nil, nil
}

// ensureDiscovery returns the registries the ECS service should have: the app's Cloud Map
// service (created when missing) with expose: internal and ecs.discovery, else the render's
// (none, or those ecs.overrides set: an imported service keeps its registries).
func (d *deployRun) ensureDiscovery(ctx context.Context) ([]types.ServiceRegistry, error) {
	app := d.app
	if !wantsDiscovery(app) {
		return d.rd.Service.ServiceRegistries, nil // none, or what ecs.overrides set
	}
	svc, err := d.discoveryService(ctx, app)
	if err != nil {
		return nil, err
	}
	if svc != nil {
		return []types.ServiceRegistry{{RegistryArn: svc.Arn}}, nil
	}
	ns := app.ECS.Discovery.Namespace
	got, err := d.discovery.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(ns)})
	if err != nil {
		var nf *sdtypes.NamespaceNotFound
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("ecd.discovery.namespace: Cloud Map namespace %s not found in %s (create it first; shipit does not create namespaces): %w", ns, d.region, err)
		}
		return nil, apiError("servicediscovery GetNamespace", ns, err)
	}
	in := &sd.CreateServiceInput{
		Name:        aws.String(app.Name),
		NamespaceId: aws.String(ns),
		Description: aws.String("tasks of the ECS service " + ServiceName(app) + " (shipit)"),
		// ECS reports the tasks' health to Cloud Map (the failure threshold is always 1 now;
		// setting it is deprecated).
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{},
		Tags:                    []sdtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String(spec.ManagedBy)}},
	}
	if got.Namespace != nil && got.Namespace.Type != sdtypes.NamespaceTypeHttp {
		in.DnsConfig = &sdtypes.DnsConfig{
			RoutingPolicy: sdtypes.RoutingPolicyMultivalue,
			DnsRecords:    []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(10)}},
		}
	}
	out, err := d.discovery.CreateService(ctx, in)
	if err != nil {
		return nil, apiError("servicediscovery CreateService", app.Name+" in namespace "+ns, err)
	}
	name := "Cloud Map service " + app.Name + " in namespace " + ns
	d.wrote(name)
	d.report(target.Pending, "created "+name+" ("+aws.ToString(out.Service.Id)+")")
	return []types.ServiceRegistry{{RegistryArn: out.Service.Arn}}, nil
}

// ownedDiscovery is the app's Cloud Map service when shipit created it (tagged managed-by).
func (s *Session) ownedDiscovery(ctx context.Context, app *spec.App) (*sdtypes.ServiceSummary, error) {
	if app.ECS.Discovery == nil || app.ECS.Discovery.Namespace == "" || s.discovery == nil {
		return nil, nil
	}
	svc, err := s.discoveryService(ctx, app)
	if err != nil || svc == nil {
		return nil, err
	}
	tags, err := s.discovery.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: svc.Arn})
	if err != nil {
		return nil, apiError("servicediscovery ListTagsForResource", aws.ToString(svc.Arn), err)
	}
	for _, t := range tags.Tags {
		if aws.ToString(t.Key) == "managed-by" && aws.ToString(t.Value) == spec.ManagedBy {
			return svc, nil
		}
	}
	return nil, nil
}

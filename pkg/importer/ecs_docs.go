package importer

// Reading the ECS documents: which one is the task definition and which the service is told by
// content, not by file name, and each is brought to the shape of its API input
// (register-task-definition, create-service), which is what a render produces and what the
// comparison reads.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/shipit-dev/shipit/pkg/target"
)

// ecsSource is what the documents say, in input shape.
type ecsSource struct {
	// td is the task definition as register-task-definition takes it (registration metadata
	// dropped); tdDoc names the document it came from.
	td    map[string]any
	tdDoc string
	// arn is the task definition's ARN when a describe output gives it (family:revision).
	arn string
	// tdTags are the task definition's tags (describe-task-definition --include TAGS puts
	// them beside the task definition; an input has them inside).
	tdTags []any
	// svc is the service as create-service takes it, nil without one; svcDoc names its
	// document.
	svc    map[string]any
	svcDoc string
	// retention is the retention in days of each awslogs group a describe-log-groups
	// document lists (0: kept for ever).
	retention map[string]int
	// scaling is the service's autoscaling, when documents give it.
	scaling scalingSource
	// unread lists what a describe output holds that the import does not know, which is
	// lost (what reports state, such as counts and events, is left out on purpose).
	unread []Loss
}

// taskDefinitionReadOnly are the fields describe-task-definition adds to what was
// registered: metadata, not settings (RegisterTaskDefinition takes none of them).
var taskDefinitionReadOnly = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes",
	"compatibilities", "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"}

// serviceInputKeys are the fields of a create-service input: what a describe-services service
// is read as.
var serviceInputKeys = []string{"cluster", "serviceName", "taskDefinition", "loadBalancers", "serviceRegistries",
	"desiredCount", "clientToken", "launchType", "capacityProviderStrategy", "platformVersion", "role",
	"deploymentConfiguration", "placementConstraints", "placementStrategy", "networkConfiguration",
	"healthCheckGracePeriodSeconds", "schedulingStrategy", "deploymentController", "tags", "enableECSManagedTags",
	"propagateTags", "enableExecuteCommand", "serviceConnectConfiguration", "volumeConfigurations",
	"vpcLatticeConfigurations", "availabilityZoneRebalancing"}

// serviceStatus are the fields of a describe-services service that report state, not
// settings: the counts, the deployments (but for the settings ECS keeps on the PRIMARY one),
// the events, who created it and when.
var serviceStatus = []string{"serviceArn", "clusterArn", "status", "runningCount", "pendingCount", "deployments",
	"events", "createdAt", "createdBy", "taskSets", "platformFamily", "roleArn", "currentServiceDeployment",
	"currentServiceRevisions", "resourceManagementType"}

// readECS sorts the documents into a task definition, a service and log groups.
func readECS(docs []target.Document) (*ecsSource, error) {
	src := &ecsSource{retention: map[string]int{}}
	for _, d := range docs {
		var top map[string]any
		if err := json.Unmarshal(d.Data, &top); err != nil {
			return nil, fmt.Errorf("%s: not JSON: %v", d.Name, err)
		}
		if src.readScaling(top) {
			continue
		}
		switch kind := ecsKind(top); kind {
		case "taskDefinition":
			if src.td != nil {
				return nil, fmt.Errorf("%s and %s are both task definitions: import one app (one task definition, one service) at a time", src.tdDoc, d.Name)
			}
			src.tdDoc = d.Name
			td := top
			if inner, ok := top["taskDefinition"].(map[string]any); ok {
				// describe-task-definition (or register-task-definition) output.
				td = inner
				if tags, ok := top["tags"].([]any); ok {
					src.tdTags = tags
				}
			}
			src.arn, _ = td["taskDefinitionArn"].(string)
			for _, k := range taskDefinitionReadOnly {
				delete(td, k)
			}
			if tags, ok := td["tags"].([]any); ok {
				src.tdTags = append(src.tdTags, tags...)
			}
			delete(td, "tags")
			src.td = td
		case "service":
			if src.svc != nil {
				return nil, fmt.Errorf("%s and %s are both services: import one app (one task definition, one service) at a time", src.svcDoc, d.Name)
			}
			svc, err := serviceOf(d.Name, top)
			if err != nil {
				return nil, err
			}
			src.svcDoc = d.Name
			if svc["serviceArn"] != nil || svc["deployments"] != nil {
				svc = src.describedService(svc)
			}
			// Saved describe output edited into an input keeps some state fields.
			for _, k := range serviceStatus {
				delete(svc, k)
			}
			src.svc = svc
		case "logGroups":
			for _, g := range list(top["logGroups"]) {
				gm, _ := g.(map[string]any)
				if name, ok := gm["logGroupName"].(string); ok {
					days, _ := gm["retentionInDays"].(float64)
					src.retention[name] = int(days)
				}
			}
		default:
			return nil, fmt.Errorf("%s is neither an ECS task definition (register-task-definition input, describe-task-definition output) nor a service (create-service input, describe-services output)", d.Name)
		}
	}
	if src.td == nil {
		name := "the documents"
		if src.svcDoc != "" {
			name = src.svcDoc
		}
		return nil, fmt.Errorf("%s: no task definition: a service alone does not say what runs; add the task definition (aws ecs describe-task-definition --task-definition FAMILY:REV --include TAGS)", name)
	}
	return src, nil
}

// ecsKind tells a document by its content.
func ecsKind(top map[string]any) string {
	if _, ok := top["taskDefinition"].(map[string]any); ok || top["containerDefinitions"] != nil {
		return "taskDefinition"
	}
	if top["services"] != nil || top["service"] != nil {
		return "service"
	}
	if top["logGroups"] != nil {
		return "logGroups"
	}
	for _, k := range serviceInputKeys {
		if top[k] != nil {
			return "service"
		}
	}
	return ""
}

// serviceOf unwraps a describe-services output (one service) or a create-service output.
func serviceOf(name string, top map[string]any) (map[string]any, error) {
	if s, ok := top["service"].(map[string]any); ok {
		return s, nil
	}
	l, ok := top["services"].([]any)
	if !ok {
		return top, nil
	}
	switch len(l) {
	case 0:
		why := ""
		if f := list(top["failures"]); len(f) > 0 {
			if fm, ok := f[0].(map[string]any); ok {
				why = fmt.Sprintf(" (%v: %v)", fm["arn"], fm["reason"])
			}
		}
		return nil, fmt.Errorf("%s: describe-services found no service%s", name, why)
	case 1:
		s, _ := l[0].(map[string]any)
		return s, nil
	}
	return nil, fmt.Errorf("%s holds %d services: import one at a time (aws ecs describe-services --services ONE)", name, len(l))
}

// describedService turns a describe-services service into a create-service input: the
// settings under their input names, Service Connect and volume configurations from the
// PRIMARY deployment (where ECS keeps them), the cluster's name from its ARN; state is left
// out and anything else is reported as not read.
func (src *ecsSource) describedService(s map[string]any) map[string]any {
	in := map[string]any{}
	for k, v := range s {
		switch {
		case slices.Contains(serviceInputKeys, k):
			in[k] = v
		case slices.Contains(serviceStatus, k):
		default:
			src.unread = append(src.unread, Loss{Field: "service." + k, Reason: "not read by the import (a field this shipit does not know)"})
		}
	}
	if arn, ok := s["clusterArn"].(string); ok && in["cluster"] == nil {
		in["cluster"] = arn[strings.LastIndex(arn, "/")+1:]
	}
	for _, d := range list(s["deployments"]) {
		dm, _ := d.(map[string]any)
		if dm["status"] != "PRIMARY" {
			continue
		}
		for _, k := range []string{"serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"} {
			if v := dm[k]; v != nil && in[k] == nil {
				in[k] = v
			}
		}
	}
	// An IAM role a describe names is ECS's service-linked role unless the service was
	// created with one (classic load balancers outside awsvpc).
	if r, ok := s["roleArn"].(string); ok && !strings.Contains(r, "/aws-service-role/") {
		in["role"] = r
	}
	return in
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

package importer

// Importing from ECS, in three steps: read the documents (ecs_docs.go), say what neutral fields
// and the ecs: block can (ecs_taskdef.go, ecs_service.go, ecs_logs.go), then render that spec
// exactly as `shipit render --target ecs` does, compare it with the original and write every
// difference as an ecs.overrides entry (ecs_reconcile.go). What an override cannot carry, and
// what Fargate does not run (ecs_fargate.go), is listed as lost.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// FromECS imports a task definition (register-task-definition input or describe-task-definition
// output) and, optionally, a service (create-service input or describe-services output) and
// the log group (describe-log-groups output).
func FromECS(docs []target.Document) (*Result, error) {
	src, err := readECS(docs)
	if err != nil {
		return nil, err
	}
	m := &ecsMapper{src: src, app: &spec.App{Version: 1}}
	if err := m.decode(); err != nil {
		return nil, err
	}
	m.name()
	m.lost = append(m.lost, src.unread...)
	m.lost = append(m.lost, fargateLosses(src.td)...)
	if src.svc != nil {
		m.lost = append(m.lost, serviceLosses(src.svc)...)
	}
	m.taskDefinition()
	if m.svc != nil {
		m.service()
	}
	m.scaling()
	m.network()
	m.tags()
	m.retention()
	if err := m.validate(); err != nil {
		return nil, err
	}
	if err := m.reconcile(); err != nil {
		return nil, err
	}
	return &Result{App: m.app, From: m.from(), Target: spec.TargetECS, Lost: m.lost, Notes: m.notes, Placeholders: m.placeholders}, nil
}

// ecsMapper builds the spec from the source.
type ecsMapper struct {
	src *ecsSource
	// td and svc are the source decoded into the SDK's input types (svc nil without one).
	td  *ecs.RegisterTaskDefinitionInput
	svc *ecs.CreateServiceInput
	app *spec.App

	lost         []Loss
	notes        []string
	placeholders []string
	// main names the app container; inits the init containers.
	main  string
	inits map[string]bool
	// mainMemory and mainCPU are the app container's hard memory and cpu units (0 when it
	// has none).
	mainMemory, mainCPU int32
	// tdTagOverrides carry the task definition's tags that are not labels.
	tdTagOverrides []spec.Override
}

// decode reads the source's documents into the SDK's input types (leniently: a field the SDK
// does not know is left to the comparison, which lists it).
func (m *ecsMapper) decode() error {
	td := copyMap(m.src.td)
	// A task size may be written "1 vCPU" / "2 GB", or as a number.
	for _, k := range []string{"cpu", "memory"} {
		if n, ok := td[k].(float64); ok {
			td[k] = fmt.Sprint(n)
		}
	}
	m.td = &ecs.RegisterTaskDefinitionInput{}
	if err := decodeInto(td, m.td); err != nil {
		return fmt.Errorf("%s: not a task definition ECS takes: %v", m.src.tdDoc, err)
	}
	if len(m.td.ContainerDefinitions) == 0 {
		return fmt.Errorf("%s: the task definition has no containerDefinitions", m.src.tdDoc)
	}
	for i, c := range m.td.ContainerDefinitions {
		if aws.ToString(c.Name) == "" || aws.ToString(c.Image) == "" {
			return fmt.Errorf("%s: containerDefinitions[%d] has no name or no image", m.src.tdDoc, i)
		}
		// A template (ecspresso's {{ must_env `TAG` }}) is not an image a spec can run.
		if img := aws.ToString(c.Image); strings.ContainsAny(img, " \t") || strings.Contains(img, "{{") {
			return fmt.Errorf("%s: containerDefinitions[%d].image %q is a template, not an image: render the definitions first (ecspresso render taskdef), or write the image in", m.src.tdDoc, i, img)
		}
	}
	if m.src.svc == nil {
		return nil
	}
	m.svc = &ecs.CreateServiceInput{}
	if err := decodeInto(m.src.svc, m.svc); err != nil {
		return fmt.Errorf("%s: not a service ECS takes: %v", m.src.svcDoc, err)
	}
	// The service must run this task definition's family.
	if ref := aws.ToString(m.svc.TaskDefinition); ref != "" {
		fam := ref[strings.LastIndex(ref, "/")+1:]
		if i := strings.LastIndex(fam, ":"); i >= 0 {
			fam = fam[:i]
		}
		if want := aws.ToString(m.td.Family); want != "" && fam != want {
			return fmt.Errorf("%s runs task definition family %s, but %s is family %s: import a service with the task definition it runs", m.src.svcDoc, fam, m.src.tdDoc, want)
		}
	}
	return nil
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// name is the service's name, else the family's, as a DNS label (the spec's name is also the
// Kubernetes objects' name). A service name that is not one (CloudFormation's and Copilot's
// Stack-Service-AbC123) is kept in ecs.serviceName, so a deploy updates that service; the
// app is then named as a person named it: the load-balanced container, else the family.
func (m *ecsMapper) name() {
	family := aws.ToString(m.td.Family)
	want := family
	if m.svc != nil && aws.ToString(m.svc.ServiceName) != "" {
		want = aws.ToString(m.svc.ServiceName)
	}
	name := asLabel(want)
	if m.svc != nil && aws.ToString(m.svc.ServiceName) != "" && name != want {
		m.app.ECS.ServiceName = want
		var given []string
		for _, lb := range m.svc.LoadBalancers {
			given = append(given, aws.ToString(lb.ContainerName))
		}
		for _, n := range append(given, family) {
			if n != "" && len(validation.IsDNS1123Label(n)) == 0 {
				name = n
				break
			}
		}
	}
	m.app.Name = name
}

// asLabel turns a name into a DNS label: lower case, runs of other characters as one '-',
// at most 63 characters ("app" when nothing is left).
func asLabel(s string) string {
	name := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(name) > 63 {
		name = strings.Trim(name[:63], "-")
	}
	if name == "" {
		name = "app"
	}
	return name
}

// network gives a spec whose original names no network (no service, or one not on awsvpc)
// the network a Fargate service needs, as `shipit init` does: placeholders a pipeline sets.
func (m *ecsMapper) network() {
	if m.svc != nil && m.svc.NetworkConfiguration != nil {
		return
	}
	subnet := "${SUBNET_ID:-subnet-0123456789abcdef0}"
	sg := "${SECURITY_GROUP_ID:-sg-0123456789abcdef0}"
	m.app.ECS.Subnets, m.app.ECS.SecurityGroups = []string{subnet}, []string{sg}
	m.placeholders = append(m.placeholders, subnet, sg)
	if m.svc == nil {
		cluster := "${ECS_CLUSTER:-default}"
		m.app.ECS.Cluster = cluster
		m.placeholders = append(m.placeholders, cluster)
		m.notes = append(m.notes, "No service was imported: the cluster, subnets and security groups are placeholders for ECS_CLUSTER, SUBNET_ID and SECURITY_GROUP_ID.")
		return
	}
	m.notes = append(m.notes, "The original service has no awsvpc network: the subnets and security groups are placeholders for SUBNET_ID and SECURITY_GROUP_ID.")
}

// from says what was read, for the header comment.
func (m *ecsMapper) from() string {
	td := aws.ToString(m.td.Family)
	if arn := m.src.arn; arn != "" {
		td = arn[strings.LastIndex(arn, "/")+1:]
	}
	out := "task definition " + td
	if m.src.tdDoc != "" && !strings.HasPrefix(m.src.tdDoc, "ecs:") {
		out += " (" + m.src.tdDoc + ")"
	}
	if m.svc != nil {
		out += " and service"
		if n := aws.ToString(m.svc.ServiceName); n != "" {
			out += " " + n
		}
		if c := aws.ToString(m.svc.Cluster); c != "" {
			out += " of cluster " + c[strings.LastIndex(c, "/")+1:]
		}
		if m.src.svcDoc != "" && !strings.HasPrefix(m.src.svcDoc, "ecs:") {
			out += " (" + m.src.svcDoc + ")"
		}
	}
	return out
}

// lose lists one setting of the original as not carried.
func (m *ecsMapper) lose(field, why string) {
	for _, l := range m.lost {
		if l.Field == field {
			return
		}
	}
	m.lost = append(m.lost, Loss{Field: field, Reason: why})
}

func decodeInto(v any, into any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

func copyMap(m map[string]any) map[string]any {
	out, _ := plainJSON(m).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

package importer

// Logging in neutral fields: the awslogs group, region, stream prefix and options the render
// writes for every container (ecs.logGroup, ecs.region, ecs.logStreamPrefix, ecs.logOptions),
// or the one log driver of the app's containers (ecs.logDriver: FireLens, splunk) beside a
// FireLens router that keeps awslogs; and the log group's retention.

import (
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

var logGroupNameRe = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)

// fargateLogDrivers are the log drivers a Fargate task takes (Amazon ECS Developer Guide,
// "LogConfiguration": awslogs, splunk and awsfirelens on Fargate).
var fargateLogDrivers = map[types.LogDriver]bool{types.LogDriverAwslogs: true, types.LogDriverSplunk: true, types.LogDriverAwsfirelens: true}

func (m *ecsMapper) logs() {
	app := m.app
	var mainLC, awslogs *types.LogConfiguration
	awslogsOwner := ""
	var driver *types.LogConfiguration
	for _, c := range m.td.ContainerDefinitions {
		name, lc := aws.ToString(c.Name), c.LogConfiguration
		if lc == nil {
			continue
		}
		if !fargateLogDrivers[lc.LogDriver] {
			m.lose(fmt.Sprintf("taskDefinition.containerDefinitions[name=%s].logConfiguration", name),
				fmt.Sprintf("not Fargate: log driver %s; Fargate takes awslogs, splunk and awsfirelens", lc.LogDriver))
			continue
		}
		if name == m.main {
			mainLC = lc
		}
		if lc.LogDriver == types.LogDriverAwslogs && (awslogs == nil || name == m.main) {
			awslogs, awslogsOwner = lc, name
		}
		if lc.LogDriver != types.LogDriverAwslogs && c.FirelensConfiguration == nil && (driver == nil || name == m.main) {
			driver = lc
		}
	}
	// The app's own log configuration decides: awslogs, or the driver every container but
	// the FireLens router uses.
	if mainLC != nil && mainLC.LogDriver == types.LogDriverAwslogs {
		driver = nil
	}
	if driver != nil {
		d := &spec.LogDriver{Name: string(driver.LogDriver), Options: maps.Clone(driver.Options)}
		for _, s := range driver.SecretOptions {
			ref := aws.ToString(s.ValueFrom)
			if k := spec.ParseSecretRef(ref).Kind; k != spec.SecretsManager && k != spec.SSMParameter {
				d.SecretOptions = nil // left to the override
				break
			}
			if d.SecretOptions == nil {
				d.SecretOptions = map[string]string{}
			}
			d.SecretOptions[aws.ToString(s.Name)] = ref
		}
		if driver.LogDriver != types.LogDriverAwsfirelens || hasRouter(app.Sidecars) {
			app.ECS.LogDriver = d
		}
	}
	if awslogs == nil {
		return
	}
	opts := awslogs.Options
	if g := opts["awslogs-group"]; g != "" && g != "/ecs/"+app.Name && logGroupNameRe.MatchString(g) {
		app.ECS.LogGroup = g
	}
	if r := opts["awslogs-region"]; r != "" {
		app.ECS.Region = r
	}
	// The render names each container's streams after it unless one prefix is set for all.
	if p, ok := opts["awslogs-stream-prefix"]; ok && p != awslogsOwner && p != "" && !strings.ContainsAny(p, ":*") {
		app.ECS.LogStreamPrefix = p
	}
	more := map[string]string{}
	for k, v := range opts {
		switch k {
		case "awslogs-group", "awslogs-region", "awslogs-stream-prefix":
		default:
			more[k] = v
		}
	}
	if len(more) > 0 {
		app.ECS.LogOptions = more
	}
}

// hasRouter reports whether one of the sidecars is a FireLens router (awsfirelens needs one).
func hasRouter(cs []spec.Sidecar) bool {
	for _, s := range cs {
		if s.FireLens != nil {
			return true
		}
	}
	return false
}

// retention sets logs.retention from the log group's (when a describe-log-groups document
// gives it). A group that keeps its logs for ever cannot be said: the spec always has a
// retention, so the import asks for the longest CloudWatch Logs has and says so.
func (m *ecsMapper) retention() {
	group := "/ecs/" + m.app.Name
	if m.app.ECS.LogGroup != "" {
		group = m.app.ECS.LogGroup
	}
	days, ok := m.src.retention[group]
	switch {
	case !ok:
	case days == 0:
		m.app.Logs.Retention = "3653d"
		m.lose("logs.retention", fmt.Sprintf("log group %s keeps its logs for ever; a spec always has a retention: the import says 3653d (ten years, the longest), which a deploy sets", group))
	case days != 30:
		m.app.Logs.Retention = fmt.Sprintf("%dd", days)
	}
}

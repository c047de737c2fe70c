package importer

// The task definition in neutral fields: its family, roles and size, which container is the
// app and which are sidecars and one-shot init steps (the containers themselves are
// ecs_containers.go's, the volumes ecs_volumes.go's). What a neutral field cannot say exactly
// is left to the comparison (ecs_compare.go), which writes it as an override.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

var (
	envNameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	portNameRe = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]{0,63}$`)
	dnsLabelRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	userRe     = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)
	roleARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
)

// taskDefinition maps the task definition's containers, volumes, size and roles.
func (m *ecsMapper) taskDefinition() {
	td, app := m.td, m.app
	family := aws.ToString(td.Family)
	if family != app.Name {
		app.ECS.Family = family
	}
	app.Role = m.role(aws.ToString(td.TaskRoleArn))
	if r := m.role(aws.ToString(td.ExecutionRoleArn)); r != "" {
		app.ECS.ExecutionRole = r
	} else {
		// The spec needs one (awslogs, ECR, secrets). A value that is not a role ARN (a
		// template) stays the original's through an override.
		ph := "${ECS_EXECUTION_ROLE:-arn:aws:iam::123456789012:role/ecsTaskExecutionRole}"
		app.ECS.ExecutionRole = ph
		m.placeholders = append(m.placeholders, ph)
		if td.ExecutionRoleArn == nil {
			m.notes = append(m.notes, "The original has no execution role; on Fargate awslogs, ECR pulls and secrets need one: set ECS_EXECUTION_ROLE (or write it here).")
		}
	}
	m.size()
	m.classify()
	byName := map[string]types.ContainerDefinition{}
	for _, c := range td.ContainerDefinitions {
		byName[aws.ToString(c.Name)] = c
	}
	m.mainContainer(byName[m.main])
	for _, c := range td.ContainerDefinitions {
		switch name := aws.ToString(c.Name); {
		case name == m.main:
		case m.inits[name]:
			app.Init = append(app.Init, m.sidecar(c))
		default:
			app.Sidecars = append(app.Sidecars, m.sidecar(c))
		}
	}
	m.carveSidecars()
	m.volumes()
	m.logs()
	m.stopGrace()
	if p := td.ProxyConfiguration; p != nil && (p.Type == "" || p.Type == types.ProxyConfigurationTypeAppmesh) {
		name := aws.ToString(p.ContainerName)
		props := map[string]string{}
		for _, kv := range p.Properties {
			props[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
		}
		// ecs.proxy names a sidecar; a proxy container the task does not define (or the app
		// itself) is left to the override.
		if slices.ContainsFunc(app.Sidecars, func(s spec.Sidecar) bool { return s.Name == name }) && len(props) == len(p.Properties) {
			app.ECS.Proxy = &spec.Proxy{Container: name, Properties: props}
		}
	}
	if es := td.EphemeralStorage; es != nil && es.SizeInGiB >= 21 && es.SizeInGiB <= 200 {
		app.ECS.EphemeralStorage = fmt.Sprintf("%dGi", es.SizeInGiB)
	}
	if rp := td.RuntimePlatform; rp != nil && rp.CpuArchitecture != "" {
		app.ECS.Architecture = string(rp.CpuArchitecture)
	}
}

// role is an IAM role ARN the spec takes, else "" (a name alone, or a template, is left to
// the override).
func (m *ecsMapper) role(arn string) string {
	if roleARNRe.MatchString(arn) {
		return arn
	}
	return ""
}

// size sets the task's cpu and memory. A task definition without them (written for EC2) gets
// the smallest Fargate size that holds its containers.
func (m *ecsMapper) size() {
	cpu, cok := taskUnits(aws.ToString(m.td.Cpu), "vcpu")
	mem, mok := taskUnits(aws.ToString(m.td.Memory), "gb")
	milli := cpu * 1000 / 1024
	if cok && mok && spec.IsFargateSize(milli, mem) {
		m.app.CPU, m.app.Memory = cpuText(milli), memText(mem)
		return
	}
	var needCPU, needMem int64
	for _, c := range m.td.ContainerDefinitions {
		needCPU += int64(c.Cpu) * 1000 / 1024
		needMem += int64(max(aws.ToInt32(c.Memory), aws.ToInt32(c.MemoryReservation)))
	}
	if cok {
		needCPU = max(needCPU, milli)
	}
	if mok {
		needMem = max(needMem, mem)
	}
	s := spec.NearestFargateSize(needCPU, needMem)
	m.app.CPU, m.app.Memory = cpuText(s.CPUMillis), memText(s.MemoryMiB)
	if cok || mok {
		m.lose("taskDefinition.cpu", fmt.Sprintf("not Fargate: %s / %s is not a task size Fargate runs; the import asks for %s", orNone(aws.ToString(m.td.Cpu)), orNone(aws.ToString(m.td.Memory)), s))
		m.lose("taskDefinition.memory", "not Fargate: see taskDefinition.cpu")
	} else {
		m.notes = append(m.notes, fmt.Sprintf("The original sets no task size (Fargate needs one): this spec asks for %s, the smallest that holds its containers.", s))
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// taskUnits reads a task cpu ("1024", "1 vCPU") in units or memory ("2048", "2 GB") in MiB.
func taskUnits(s, unit string) (int64, bool) {
	l := strings.ToLower(strings.TrimSpace(s))
	if n, ok := strings.CutSuffix(l, unit); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return int64(f * 1024), err == nil && f > 0
	}
	n, err := strconv.ParseInt(l, 10, 64)
	return n, err == nil && n > 0
}

// cpuText writes millicores as vCPUs ("0.25", "0.125"), as the spec's examples do.
func cpuText(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
}

// unitsCPU is the spec's cpu that renders as ECS's cpu units n (the render writes
// millicores × 1024 / 1000), and whether there is one.
func unitsCPU(n int32) (string, bool) {
	milli := (int64(n)*1000 + 1023) / 1024
	if spec.CPUUnits(milli) != int64(n) {
		return "", false
	}
	return cpuText(milli), true
}

func memText(mib int64) string {
	if mib%1024 == 0 {
		return fmt.Sprintf("%dGi", mib/1024)
	}
	return fmt.Sprintf("%dMi", mib)
}

// classify picks the app container and the init containers. The app container is the one the
// load balancer sends to, else the essential container that is neither the log router nor the
// proxy, named like the service or family, or the first with ports, or the first.
func (m *ecsMapper) classify() {
	td := m.td
	routerOrProxy := func(c types.ContainerDefinition) bool {
		return c.FirelensConfiguration != nil ||
			(td.ProxyConfiguration != nil && aws.ToString(td.ProxyConfiguration.ContainerName) == aws.ToString(c.Name))
	}
	// An init container is one that is not essential, has no ports, health check, start
	// order or router role, and that every other such container waits for with SUCCESS.
	m.inits = map[string]bool{}
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		if c.Essential == nil || *c.Essential || len(c.PortMappings) > 0 || c.HealthCheck != nil || len(c.DependsOn) > 0 || c.FirelensConfiguration != nil {
			continue
		}
		waited := 0
		for _, o := range td.ContainerDefinitions {
			if aws.ToString(o.Name) == name {
				continue
			}
			if slices.ContainsFunc(o.DependsOn, func(d types.ContainerDependency) bool {
				return aws.ToString(d.ContainerName) == name && d.Condition == types.ContainerConditionSuccess
			}) {
				waited++
			}
		}
		if waited == len(td.ContainerDefinitions)-1 && waited > 0 {
			m.inits[name] = true
		}
	}
	var candidates []types.ContainerDefinition
	for _, c := range td.ContainerDefinitions {
		if !m.inits[aws.ToString(c.Name)] && !routerOrProxy(c) && (c.Essential == nil || *c.Essential) {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		for _, c := range td.ContainerDefinitions {
			if !m.inits[aws.ToString(c.Name)] {
				candidates = append(candidates, c)
			}
		}
	}
	if len(candidates) == 0 {
		candidates = td.ContainerDefinitions
	}
	m.main = aws.ToString(candidates[0].Name)
	if m.svc != nil {
		for _, lb := range m.svc.LoadBalancers {
			for _, c := range td.ContainerDefinitions {
				if aws.ToString(c.Name) == aws.ToString(lb.ContainerName) && !m.inits[aws.ToString(c.Name)] {
					m.main = aws.ToString(c.Name)
					return
				}
			}
		}
	}
	for _, c := range candidates {
		if n := aws.ToString(c.Name); n == m.app.Name || n == aws.ToString(td.Family) {
			m.main = n
			return
		}
	}
	for _, c := range candidates {
		if len(c.PortMappings) > 0 {
			m.main = aws.ToString(c.Name)
			return
		}
	}
}

package importer

// The task definition's containers in neutral fields: the app container, sidecars and init
// containers, with their image, command, ports, env, secrets, sizes, security, health check
// and start order.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// mainContainer maps the app container.
func (m *ecsMapper) mainContainer(c types.ContainerDefinition) {
	app := m.app
	if n := aws.ToString(c.Name); n != app.Name {
		app.ContainerName = n
	}
	app.Image = aws.ToString(c.Image)
	app.Command, app.Args = c.EntryPoint, c.Command
	app.Ports = m.ports(c.PortMappings)
	app.Env = env(c.Environment)
	app.Secrets = m.secrets(c.Secrets)
	app.Health = health(c.HealthCheck)
	app.Security = security(c)
	app.DependsOn = m.dependsOn(c.DependsOn)
	if len(c.DockerLabels) > 0 {
		app.ECS.DockerLabels = maps.Clone(c.DockerLabels)
	}
	app.ECS.Ulimits = ulimits(c.Ulimits)
	// Sizes: see carveSidecars.
	if r := aws.ToInt32(c.MemoryReservation); r > 0 {
		app.Requests = &spec.Requests{Memory: memText(int64(r))}
	}
	m.mainMemory, m.mainCPU = aws.ToInt32(c.Memory), c.Cpu
}

// sidecar maps a sidecar or an init container.
func (m *ecsMapper) sidecar(c types.ContainerDefinition) spec.Sidecar {
	s := spec.Sidecar{
		Name: aws.ToString(c.Name), Image: aws.ToString(c.Image), Command: c.EntryPoint, Args: c.Command,
		Env: env(c.Environment), Essential: c.Essential, Security: security(c), Health: health(c.HealthCheck),
		DependsOn: m.dependsOn(c.DependsOn),
	}
	if m.inits[s.Name] {
		// An init container is not essential (classify), as the spec's default for init.
		s.Essential = nil
	} else {
		s.Ports = m.ports(c.PortMappings)
	}
	if r := aws.ToInt32(c.MemoryReservation); r > 0 {
		s.Requests = &spec.Requests{Memory: memText(int64(r))}
	}
	// A sidecar's own cpu and hard memory are its size, carved out of the app's (what
	// Kubernetes needs of every container); carveSidecars makes them shares instead when
	// the app would be left too little.
	if c.Cpu > 0 {
		if v, ok := unitsCPU(c.Cpu); ok {
			s.CPU = v
		}
	}
	if mem := aws.ToInt32(c.Memory); mem > 0 {
		s.Memory = memText(int64(mem))
	}
	if f := c.FirelensConfiguration; f != nil {
		s.FireLens = &spec.FireLens{Type: string(f.Type), Options: maps.Clone(f.Options)}
	}
	if u := ulimits(c.Ulimits); len(u) > 0 {
		s.ECS = &spec.SidecarECS{Ulimits: u}
	}
	return s
}

// carveSidecars keeps sidecars' cpu and hard memory as their sizes only while the app
// container keeps what it had: a sidecar's size is carved out of the app's (README: sidecars),
// and an app container left with less than it had (or than 0.125 vCPU / 128 MiB) would not
// validate. A sidecar's cpu then becomes its share (requests.cpu, ECS's container cpu); its
// hard memory is left to the override. Then the app container's own cpu share and memory
// limit are said where they are not what the render gives it (all the sidecars leave).
func (m *ecsMapper) carveSidecars() {
	app := m.app
	var cpu, mem int64
	for _, s := range app.Sidecars {
		cpu += s.CPUMillis()
		mem += s.MemoryMiB()
	}
	mainMilli := (int64(m.mainCPU)*1000 + 1023) / 1024
	if app.CPUMillis()-cpu < max(mainMilli, 125) {
		for i := range app.Sidecars {
			if s := &app.Sidecars[i]; s.CPU != "" {
				if s.Requests == nil {
					s.Requests = &spec.Requests{}
				}
				s.Requests.CPU, s.CPU = s.CPU, ""
			}
		}
	}
	need := max(int64(m.mainMemory), 128)
	if r := app.Requests; r != nil && r.Memory != "" {
		n, _ := spec.ParseMemory(r.Memory)
		need = max(need, n)
	}
	if app.MemoryMiB()-mem < need {
		for i := range app.Sidecars {
			app.Sidecars[i].Memory = ""
		}
	}
	if int64(m.mainCPU) != spec.CPUUnits(app.MainCPUMillis()) {
		if v, ok := unitsCPU(m.mainCPU); ok {
			if app.Requests == nil {
				app.Requests = &spec.Requests{}
			}
			app.Requests.CPU = v
		}
	}
	if mem := int64(m.mainMemory); mem > 0 && mem != app.MainMemoryMiB() {
		app.Limits = &spec.Limits{Memory: memText(mem)}
	}
}

// ports maps port mappings: their names where the spec takes them (else the spec names them
// and the override takes the name away again), protocol in lower case.
func (m *ecsMapper) ports(pms []types.PortMapping) []spec.Port {
	var out []spec.Port
	seen := map[string]bool{}
	for _, p := range pms {
		if p.ContainerPort == nil || p.ContainerPortRange != nil {
			continue // a port range is left to the override
		}
		sp := spec.Port{Port: int(*p.ContainerPort)}
		if pr := strings.ToLower(string(p.Protocol)); pr != "tcp" {
			sp.Protocol = pr
		}
		if n := aws.ToString(p.Name); portNameRe.MatchString(n) && !seen[n] {
			sp.Name = n
			seen[n] = true
		}
		out = append(out, sp)
	}
	return out
}

func env(kvs []types.KeyValuePair) map[string]string {
	out := map[string]string{}
	count := map[string]int{}
	for _, kv := range kvs {
		count[aws.ToString(kv.Name)]++
	}
	for _, kv := range kvs {
		// A name the spec does not take, or one written twice, is left to the override.
		if n := aws.ToString(kv.Name); envNameRe.MatchString(n) && count[n] == 1 {
			out[n] = aws.ToString(kv.Value)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (m *ecsMapper) secrets(ss []types.Secret) map[string]string {
	out := map[string]string{}
	for _, s := range ss {
		n, ref := aws.ToString(s.Name), aws.ToString(s.ValueFrom)
		k := spec.ParseSecretRef(ref).Kind
		if envNameRe.MatchString(n) && (k == spec.SecretsManager || k == spec.SSMParameter) {
			out[n] = ref
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// health maps a container health check; CMD-SHELL runs its command with /bin/sh -c (the
// override keeps the CMD-SHELL form on ECS).
func health(h *types.HealthCheck) *spec.Health {
	if h == nil || len(h.Command) < 2 {
		return nil
	}
	var cmd []string
	switch h.Command[0] {
	case "CMD":
		cmd = h.Command[1:]
	case "CMD-SHELL":
		cmd = append([]string{"/bin/sh", "-c"}, strings.Join(h.Command[1:], " "))
	default:
		return nil
	}
	secs := func(p *int32, def int32) string {
		if p == nil {
			return fmt.Sprintf("%ds", def)
		}
		return fmt.Sprintf("%ds", *p)
	}
	out := &spec.Health{Command: cmd, Interval: secs(h.Interval, 30), Timeout: secs(h.Timeout, 5), Failures: 3}
	if h.Retries != nil {
		out.Failures = int(*h.Retries)
	}
	if sp := aws.ToInt32(h.StartPeriod); sp > 0 {
		out.Grace = fmt.Sprintf("%ds", sp)
	}
	return out
}

// security maps user "uid" or "uid:gid", the read-only root and the capabilities.
func security(c types.ContainerDefinition) *spec.Security {
	s := &spec.Security{ReadOnlyRootFilesystem: c.ReadonlyRootFilesystem}
	if u := userRe.FindStringSubmatch(aws.ToString(c.User)); u != nil {
		uid, err1 := strconv.ParseInt(u[1], 10, 32)
		if err1 == nil {
			s.RunAsUser = &uid
		}
		if u[2] != "" {
			if gid, err := strconv.ParseInt(u[2], 10, 32); err == nil && err1 == nil {
				s.RunAsGroup = &gid
			}
		}
	}
	if lp := c.LinuxParameters; lp != nil && lp.Capabilities != nil && (len(lp.Capabilities.Add) > 0 || len(lp.Capabilities.Drop) > 0) {
		if !slices.ContainsFunc(lp.Capabilities.Add, func(a string) bool { return a != "SYS_PTRACE" }) {
			s.Capabilities = &spec.Capabilities{Add: lp.Capabilities.Add, Drop: lp.Capabilities.Drop}
		}
	}
	if s.RunAsUser == nil && s.ReadOnlyRootFilesystem == nil && s.Capabilities == nil {
		return nil
	}
	return s
}

// dependsOn maps a start order, but for the wait on init containers the render writes itself.
func (m *ecsMapper) dependsOn(ds []types.ContainerDependency) []spec.DependsOn {
	var out []spec.DependsOn
	for _, d := range ds {
		name := aws.ToString(d.ContainerName)
		if m.inits[name] && d.Condition == types.ContainerConditionSuccess {
			continue
		}
		out = append(out, spec.DependsOn{Container: name, Condition: string(d.Condition)})
	}
	return out
}

func ulimits(us []types.Ulimit) []spec.Ulimit {
	var out []spec.Ulimit
	for _, u := range us {
		out = append(out, spec.Ulimit{Name: string(u.Name), Soft: int(u.SoftLimit), Hard: int(u.HardLimit)})
	}
	return out
}

// stopGrace is every container's stopTimeout when they all have the same one.
func (m *ecsMapper) stopGrace() {
	var t *int32
	for i, c := range m.td.ContainerDefinitions {
		if c.StopTimeout == nil || (i > 0 && (t == nil || *t != *c.StopTimeout)) {
			return
		}
		t = c.StopTimeout
	}
	if t != nil {
		m.app.StopGrace = fmt.Sprintf("%ds", *t)
	}
}

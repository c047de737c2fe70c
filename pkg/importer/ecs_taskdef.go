package importer

// The task definition in neutral fields: which container is the app, which are sidecars and
// one-shot init steps, and each container's image, command, ports, env, secrets, sizes,
// security, health check, mounts and start order. What a neutral field cannot say exactly is
// left to the comparison (ecs_compare.go), which writes it as an override.

import (
	"fmt"
	"maps"
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

// volumes maps EFS and scratch volumes, each mounted at its path in the app container (its
// first mount there) and wherever sidecars and init containers mount it.
func (m *ecsMapper) volumes() {
	app := m.app
	mounts := map[string][]types.MountPoint{}
	for _, c := range m.td.ContainerDefinitions {
		mounts[aws.ToString(c.Name)] = c.MountPoints
	}
	for _, v := range m.td.Volumes {
		name := aws.ToString(v.Name)
		sv := spec.Volume{Name: name}
		switch {
		case v.EfsVolumeConfiguration != nil:
			e := v.EfsVolumeConfiguration
			sv.EFS = &spec.EFS{FileSystem: aws.ToString(e.FileSystemId)}
			if e.TransitEncryption != types.EFSTransitEncryptionEnabled {
				f := false
				sv.EFS.TransitEncryption = &f
			}
			if a := e.AuthorizationConfig; a != nil {
				sv.EFS.AccessPoint = aws.ToString(a.AccessPointId)
			}
		case v.DockerVolumeConfiguration == nil && v.FsxWindowsFileServerVolumeConfiguration == nil && (v.Host == nil || aws.ToString(v.Host.SourcePath) == "") && !aws.ToBool(v.ConfiguredAtLaunch):
			sv.Scratch = &spec.Scratch{}
		default:
			continue
		}
		if !dnsLabelRe.MatchString(name) {
			continue // not a spec volume name: the override carries the volume and its mounts
		}
		for _, mp := range mounts[m.main] {
			if aws.ToString(mp.SourceVolume) == name {
				sv.Path, sv.ReadOnly = aws.ToString(mp.ContainerPath), aws.ToBool(mp.ReadOnly)
				break
			}
		}
		mounted := sv.Path != ""
		for _, list := range [][]spec.Sidecar{app.Sidecars, app.Init} {
			for i := range list {
				for _, mp := range mounts[list[i].Name] {
					if aws.ToString(mp.SourceVolume) == name {
						list[i].Mounts = append(list[i].Mounts, spec.Mount{Volume: name, Path: aws.ToString(mp.ContainerPath), ReadOnly: aws.ToBool(mp.ReadOnly)})
						mounted = true
					}
				}
			}
		}
		if mounted {
			app.Volumes = append(app.Volumes, sv)
		}
	}
}

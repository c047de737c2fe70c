package spec

import (
	"maps"
	"slices"
	"strings"
)

// The least the app container keeps once sidecars are carved out.
const (
	minMainCPU    = 125
	minMainMemory = 128
)

// container is what the app container and a sidecar share, for the checks both get.
type container struct {
	path             string // "" for the app, sidecars[i] for a sidecar
	cpu, memory      string
	requests         *Requests
	security         *Security
	limitCPU, limMiB int64 // the limits requests must stay within (0 when unknown)
}

func (c *checker) containers() []container {
	a := c.app
	cpu, mem := a.MainLimits()
	out := []container{{cpu: a.CPU, memory: a.Memory, requests: a.Requests, security: a.Security,
		limitCPU: cpu, limMiB: mem}}
	for i, s := range a.Sidecars {
		out = append(out, container{path: indexPath("sidecars", i), cpu: s.CPU, memory: s.Memory,
			requests: s.Requests, security: s.Security, limitCPU: s.CPUMillis(), limMiB: s.MemoryMiB()})
	}
	return out
}

func in(container, f string) string {
	if container == "" {
		return f
	}
	return container + "." + f
}

// limits checks the app container's own limits: within what the sidecars leave it.
func (c *checker) limits() {
	a, l := c.app, c.app.Limits
	if l == nil {
		return
	}
	if l.CPU != "" {
		if n, err := ParseCPU(l.CPU); err != nil {
			c.errorf("limits.cpu", `write vCPUs such as 0.5 or millicores such as "500m"`, "%v", err)
		} else if n > a.MainCPUMillis() {
			c.errorf("limits.cpu", "raise cpu, or lower the limit", "%s is more than the %s the app container has", FormatCPU(n), FormatCPU(a.MainCPUMillis()))
		}
	}
	if l.Memory != "" {
		if n, err := ParseMemory(l.Memory); err != nil {
			c.errorf("limits.memory", "write a size with a unit, such as 256Mi", "%v", err)
		} else if n > a.MainMemoryMiB() {
			c.errorf("limits.memory", "raise memory, or lower the limit", "%s is more than the %s the app container has", FormatMemory(n), FormatMemory(a.MainMemoryMiB()))
		}
	}
}

// requestsAndSecurity checks what every container may set: requests within its limits, and a
// security context with sane ids.
func (c *checker) requestsAndSecurity() {
	for _, ct := range c.containers() {
		if r := ct.requests; r != nil {
			if r.CPU != "" {
				if n, err := ParseCPURequest(r.CPU); err != nil {
					c.errorf(in(ct.path, "requests.cpu"), `write vCPUs such as 0.1 or millicores such as "100m"`, "%v", err)
				} else if ct.limitCPU > 0 && n > ct.limitCPU {
					c.errorf(in(ct.path, "requests.cpu"), "requests stay at or below the limit", "%s is more than the container's %s", FormatCPU(n), FormatCPU(ct.limitCPU))
				}
			}
			if r.Memory != "" {
				if n, err := ParseMemory(r.Memory); err != nil {
					c.errorf(in(ct.path, "requests.memory"), "write a size with a unit, such as 256Mi", "%v", err)
				} else if ct.limMiB > 0 && n > ct.limMiB {
					c.errorf(in(ct.path, "requests.memory"), "requests stay at or below the limit", "%s is more than the container's %s", FormatMemory(n), FormatMemory(ct.limMiB))
				}
			}
		}
		if s := ct.security; s != nil {
			if s.FSGroup != nil && ct.path != "" {
				c.errorf(in(ct.path, "security.fsGroup"), "set fsGroup in the app's security: it applies to the whole pod", "fsGroup is a pod setting")
			}
			for _, id := range []struct {
				f string
				v *int64
			}{{"security.runAsUser", s.RunAsUser}, {"security.runAsGroup", s.RunAsGroup}, {"security.fsGroup", s.FSGroup}} {
				if id.v != nil && (*id.v < 0 || *id.v > maxInt32) {
					c.errorf(in(ct.path, id.f), "", "%d is not a user or group id (0–%d)", *id.v, maxInt32)
				}
			}
			if s.RunAsNonRoot != nil && *s.RunAsNonRoot && s.RunAsUser != nil && *s.RunAsUser == 0 {
				c.errorf(in(ct.path, "security.runAsUser"), "use a non-zero uid, or drop runAsNonRoot", "runAsNonRoot with runAsUser 0 can never start")
			}
		}
	}
}

func (c *checker) volumes() {
	a := c.app
	seen := map[string]bool{}
	mounted := map[string]bool{}
	for _, s := range a.Sidecars {
		for _, m := range s.Mounts {
			mounted[m.Volume] = true
		}
	}
	for i, v := range a.Volumes {
		f := indexPath("volumes", i)
		if !dnsLabel.MatchString(v.Name) {
			c.errorf(f+".name", "", "%q is not a volume name (DNS-1123 label)", clip(v.Name))
		}
		if seen[v.Name] {
			c.errorf(f+".name", "", "duplicate volume %q", clip(v.Name))
		}
		seen[v.Name] = true
		switch {
		case v.Path == "" && !mounted[v.Name]:
			c.errorf(f+".path", "add path: /data, or mount it into a sidecar (sidecars[].mounts)", "required: the volume is mounted nowhere")
		case v.Path != "" && !strings.HasPrefix(v.Path, "/"):
			c.errorf(f+".path", "", "%q must be an absolute path", clip(v.Path))
		}
		sources := 0
		for _, set := range []bool{v.EFS != nil, v.Scratch != nil, v.Secret != nil, v.ConfigMap != nil} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			c.errorf(f, "give it exactly one of efs: {fileSystem: fs-…}, scratch: {}, secret: {name: …} or configMap: {name: …}",
				"needs exactly one source, has %d", sources)
			continue
		}
		switch {
		case v.EFS != nil:
			if !efsID.MatchString(v.EFS.FileSystem) {
				c.errorf(f+".efs.fileSystem", "", "%q is not an EFS file system id (fs-…)", clip(v.EFS.FileSystem))
			}
			if ap := v.EFS.AccessPoint; ap != "" && !efsAPID.MatchString(ap) {
				c.errorf(f+".efs.accessPoint", "", "%q is not an EFS access point id (fsap-…)", clip(ap))
			}
			if v.EFS.AccessPoint != "" && !v.EFS.Encrypted() {
				// ECS's EFSAuthorizationConfig: "If an access point is used, transit encryption
				// must be on"; the EFS mount helper behind the CSI driver refuses one without tls.
				c.errorf(f+".efs.transitEncryption", "drop transitEncryption: false, or the access point",
					"ECS and the EFS CSI driver mount an access point only with transit encryption")
			}
		case v.Scratch != nil && v.Scratch.SizeLimit != "":
			if _, err := ParseMemory(v.Scratch.SizeLimit); err != nil {
				c.errorf(f+".scratch.sizeLimit", "write a size with a unit, such as 1Gi", "%v", err)
			}
		case v.Secret != nil && v.Secret.Name == "":
			c.errorf(f+".secret.name", "name the Secret", "required")
		case v.ConfigMap != nil && v.ConfigMap.Name == "":
			c.errorf(f+".configMap.name", "name the ConfigMap", "required")
		}
	}
	for i, s := range a.Sidecars {
		paths := map[string]bool{}
		for j, m := range s.Mounts {
			f := indexPath(indexPath("sidecars", i)+".mounts", j)
			if !seen[m.Volume] {
				c.errorf(f+".volume", "name one of volumes:", "no volume named %q", clip(m.Volume))
			}
			if !strings.HasPrefix(m.Path, "/") {
				c.errorf(f+".path", "", "%q must be an absolute path", clip(m.Path))
			} else if paths[m.Path] {
				c.errorf(f+".path", "", "%s is mounted twice in this container", clip(m.Path))
			}
			paths[m.Path] = true
		}
	}
}

func (c *checker) sidecars() {
	a := c.app
	seen := map[string]bool{a.MainContainer(): true}
	for i, s := range a.Sidecars {
		f := indexPath("sidecars", i)
		c.containerBasics(f, s, seen, "log-router")
		for j, p := range s.Ports {
			if p.Port < 1 || p.Port > 65535 {
				c.errorf(indexPath(f+".ports", j)+".port", "", "%d is not a port number (1–65535)", p.Port)
			}
		}
		if s.Health != nil {
			c.check(f+".health", s.Health, s.Ports, "sidecar")
		}
		c.dependsOn(f, s.Name, s.DependsOn)
	}
	c.dependsOn("", a.MainContainer(), a.DependsOn)
	for i, s := range a.Init {
		f := indexPath("init", i)
		c.containerBasics(f, s, seen, "migrate")
		if len(s.Ports) > 0 || s.Health != nil || len(s.DependsOn) > 0 || s.FireLens != nil {
			c.errorf(f, "keep name, image, command, args, env, cpu, memory, requests, security and mounts", "an init container runs once: no ports, health, dependsOn or firelens")
		}
	}
	// The app's cpu/memory is the whole task (pod); sidecars are carved out of it and must
	// leave the app container something to run with.
	if len(a.Sidecars) == 0 || len(c.errs) > 0 {
		return
	}
	var sc, sm int64
	for _, s := range a.Sidecars {
		sc += s.CPUMillis()
		sm += s.MemoryMiB()
	}
	if a.MainCPUMillis() < minMainCPU || a.MainMemoryMiB() < minMainMemory {
		need := FargateSize{sc + max(minMainCPU, 0), sm + minMainMemory}
		c.errorf("sidecars", "raise cpu/memory to at least "+NearestFargateSize(need.CPUMillis, need.MemoryMiB).String(),
			"the sidecars take %s / %s of the app's %s / %s, leaving less than %s / %s for the app container",
			FormatCPU(sc), FormatMemory(sm), FormatCPU(a.CPUMillis()), FormatMemory(a.MemoryMiB()), FormatCPU(minMainCPU), FormatMemory(minMainMemory))
	}
}

// containerBasics checks what every sidecar and init container needs: a name no other
// container has, an image, sizes that parse, env names.
func (c *checker) containerBasics(f string, s Sidecar, seen map[string]bool, example string) {
	if s.Name == "" {
		c.errorf(f+".name", "e.g. name: "+example, "required")
	} else if seen[s.Name] {
		c.errorf(f+".name", "", "%q is already the name of another container", clip(s.Name))
	}
	seen[s.Name] = true
	if s.Image == "" {
		c.errorf(f+".image", "", "required")
	}
	if _, err := ParseCPU(s.CPU); s.CPU != "" && err != nil {
		c.errorf(f+".cpu", "", "%v", err)
	}
	if _, err := ParseMemory(s.Memory); s.Memory != "" && err != nil {
		c.errorf(f+".memory", "", "%v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		if !envName.MatchString(k) {
			c.errorf(f+".env."+k, "", "%q is not a valid environment variable name", clip(k))
		}
	}
}

// dependsOn checks one container's start order: other containers of the app, ECS's
// conditions.
func (c *checker) dependsOn(f, self string, deps []DependsOn) {
	for j, d := range deps {
		g := indexPath(in(f, "dependsOn"), j)
		if !seenAll(c.app, d.Container) || d.Container == self {
			c.errorf(g+".container", "name the app, another sidecar or an init container", "no other container named %q", clip(d.Container))
		}
		switch d.Condition {
		case "START", "COMPLETE", "SUCCESS", "HEALTHY":
		default:
			c.errorf(g+".condition", "use START, COMPLETE, SUCCESS or HEALTHY", "%q is not a dependsOn condition", clip(d.Condition))
		}
	}
}

// seenAll reports whether name is one of the app's containers.
func seenAll(a *App, name string) bool {
	for _, n := range a.containerNames() {
		if n == name {
			return true
		}
	}
	return false
}

// sidecarLimits: Kubernetes never gets an unbounded container, so every sidecar states its
// size there; on ECS a sidecar without one shares the task's.
func (c *checker) sidecarLimits() {
	for i, s := range c.app.Sidecars {
		f := indexPath("sidecars", i)
		if s.CPU == "" {
			c.errorf(f+".cpu", "e.g. cpu: 0.25", "required on Kubernetes: every container has a limit")
		}
		if s.Memory == "" {
			c.errorf(f+".memory", "e.g. memory: 256Mi", "required on Kubernetes: every container has a limit")
		}
	}
}

package spec

import "fmt"

// The spec's defaults, in one place (the README lists them under "The spec").
const (
	DefaultCPU            = "0.25"
	DefaultMemory         = "512Mi"
	DefaultTimeout        = "10m"
	DefaultMaxSurge       = "100%"
	DefaultMaxUnavailable = "0%"
	DefaultLogRetention   = "30d"
	DefaultNamespace      = "default"
	DefaultCluster        = "default"
	DefaultCapacity       = "FARGATE"
	DefaultHealthInterval = "10s"
	DefaultHealthTimeout  = "5s"
	DefaultHealthFailures = 3
)

// applyDefaults fills in every field the user may leave out, so renderers never guess.
func applyDefaults(a *App) {
	// `port: 0` or `port: -80` becomes a port too, so validation refuses it rather than the
	// shorthand vanishing.
	if _, set := a.Source.positions["port"]; (set || a.Port != 0) && len(a.Ports) == 0 {
		a.Ports = []Port{{Name: "http", Port: a.Port, Protocol: "tcp"}}
		a.Port = 0
	}
	for i := range a.Ports {
		p := &a.Ports[i]
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		if p.Name == "" {
			if i == 0 {
				p.Name = "http"
			} else {
				p.Name = fmt.Sprintf("port-%d", p.Port)
			}
		}
	}
	if a.CPU == "" {
		a.CPU = DefaultCPU
	}
	if a.Memory == "" {
		a.Memory = DefaultMemory
	}
	if a.Expose == "" {
		a.Expose = "none"
		if len(a.Ports) > 0 || a.Port > 0 {
			a.Expose = "internal"
		}
	}
	if a.Replicas == nil && a.Autoscale == nil {
		one := 1
		a.Replicas = &one
	}
	if h := a.Health; h != nil {
		// successes and initialDelay stay unset (1 and 0s) so that specs written before they
		// existed keep their hash, and so their revision.
		defaultHealth(h, &Health{Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout,
			Failures: DefaultHealthFailures}, a.Ports)
		if l := h.Liveness; l != nil && !l.Off {
			// A liveness check takes what it leaves out from the main check, but for
			// successes: Kubernetes takes only 1 for liveness.
			own := l.Successes
			defaultHealth(l, h, a.Ports)
			l.Successes = own
		}
		if h.Startup != nil {
			defaultStartup(h, a.Ports)
		}
	}
	r := &a.Rollout
	if r.Timeout == "" {
		r.Timeout = DefaultTimeout
	}
	if r.AutoRollback == nil {
		t := true
		r.AutoRollback = &t
	}
	if r.MaxSurge == "" {
		r.MaxSurge = DefaultMaxSurge
	}
	if r.MaxUnavailable == "" {
		r.MaxUnavailable = DefaultMaxUnavailable
	}
	if a.Logs.Retention == "" {
		a.Logs.Retention = DefaultLogRetention
	}
	if a.ECS.Cluster == "" {
		a.ECS.Cluster = DefaultCluster
	}
	if a.ECS.Capacity == "" {
		a.ECS.Capacity = DefaultCapacity
	}
	if a.EKS.Namespace == "" {
		a.EKS.Namespace = DefaultNamespace
	}
	if a.EKS.ServiceAccount == "" && a.Role != "" {
		a.EKS.ServiceAccount = a.Name
	}
	for i := range a.Init {
		if a.Init[i].Essential == nil {
			f := false // a one-shot step ends; the task must not stop with it
			a.Init[i].Essential = &f
		}
	}
	for i := range a.Sidecars {
		for j := range a.Sidecars[i].Ports {
			p := &a.Sidecars[i].Ports[j]
			if p.Protocol == "" {
				p.Protocol = "tcp"
			}
			if p.Name == "" {
				p.Name = fmt.Sprintf("port-%d", p.Port)
			}
		}
		if h := a.Sidecars[i].Health; h != nil {
			defaultHealth(h, &Health{Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout,
				Failures: DefaultHealthFailures}, a.Sidecars[i].Ports)
		}
		if a.Sidecars[i].Essential == nil {
			t := true
			a.Sidecars[i].Essential = &t
		}
	}
}

// defaultHealth fills the timings a check leaves out from from, and its port from the app's
// first port when it checks a port.
func defaultHealth(h, from *Health, ports []Port) {
	if h.Interval == "" {
		h.Interval = from.Interval
	}
	if h.Timeout == "" {
		h.Timeout = from.Timeout
	}
	if h.Failures == 0 {
		h.Failures = from.Failures
	}
	if h.Successes == 0 {
		h.Successes = from.Successes
	}
	if h.InitialDelay == "" {
		h.InitialDelay = from.InitialDelay
	}
	if (h.Path != "" || h.TCP || h.GRPC != nil) && h.Port == 0 {
		h.Port = from.Port
		if h.Port == 0 && len(ports) > 0 {
			h.Port = ports[0].Port
		}
	}
}

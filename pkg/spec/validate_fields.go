package spec

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// The largest count or number of seconds both targets store: Kubernetes and the ECS API
// hold replicas, capacities and seconds as int32. Anything above would wrap when rendered.
const maxInt32 = math.MaxInt32

func (c *checker) ports() {
	a := c.app
	_, port := a.Source.positions["port"]
	_, ports := a.Source.positions["ports"]
	if port && ports {
		c.errorf("port", "remove port: or ports:", "set either port: (shorthand) or ports:, not both")
	}
	seenName, seenPort, seenService := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, p := range a.Ports {
		f := indexPath("ports", i)
		if p.Port < 1 || p.Port > 65535 {
			c.errorf(f+".port", "", "%d is not a port number (1–65535)", p.Port)
		}
		proto := strings.ToLower(p.Protocol)
		if proto != "tcp" && proto != "udp" {
			c.errorf(f+".protocol", "use tcp or udp", "%q is not a protocol", p.Protocol)
		}
		if p.Name == "" {
			c.errorf(f+".name", "e.g. name: http", "required")
		}
		if seenName[p.Name] {
			c.errorf(f+".name", "give each port its own name", "duplicate port name %q", clip(p.Name))
		}
		key := fmt.Sprintf("%d/%s", p.Port, proto)
		if seenPort[key] {
			c.errorf(f+".port", "", "port %s is listed twice", key)
		}
		seenName[p.Name], seenPort[key] = true, true
		if sp := p.ServicePort; sp != 0 {
			if sp < 1 || sp > 65535 {
				c.errorf(f+".servicePort", "", "%d is not a port number (1–65535)", sp)
			}
			if !p.Exposed() {
				c.errorf(f+".servicePort", "drop servicePort or expose: false", "a port that is not exposed has no service port")
			}
		}
		svc := fmt.Sprintf("%d/%s", p.ServicePort, proto)
		if p.ServicePort == 0 {
			svc = key
		}
		if p.Exposed() && seenService[svc] {
			c.errorf(f+".servicePort", "give each exposed port its own service port", "service port %s is used twice", svc)
		}
		seenService[svc] = p.Exposed() || seenService[svc]
	}
}

func (c *checker) replicas() {
	a := c.app
	if a.Replicas != nil {
		if *a.Replicas < 0 {
			c.errorf("replicas", "", "%d is negative", *a.Replicas)
		} else if *a.Replicas > maxInt32 {
			c.errorf("replicas", "", "%d is more replicas than Kubernetes or ECS can hold (at most %d)", *a.Replicas, maxInt32)
		}
	}
	as := a.Autoscale
	if as == nil {
		return
	}
	if as.Min < 1 {
		c.errorf("autoscale.min", "", "must be at least 1, got %d", as.Min)
	} else if as.Min > maxInt32 {
		c.errorf("autoscale.min", "", "%d is more replicas than Kubernetes or ECS can hold (at most %d)", as.Min, maxInt32)
	}
	if as.Max < as.Min {
		c.errorf("autoscale.max", fmt.Sprintf("set max to %d or more", max(as.Min, 1)), "%d is less than min %d", as.Max, as.Min)
	} else if as.Max > maxInt32 {
		c.errorf("autoscale.max", "", "%d is more replicas than Kubernetes or ECS can hold (at most %d)", as.Max, maxInt32)
	}
	if as.CPU == 0 && as.Memory == 0 && as.Requests == 0 {
		c.errorf("autoscale", "add cpu: 70 (target average utilisation, percent)", "needs a cpu, memory or requests target")
	}
	if as.Requests < 0 {
		c.errorf("autoscale.requests", "", "%d is not a number of requests per task", as.Requests)
	}
	for _, m := range []struct {
		f string
		v int
	}{{"autoscale.cpu", as.CPU}, {"autoscale.memory", as.Memory}} {
		if m.v < 0 || m.v > 100 {
			c.errorf(m.f, "", "%d is not a utilisation percentage (1–100)", m.v)
		}
	}
	if a.Replicas != nil && (*a.Replicas < as.Min || *a.Replicas > as.Max) {
		c.errorf("replicas", "", "%d is outside autoscale's %d–%d", *a.Replicas, as.Min, as.Max)
	}
}

func (c *checker) envAndSecrets() {
	a := c.app
	for _, k := range slices.Sorted(maps.Keys(a.Env)) {
		if !envName.MatchString(k) {
			c.errorf("env."+k, "use letters, digits and '_', not starting with a digit", "%q is not a valid environment variable name", clip(k))
		}
		if _, dup := a.Secrets[k]; dup {
			c.errorf("env."+k, "keep it in one of env: or secrets:", "%s is both in env and in secrets", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Secrets)) {
		v := a.Secrets[k]
		if !envName.MatchString(k) {
			c.errorf("secrets."+k, "use letters, digits and '_', not starting with a digit", "%q is not a valid environment variable name", clip(k))
		}
		c.secretRef("secrets."+k, v, "")
	}
}

func (c *checker) health() {
	h := c.app.Health
	if h == nil {
		return
	}
	c.check("health", h, c.app.Ports, "app")
	if l := h.Liveness; l != nil {
		f := "health.liveness"
		switch {
		case l.Off && (l.Path != "" || len(l.Command) > 0 || l.TCP || l.GRPC != nil):
			c.errorf(f+".off", "keep off: true alone, or drop it", "off: true turns liveness off; it cannot also check something")
		case !l.Off:
			c.check(f, l, c.app.Ports, "app")
			if l.Grace != "" || l.Liveness != nil {
				c.errorf(f, "set grace and liveness on health itself", "a liveness check has no grace or liveness of its own")
			}
			if l.Successes > 1 {
				c.errorf(f+".successes", "Kubernetes requires 1 for liveness", "%d: a liveness check succeeds on one success", l.Successes)
			}
		}
	}
}

// check validates one check: exactly one kind (path, tcp, grpc, command), a port the app has,
// and timings both targets can store.
func (c *checker) check(f string, h *Health, ports []Port, whose string) {
	kinds := 0
	for _, set := range []bool{h.Path != "", h.TCP, h.GRPC != nil, len(h.Command) > 0} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		c.errorf(f, "add path: /healthz, tcp: true, grpc: {} or command: [...]", "needs a path, a tcp or grpc port, or a command")
	case kinds > 1:
		c.errorf(f, "keep one of path, tcp, grpc and command", "checks one thing; it has %d", kinds)
	}
	if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
		c.errorf(f+".path", "write /"+clip(h.Path), "%q must start with /", clip(h.Path))
	}
	if len(h.Headers) > 0 && h.Path == "" {
		c.errorf(f+".headers", "headers go with path:", "headers need an HTTP check")
	}
	if h.Path != "" || h.TCP || h.GRPC != nil {
		found := false
		for _, p := range ports {
			found = found || p.Port == h.Port
		}
		if !found {
			c.errorf(f+".port", "use one of the "+whose+"'s ports", "port %d is not one of the %s's ports", h.Port, whose)
		}
	}
	c.seconds(f+".interval", h.Interval, time.Second)
	c.seconds(f+".timeout", h.Timeout, time.Second)
	if h.InitialDelay != "" {
		c.seconds(f+".initialDelay", h.InitialDelay, 0)
	}
	if h.Grace != "" {
		c.seconds(f+".grace", h.Grace, time.Second)
	}
	if h.Failures < 1 || h.Failures > maxInt32 {
		c.errorf(f+".failures", "", "%d is not a number of failures (at least 1)", h.Failures)
	}
	if h.Successes < 0 || h.Successes > maxInt32 { // 0: unset, 1
		c.errorf(f+".successes", "", "%d is not a number of successes (at least 1)", h.Successes)
	}
}

// seconds checks a duration both targets store as whole seconds in an int32.
func (c *checker) seconds(field, s string, least time.Duration) {
	d, err := ParseDuration(s)
	switch {
	case err != nil || d%time.Second != 0:
		c.errorf(field, "write whole seconds such as 10s", "%q is not a duration of whole seconds", clip(s))
	case d < least:
		c.errorf(field, "", "%s is shorter than %s", s, least)
	case d > maxInt32*time.Second:
		c.errorf(field, "", "%s is longer than Kubernetes and ECS can hold (at most %ds, about 68 years)", s, maxInt32)
	}
}

func (c *checker) rollout() {
	r := c.app.Rollout
	c.seconds("rollout.timeout", r.Timeout, time.Second)
	surge, err1 := ParsePercent(r.MaxSurge)
	if err1 != nil {
		c.errorf("rollout.maxSurge", `write a percentage such as "25%"`, "%v", err1)
	}
	unavail, err2 := ParsePercent(r.MaxUnavailable)
	if err2 != nil {
		c.errorf("rollout.maxUnavailable", `write a percentage such as "0%"`, "%v", err2)
	}
	if err1 == nil && err2 == nil && surge == 0 && unavail == 0 {
		c.errorf("rollout.maxSurge", "set maxSurge above 0%", "maxSurge and maxUnavailable cannot both be 0%%: the rollout could never start")
	}
}

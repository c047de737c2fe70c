package ecs

import (
	"strings"
	"testing"
)

// TestStartupWindowIsTheStartPeriod: ECS has no startup check, so health.startup's window
// (initial delay + failures × interval) is the container check's startPeriod and the load
// balancer's grace period; grace, when set, still decides.
func TestStartupWindowIsTheStartPeriod(t *testing.T) {
	tg := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	src := strings.Replace(renderBase, "  subnets:", "  targetGroup: "+tg+"\n  subnets:", 1)
	for _, c := range []struct {
		health string
		want   int32
	}{
		{"{command: [/bin/check], startup: {command: [/bin/started], interval: 10s, failures: 25, initialDelay: 20s}}", 270},
		{"{command: [/bin/check], grace: 60s, startup: {command: [/bin/started], interval: 10s}}", 60},
	} {
		r, err := Render(loadSpec(t, src+"health: "+c.health+"\n"), RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hc := r.TaskDefinition.ContainerDefinitions[0].HealthCheck
		if hc == nil || hc.StartPeriod == nil || *hc.StartPeriod != c.want {
			t.Errorf("%s: health check %+v, want startPeriod %d", c.health, hc, c.want)
		}
		if g := r.Service.HealthCheckGracePeriodSeconds; g == nil || *g != c.want {
			t.Errorf("%s: grace period %v, want %d", c.health, g, c.want)
		}
		if strings.Join(hc.Command, " ") != "CMD /bin/check" {
			t.Errorf("%s: the container check runs %v, want the health command", c.health, hc.Command)
		}
	}
}

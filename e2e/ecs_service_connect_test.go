//go:build e2e

package e2e

import (
	"testing"
)

// serviceConnect is what `aws ecs describe-services` says of the PRIMARY deployment's
// Service Connect configuration (ECS keeps it per deployment), nil when it has none.
func (a *ecsApp) serviceConnect() *struct {
	Enabled   bool
	Namespace string
	Services  []struct {
		PortName, DiscoveryName string
		ClientAliases           []struct {
			Port    int
			DnsName string
		}
	}
} {
	a.t.Helper()
	var out struct {
		Services []struct {
			Deployments []struct {
				Status                      string
				ServiceConnectConfiguration *struct {
					Enabled   bool
					Namespace string
					Services  []struct {
						PortName, DiscoveryName string
						ClientAliases           []struct {
							Port    int
							DnsName string
						}
					}
				}
			}
		}
	}
	awsCLI(a.t, ecsRegion, &out, "ecs", "describe-services", "--cluster", a.cluster, "--services", "web")
	if len(out.Services) != 1 {
		a.t.Fatalf("describe-services: %d services", len(out.Services))
	}
	for _, d := range out.Services[0].Deployments {
		if d.Status == "PRIMARY" {
			return d.ServiceConnectConfiguration
		}
	}
	a.t.Fatalf("describe-services: no PRIMARY deployment")
	return nil
}

// TestECSServiceConnectReadBack: ecs.serviceConnect reaches the service on create, a change
// behind shipit's back is a difference that the next deploy puts back without a new task
// definition, and removing the field turns Service Connect off. Read back with the aws CLI
// from the service's PRIMARY deployment, where ECS reports it.
func TestECSServiceConnectReadBack(t *testing.T) {
	a := newECSApp(t, ecsFast)
	const sc = "  serviceConnect:\n    namespace: shop\n    services:\n    - {port: http, discoveryName: web, clientAliases: [{port: 8080, dnsName: web.shop}]}\n"
	spec := a.spec(ecsSpec{Image: "nginx:1.27", ECSExtra: sc})
	a.run("deploy", "-f", spec).wantExit(t, 0, "Succeeded", "registered task definition web:1")

	c := a.serviceConnect()
	if c == nil || !c.Enabled || c.Namespace != "shop" || len(c.Services) != 1 || c.Services[0].PortName != "http" || c.Services[0].DiscoveryName != "web" ||
		len(c.Services[0].ClientAliases) != 1 || c.Services[0].ClientAliases[0].Port != 8080 || c.Services[0].ClientAliases[0].DnsName != "web.shop" {
		t.Fatalf("after create: %+v", c)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)
	a.run("deploy", "-f", spec).wantExit(t, 0, "nothing changed")

	// Changed behind shipit's back: a difference, and the next deploy puts it back on the same
	// task definition.
	awsCLI(t, ecsRegion, nil, "ecs", "update-service", "--cluster", a.cluster, "--service", "web", "--service-connect-configuration",
		`{"enabled": true, "namespace": "shop", "services": [{"portName": "http", "clientAliases": [{"port": 80}]}]}`)
	a.run("diff", "-f", spec).wantExit(t, 6, `-            "port": 80`, `+            "dnsName": "web.shop",`, `+        "discoveryName": "web",`)
	a.run("deploy", "-f", spec).wantExit(t, 0, "differed from the spec in: Service Connect", "the task definition stays web:1")
	if c := a.serviceConnect(); c == nil || !c.Enabled || c.Services[0].DiscoveryName != "web" || c.Services[0].ClientAliases[0].Port != 8080 {
		t.Fatalf("after the deploy that put it back: %+v", c)
	}
	a.run("diff", "-f", spec).wantExit(t, 0)

	// The field removed: the deploy turns Service Connect off.
	off := a.spec(ecsSpec{Image: "nginx:1.27"})
	a.run("diff", "-f", off).wantExit(t, 6, `-  "serviceConnectConfiguration": {`)
	a.run("deploy", "-f", off).wantExit(t, 0, "Succeeded", "registered task definition web:2")
	if c := a.serviceConnect(); c == nil || c.Enabled {
		t.Fatalf("after removing it: %+v (want it reported turned off)", c)
	}
	a.run("diff", "-f", off).wantExit(t, 0)
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// The Kubernetes fields of real apps (Bank of Anthos, Online Boutique, Sock Shop, the EKS
// workshop): env from the downward API and single ConfigMap or Secret keys, a Secret volume's
// items, ephemeral storage, a startup probe of its own, the Service port's own name, a NodePort
// Service with a fixed node port and a second, public LoadBalancer Service. Deployed to the
// sandbox and read back with kubectl: what the API server stores, not only what shipit renders.

const realAppFields = `requests: {ephemeralStorage: 0.5Gi}
limits: {ephemeralStorage: 1Gi}
health:
  path: /ready
  interval: 5s
  startup: {path: /healthy, interval: 10s, timeout: 1s, failures: 30}
volumes:
  - name: keys
    path: /tmp/.ssh
    readOnly: true
    secret: {name: jwt-key, items: [{key: jwtRS256.key, path: privatekey, mode: 0o400}, {key: jwtRS256.key.pub, path: publickey}]}
expose: public
`

const realAppEKS = `eks:
  namespace: %NS%
  serviceType: NodePort
  publicService: {name: web-external, annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}}
  env:
    HOST_IP: {field: status.hostIP}
    NAMESPACE: {field: metadata.namespace}
    APP_LABEL: {field: "metadata.labels['app.kubernetes.io/name']"}
    DEFAULT_USERNAME: {configMap: demo-data-config, key: DEMO_LOGIN_USERNAME}
    CLIENT_ID: {configMap: oauth-config, key: DEMO_OAUTH_CLIENT_ID, optional: true}
    DB_PASSWORD: {secret: db, key: password}
`

func TestEKSRealAppFieldsReadBack(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", realAppFields)
	spec = rewrite(t, spec, "eks: {namespace: "+ns+"}\n", strings.ReplaceAll(realAppEKS, "%NS%", ns))
	spec = rewrite(t, spec, "env: {APP_ENV: e2e}\n", "env: {APP_ENV: e2e, OTEL_ENDPOINT: \"http://$(HOST_IP):4317\"}\n")
	spec = rewrite(t, spec, "port: 80\n", "ports: [{name: http-server, port: 8080, servicePort: 80, servicePortName: http, nodePort: 30901}]\n")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Env []struct {
							Name, Value string
							ValueFrom   *struct {
								FieldRef        *struct{ FieldPath string }
								ConfigMapKeyRef *struct {
									Name, Key string
									Optional  *bool
								}
								SecretKeyRef *struct{ Name, Key string }
							}
						}
						Resources    struct{ Requests, Limits map[string]string }
						StartupProbe *struct {
							HTTPGet                                         struct{ Path string }
							PeriodSeconds, TimeoutSeconds, FailureThreshold int
						}
						ReadinessProbe struct{ HTTPGet struct{ Path string } }
					}
					Volumes []struct {
						Name   string
						Secret *struct {
							SecretName string
							Items      []struct {
								Key, Path string
								Mode      *int
							}
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	ps := d.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		t.Fatalf("containers: %+v", ps.Containers)
	}
	c := ps.Containers[0]
	var order []string
	byName := map[string]int{}
	for i, e := range c.Env {
		order = append(order, e.Name)
		byName[e.Name] = i
	}
	// eks.env first (sorted), then env: $(HOST_IP) is defined before the value that uses it.
	if got := strings.Join(order, ","); got != "APP_LABEL,CLIENT_ID,DB_PASSWORD,DEFAULT_USERNAME,HOST_IP,NAMESPACE,APP_ENV,OTEL_ENDPOINT" {
		t.Errorf("env order: %s", got)
	}
	env := func(name string) (string, string) {
		e := c.Env[byName[name]]
		if e.ValueFrom == nil {
			return "value", e.Value
		}
		switch v := e.ValueFrom; {
		case v.FieldRef != nil:
			return "field", v.FieldRef.FieldPath
		case v.ConfigMapKeyRef != nil:
			opt := ""
			if v.ConfigMapKeyRef.Optional != nil && *v.ConfigMapKeyRef.Optional {
				opt = "?"
			}
			return "configMap", v.ConfigMapKeyRef.Name + "/" + v.ConfigMapKeyRef.Key + opt
		case v.SecretKeyRef != nil:
			return "secret", v.SecretKeyRef.Name + "/" + v.SecretKeyRef.Key
		}
		return "", ""
	}
	for name, want := range map[string][2]string{
		"HOST_IP":          {"field", "status.hostIP"},
		"NAMESPACE":        {"field", "metadata.namespace"},
		"APP_LABEL":        {"field", "metadata.labels['app.kubernetes.io/name']"},
		"DEFAULT_USERNAME": {"configMap", "demo-data-config/DEMO_LOGIN_USERNAME"},
		"CLIENT_ID":        {"configMap", "oauth-config/DEMO_OAUTH_CLIENT_ID?"},
		"DB_PASSWORD":      {"secret", "db/password"},
		"OTEL_ENDPOINT":    {"value", "http://$(HOST_IP):4317"},
	} {
		if k, v := env(name); k != want[0] || v != want[1] {
			t.Errorf("env %s: %s %q, want %s %q", name, k, v, want[0], want[1])
		}
	}
	if c.Resources.Requests["ephemeral-storage"] != "512Mi" || c.Resources.Limits["ephemeral-storage"] != "1Gi" {
		t.Errorf("ephemeral storage: requests %q, limits %q", c.Resources.Requests["ephemeral-storage"], c.Resources.Limits["ephemeral-storage"])
	}
	if p := c.StartupProbe; p == nil || p.HTTPGet.Path != "/healthy" || p.PeriodSeconds != 10 || p.TimeoutSeconds != 1 || p.FailureThreshold != 30 {
		t.Errorf("startup probe: %+v", p)
	}
	if c.ReadinessProbe.HTTPGet.Path != "/ready" {
		t.Errorf("readiness probe: %+v", c.ReadinessProbe)
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].Secret == nil || len(ps.Volumes[0].Secret.Items) != 2 {
		t.Fatalf("volumes: %+v", ps.Volumes)
	}
	it := ps.Volumes[0].Secret.Items
	if it[0].Key != "jwtRS256.key" || it[0].Path != "privatekey" || it[0].Mode == nil || *it[0].Mode != 0o400 ||
		it[1].Key != "jwtRS256.key.pub" || it[1].Path != "publickey" || it[1].Mode != nil {
		t.Errorf("secret items: %+v", it)
	}

	// The app's Service is a NodePort one with the fixed node port and its own port name; the
	// public NLB is a second Service.
	if got := kubectlOut(t, "-n", ns, "get", "service", "web", "-o", "jsonpath={.spec.type} {.spec.ports[0].name} {.spec.ports[0].port} {.spec.ports[0].nodePort} {.spec.ports[0].targetPort}"); got != "NodePort http 80 30901 http-server" {
		t.Errorf("service web: %q", got)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "web-external", "-o", `jsonpath={.spec.type} {.spec.ports[0].port} {.metadata.annotations.service\.beta\.kubernetes\.io/aws-load-balancer-scheme} {.metadata.labels.app\.kubernetes\.io/managed-by}`); got != "LoadBalancer 80 internal shipit" {
		t.Errorf("service web-external: %q", got)
	}
	if r := runShipit(t, "diff", "--target", "eks", "-f", spec); r.code != 0 {
		t.Errorf("diff right after deploy: exit %d\n%s", r.code, r.stdout)
	}

	// Without publicService the second Service goes: diff shows it, deploy prunes it.
	internal := rewrite(t, spec, "expose: public\n", "expose: internal\n")
	internal = rewrite(t, internal, "  publicService: {name: web-external, annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}}\n", "")
	if r := runShipit(t, "diff", "--target", "eks", "-f", internal); r.code != 6 || !strings.Contains(r.stdout, "--- live/Service/web-external") {
		t.Errorf("diff without publicService: exit %d, want 6 showing Service/web-external going away\n%s", r.code, r.stdout)
	}
	if r := runShipit(t, "deploy", "--target", "eks", "-f", internal); r.code != 0 {
		t.Fatalf("deploy without publicService: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "-o", "name"); got != "service/web" {
		t.Errorf("services after dropping publicService: %q, want service/web alone", got)
	}

	// Back with it, then destroy takes both Services.
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("redeploy: exit %d\n%s", r.code, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "-o", "name"); got != "service/web\nservice/web-external" {
		t.Errorf("services after redeploy: %q", got)
	}
	r := runShipit(t, "destroy", "--target", "eks", "-f", spec, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Service/web-external") {
		t.Fatalf("destroy: exit %d, want Service/web-external deleted\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "-o", "name"); got != "" {
		t.Errorf("services after destroy: %q", got)
	}
}

// TestECSStartupWindowAndEKSOnlyFields: the same neutral fields on ECS. ECS has no startup
// check: health.startup's window (initial delay + failures × interval) is the container
// health check's startPeriod, and deploy warns that the check itself and the per-container
// ephemeral storage are honoured on EKS only.
func TestECSStartupWindowAndEKSOnlyFields(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{
		Image: "registry.local/web:v1",
		Extra: `requests: {ephemeralStorage: 1Gi}
health: {command: [/bin/ready], interval: 5s, startup: {command: [/bin/started], interval: 10s, failures: 25, initialDelay: 20s}}
`,
	})
	r := a.run("deploy", "-f", spec)
	if r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"health.startup: [ecs] ECS has no startup check: only its window (270s) maps",
		"requests.ephemeralStorage: [ecs] ECS sizes ephemeral storage per task, not per container"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("deploy does not warn %q", want)
		}
	}
	var out struct {
		TaskDefinition struct {
			ContainerDefinitions []struct {
				HealthCheck struct {
					Command                        []string
					Interval, Retries, StartPeriod int
				}
			}
		}
	}
	awsCLI(t, ecsRegion, &out, "ecs", "describe-task-definition", "--task-definition", "web")
	if len(out.TaskDefinition.ContainerDefinitions) != 1 {
		t.Fatalf("task definition: %+v", out.TaskDefinition)
	}
	hc := out.TaskDefinition.ContainerDefinitions[0].HealthCheck
	if strings.Join(hc.Command, " ") != "CMD /bin/ready" || hc.Interval != 5 || hc.StartPeriod != 270 {
		t.Errorf("container health check: %+v, want /bin/ready every 5 s with startPeriod 270", hc)
	}
}

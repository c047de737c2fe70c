//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// The spec fields real apps need (requests below limits, security, scratch volumes shared with
// a sidecar, probes in detail, annotations, adopted names), deployed to the sandbox and read
// back with kubectl and the AWS CLI: what the API server and ECS store, not only what shipit
// renders.

const productionFields = `requests: {cpu: 0.1, memory: 256Mi}
security: {runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
labels: {app.kubernetes.io/part-of: shop}
volumes: [{name: tmp, path: /tmp, scratch: {}}]
sidecars:
  - name: log-shipper
    image: registry.local/shipper:1
    cpu: 0.0625
    memory: 64Mi
    requests: {memory: 32Mi}
    mounts: [{volume: tmp, path: /var/log/app, readOnly: true}]
`

func TestEKSSpecFieldsReadBack(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", productionFields+`stopGrace: 45s
health: {path: /ready, headers: {X-Probe: "1"}, initialDelay: 2s, timeout: 10s, interval: 5s, liveness: {tcp: true}}
containerName: api
`)
	spec = rewrite(t, spec, "eks: {namespace: "+ns+"}", "eks: {namespace: "+ns+", podAnnotations: {prometheus.io/scrape: \"true\"}, serviceName: web-http, "+
		"tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}], envFrom: [{configMap: web-config, prefix: CFG_}]}")
	spec = rewrite(t, spec, "port: 80\n", "ports: [{port: 80, servicePort: 8080}, {name: metrics, port: 9090, expose: false}]\n")
	r := runShipit(t, "deploy", "--target", "eks", "-f", spec)
	if r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var d struct {
		Spec struct {
			Template struct {
				Metadata struct{ Annotations, Labels map[string]string }
				Spec     struct {
					TerminationGracePeriodSeconds int
					Tolerations                   []struct{ Key, Value, Effect string }
					SecurityContext               struct{ SeccompProfile struct{ Type string } }
					Containers                    []struct {
						Name            string
						EnvFrom         []struct{ Prefix string }
						Resources       struct{ Requests, Limits map[string]string }
						SecurityContext struct {
							RunAsUser, RunAsGroup    int
							RunAsNonRoot             bool
							ReadOnlyRootFilesystem   bool
							AllowPrivilegeEscalation *bool
							Capabilities             struct{ Drop []string }
						}
						ReadinessProbe struct {
							InitialDelaySeconds, TimeoutSeconds, PeriodSeconds int
							HTTPGet                                            struct {
								Path        string
								HTTPHeaders []struct{ Name, Value string }
							}
						}
						LivenessProbe struct{ TCPSocket *struct{ Port int } }
						VolumeMounts  []struct {
							Name, MountPath string
							ReadOnly        bool
						}
					}
					Volumes []struct {
						Name     string
						EmptyDir *struct{}
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(kubectlOut(t, "-n", ns, "get", "deploy", "web", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	tpl := d.Spec.Template
	if tpl.Metadata.Annotations["prometheus.io/scrape"] != "true" || tpl.Metadata.Labels["app.kubernetes.io/part-of"] != "shop" {
		t.Errorf("pod metadata: %+v", tpl.Metadata)
	}
	if tpl.Spec.TerminationGracePeriodSeconds != 45 || len(tpl.Spec.Tolerations) != 1 || tpl.Spec.Tolerations[0].Key != "dedicated" {
		t.Errorf("pod placement and stop grace: %d %+v", tpl.Spec.TerminationGracePeriodSeconds, tpl.Spec.Tolerations)
	}
	if len(tpl.Spec.Containers) > 0 && (len(tpl.Spec.Containers[0].EnvFrom) != 1 || tpl.Spec.Containers[0].EnvFrom[0].Prefix != "CFG_") {
		t.Errorf("envFrom: %+v", tpl.Spec.Containers[0].EnvFrom)
	}
	if tpl.Spec.SecurityContext.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod seccomp: %+v", tpl.Spec.SecurityContext)
	}
	if len(tpl.Spec.Containers) != 2 || len(tpl.Spec.Volumes) != 1 || tpl.Spec.Volumes[0].EmptyDir == nil {
		t.Fatalf("pod: %+v", tpl.Spec)
	}
	app, side := tpl.Spec.Containers[0], tpl.Spec.Containers[1]
	if app.Name != "api" || app.Resources.Requests["cpu"] != "100m" || app.Resources.Requests["memory"] != "256Mi" ||
		app.Resources.Limits["cpu"] != "187m" || app.Resources.Limits["memory"] != "448Mi" {
		t.Errorf("app container: %s %+v", app.Name, app.Resources)
	}
	sc := app.SecurityContext
	if sc.RunAsUser != 10001 || sc.RunAsGroup != 10001 || !sc.RunAsNonRoot || !sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || strings.Join(sc.Capabilities.Drop, ",") != "ALL" {
		t.Errorf("app securityContext: %+v", sc)
	}
	rp := app.ReadinessProbe
	if rp.HTTPGet.Path != "/ready" || len(rp.HTTPGet.HTTPHeaders) != 1 || rp.InitialDelaySeconds != 2 || rp.TimeoutSeconds != 10 || rp.PeriodSeconds != 5 {
		t.Errorf("readiness (timeout above the period is valid): %+v", rp)
	}
	if app.LivenessProbe.TCPSocket == nil || app.LivenessProbe.TCPSocket.Port != 80 {
		t.Errorf("liveness: %+v", app.LivenessProbe)
	}
	if side.Resources.Limits["cpu"] != "63m" || side.Resources.Requests["memory"] != "32Mi" ||
		len(side.VolumeMounts) != 1 || side.VolumeMounts[0].MountPath != "/var/log/app" || !side.VolumeMounts[0].ReadOnly {
		t.Errorf("sidecar: %+v", side)
	}
	if got := kubectlOut(t, "-n", ns, "get", "service", "web-http", "-o", "jsonpath={.spec.selector} {.spec.ports[*].port}"); !strings.Contains(got, `"app.kubernetes.io/name":"web"}`) || !strings.HasSuffix(got, "} 8080") {
		t.Errorf("service web-http (selector, and only the exposed port on its service port): %q", got)
	}
}

func TestECSSpecFieldsReadBack(t *testing.T) {
	a := newECSApp(t, ecsFast)
	spec := a.spec(ecsSpec{
		Image: "registry.local/web:v1",
		Extra: strings.Replace(productionFields, "log-shipper", "log_router", 1) + `cpu: 0.5
memory: 1Gi
containerName: web_app
stopGrace: 90s
health: {path: /ready, liveness: {command: [/bin/alive], interval: 5s, timeout: 6s}}
secrets:
  DB_PASSWORD: /web/db-password
  DB_USER: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf:username::"
`,
		ECSExtra: "  logGroup: /shop/web\n  logStreamPrefix: shop\n",
	})
	if r := a.run("deploy", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out struct {
		TaskDefinition struct {
			Volumes              []struct{ Name string }
			ContainerDefinitions []struct {
				Name                   string
				Cpu                    int
				Memory                 int
				MemoryReservation      int
				User                   string
				StopTimeout            int
				ReadonlyRootFilesystem bool
				LinuxParameters        struct{ Capabilities struct{ Drop []string } }
				HealthCheck            struct {
					Command           []string
					Interval, Timeout int
				}
				MountPoints []struct {
					SourceVolume, ContainerPath string
					ReadOnly                    bool
				}
				Secrets          []struct{ Name, ValueFrom string }
				LogConfiguration struct{ Options map[string]string }
			}
		}
	}
	awsCLI(t, ecsRegion, &out, "ecs", "describe-task-definition", "--task-definition", "web")
	td := out.TaskDefinition
	if len(td.ContainerDefinitions) != 2 || len(td.Volumes) != 1 || td.Volumes[0].Name != "tmp" {
		t.Fatalf("task definition: %+v", td)
	}
	app, side := td.ContainerDefinitions[0], td.ContainerDefinitions[1]
	if app.Name != "web_app" || app.Cpu != 102 || app.Memory != 960 || app.MemoryReservation != 256 || app.User != "10001:10001" || app.StopTimeout != 90 ||
		!app.ReadonlyRootFilesystem || strings.Join(app.LinuxParameters.Capabilities.Drop, ",") != "ALL" {
		t.Errorf("app container: %+v", app)
	}
	if strings.Join(app.HealthCheck.Command, " ") != "CMD /bin/alive" || app.HealthCheck.Interval != 5 || app.HealthCheck.Timeout != 6 {
		t.Errorf("health check (the liveness command; timeout above the interval is valid): %+v", app.HealthCheck)
	}
	secrets := map[string]string{}
	for _, s := range app.Secrets {
		secrets[s.Name] = s.ValueFrom
	}
	if secrets["DB_PASSWORD"] != "/web/db-password" || !strings.HasSuffix(secrets["DB_USER"], ":username::") {
		t.Errorf("secrets: %v", secrets)
	}
	if o := app.LogConfiguration.Options; o["awslogs-group"] != "/shop/web" || o["awslogs-stream-prefix"] != "shop" {
		t.Errorf("log options: %v", o)
	}
	if side.Name != "log_router" || side.Cpu != 64 || side.Memory != 64 || side.MemoryReservation != 32 ||
		len(side.MountPoints) != 1 || side.MountPoints[0].ContainerPath != "/var/log/app" || !side.MountPoints[0].ReadOnly {
		t.Errorf("sidecar: %+v", side)
	}
	if groups := a.logGroups("/shop/"); len(groups) != 1 || groups[0] != "/shop/web" {
		t.Errorf("log groups: %v (deploy ensures the adopted group)", groups)
	}
}

// TestEKSPublicHTTPIngress: a public HTTP app gets an ALB Ingress (the API server stores it;
// no load balancer controller runs on the sandbox), and it is pruned once the app turns
// internal, then destroy leaves nothing.
func TestEKSPublicHTTPIngress(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "expose: public\nhealth: {path: /healthz}\n")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.stderr)
	}
	got := kubectlOut(t, "-n", ns, "get", "ingress", "web", "-o",
		`jsonpath={.spec.ingressClassName} {.metadata.annotations.alb\.ingress\.kubernetes\.io/healthcheck-path} {.spec.rules[0].http.paths[0].backend.service.name}:{.spec.rules[0].http.paths[0].backend.service.port.number}`)
	if got != "alb /healthz web:80" {
		t.Errorf("ingress: %q", got)
	}
	if st := kubectlOut(t, "-n", ns, "get", "service", "web", "-o", "jsonpath={.spec.type}"); st != "ClusterIP" {
		t.Errorf("service type %q, want ClusterIP behind the ALB", st)
	}
	internal := rewrite(t, spec, "expose: public\n", "expose: internal\n")
	if r := runShipit(t, "deploy", "--target", "eks", "-f", internal); r.code != 0 {
		t.Fatalf("internal deploy: exit %d\n%s", r.code, r.stderr)
	}
	if out := kubectlOut(t, "-n", ns, "get", "ingress", "-o", "name"); out != "" {
		t.Errorf("ingress not pruned: %q", out)
	}
	if r := runShipit(t, "destroy", "--target", "eks", "-f", internal, "--yes"); r.code != 0 {
		t.Fatalf("destroy: exit %d\n%s", r.code, r.stderr)
	}
}

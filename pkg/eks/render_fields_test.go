package eks

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/shipit-dev/shipit/pkg/spec"
)

const fieldsBase = "version: 1\nname: web\nimage: web:1\ncpu: 0.5\nmemory: 1Gi\n"

// TestEnvSourcesComeFirst: eks.env (downward API, one ConfigMap or Secret key) comes before
// env and secrets, each part sorted, so env values can use it as $(NAME); the order never
// depends on map iteration.
func TestEnvSourcesComeFirst(t *testing.T) {
	app := loadApp(t, fieldsBase+`port: 80
env: {OTEL_ENDPOINT: "http://$(HOST_IP):4317", A_FIRST: x}
secrets: {TOKEN: 'k8s:api/token'}
eks:
  env:
    POD: {field: metadata.name}
    HOST_IP: {field: status.hostIP}
    USER: {configMap: demo, key: USERNAME, optional: true}
    PASS: {secret: demo, key: password}
`)
	for i := 0; i < 20; i++ {
		env := renderedDeployment(t, app).Spec.Template.Spec.Containers[0].Env
		var names []string
		for _, e := range env {
			names = append(names, e.Name)
		}
		want := "[HOST_IP PASS POD USER A_FIRST OTEL_ENDPOINT TOKEN]"
		if got := fmt.Sprint(names); got != want {
			t.Fatalf("env order %s, want %s", got, want)
		}
		if f := env[0].ValueFrom.FieldRef; f == nil || f.FieldPath != "status.hostIP" || f.APIVersion != "v1" {
			t.Errorf("HOST_IP: %+v", env[0].ValueFrom)
		}
		if s := env[1].ValueFrom.SecretKeyRef; s == nil || s.Name != "demo" || s.Key != "password" || s.Optional != nil {
			t.Errorf("PASS: %+v", env[1].ValueFrom)
		}
		if c := env[3].ValueFrom.ConfigMapKeyRef; c == nil || c.Name != "demo" || c.Key != "USERNAME" || c.Optional == nil || !*c.Optional {
			t.Errorf("USER: %+v", env[3].ValueFrom)
		}
	}
}

// TestVolumeItemsAndEphemeralStorage: a Secret volume's items with their modes, and ephemeral
// storage requests and limits on the app container and a sidecar.
func TestVolumeItemsAndEphemeralStorage(t *testing.T) {
	app := loadApp(t, fieldsBase+`port: 80
requests: {ephemeralStorage: 0.5Gi}
limits: {ephemeralStorage: 1Gi}
volumes:
  - name: keys
    path: /keys
    secret: {name: jwt, items: [{key: jwtRS256.key, path: privatekey, mode: 0o400}, {key: jwtRS256.key.pub, path: publickey}]}
  - name: conf
    path: /conf
    configMap: {name: conf, items: [{key: app.yaml, path: config/app.yaml}]}
sidecars: [{name: log, image: log:1, cpu: 0.125, memory: 128Mi, requests: {ephemeralStorage: 100Mi}}]
`)
	ps := renderedDeployment(t, app).Spec.Template.Spec
	items := ps.Volumes[0].Secret.Items
	if len(items) != 2 || items[0].Key != "jwtRS256.key" || items[0].Path != "privatekey" || items[0].Mode == nil || *items[0].Mode != 0o400 || items[1].Mode != nil {
		t.Errorf("secret items %+v", items)
	}
	if it := ps.Volumes[1].ConfigMap.Items; len(it) != 1 || it[0].Path != "config/app.yaml" {
		t.Errorf("configMap items %+v", it)
	}
	main := ps.Containers[0].Resources
	if r, l := main.Requests[corev1.ResourceEphemeralStorage], main.Limits[corev1.ResourceEphemeralStorage]; r.String() != "512Mi" || l.String() != "1Gi" {
		t.Errorf("app ephemeral storage: requests %s, limits %s", r.String(), l.String())
	}
	side := ps.Containers[1].Resources
	if r := side.Requests[corev1.ResourceEphemeralStorage]; r.String() != "100Mi" {
		t.Errorf("sidecar ephemeral storage request %s", r.String())
	}
	if _, ok := side.Limits[corev1.ResourceEphemeralStorage]; ok {
		t.Errorf("sidecar got an ephemeral storage limit it did not ask for")
	}
}

// TestStartupProbeOfItsOwn: health.startup is its own probe (not the readiness check), with
// its own timings and no initial delay or successes from readiness; with grace, grace sizes its
// failures; grace alone keeps the readiness check as the startup probe.
func TestStartupProbeOfItsOwn(t *testing.T) {
	for _, c := range []struct {
		health                      string
		path                        string
		period, failures, delay, to int32
	}{
		{"{path: /ready, interval: 5s, timeout: 10s, initialDelay: 60s, startup: {path: /healthy, interval: 10s, failures: 30}}", "/healthy", 10, 30, 0, 10},
		{"{path: /ready, interval: 5s, grace: 300s, startup: {path: /healthy, interval: 10s, timeout: 1s}}", "/healthy", 10, 31, 0, 1},
		{"{path: /ready, interval: 5s, grace: 300s}", "/ready", 5, 61, 0, 5},
	} {
		app := loadApp(t, fieldsBase+"port: 8080\nhealth: "+c.health+"\n")
		ctr := renderedDeployment(t, app).Spec.Template.Spec.Containers[0]
		p := ctr.StartupProbe
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != c.path || p.PeriodSeconds != c.period || p.FailureThreshold != c.failures ||
			p.InitialDelaySeconds != c.delay || p.TimeoutSeconds != c.to || p.SuccessThreshold != 0 {
			t.Errorf("%s: startup probe %+v", c.health, p)
		}
		if ctr.ReadinessProbe.HTTPGet.Path != "/ready" {
			t.Errorf("%s: readiness %+v", c.health, ctr.ReadinessProbe)
		}
	}
}

// TestServiceShapes: the Service port's own name, a NodePort Service with a fixed node port,
// and a second, public LoadBalancer Service beside the app's own.
func TestServiceShapes(t *testing.T) {
	services := func(app *spec.App) map[string]*corev1.Service {
		out := map[string]*corev1.Service{}
		for _, o := range mustRender(t, app) {
			if s, ok := o.(*corev1.Service); ok {
				out[s.Name] = s
			}
		}
		return out
	}
	app := loadApp(t, fieldsBase+`ports: [{name: http-server, port: 8080, servicePort: 80, servicePortName: http, nodePort: 30001}]
expose: public
labels: {app: web}
eks: {serviceType: NodePort, serviceAnnotations: {a: b}, publicService: {name: web-external, annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}}}
`)
	svcs := services(app)
	if len(svcs) != 2 {
		t.Fatalf("services %v, want web and web-external", svcs)
	}
	own, pub := svcs["web"], svcs["web-external"]
	if own.Spec.Type != corev1.ServiceTypeNodePort || own.Spec.Ports[0].NodePort != 30001 || own.Spec.Ports[0].Name != "http" ||
		own.Spec.Ports[0].TargetPort.String() != "http-server" || own.Annotations["a"] != "b" {
		t.Errorf("the app's Service: %+v %v", own.Spec, own.Annotations)
	}
	if pub.Spec.Type != corev1.ServiceTypeLoadBalancer || pub.Spec.Ports[0].Port != 80 || pub.Spec.Ports[0].NodePort != 0 ||
		pub.Annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] != "internal" || pub.Annotations["a"] != "" ||
		pub.Labels[NameLabel] != "web" || pub.Labels["app"] != "web" || pub.Spec.Selector[NameLabel] != "web" {
		t.Errorf("the public Service: %+v %v %v", pub.Spec, pub.Annotations, pub.Labels)
	}
	// Without publicService, a public NLB app's own Service is the LoadBalancer, as before.
	plain := loadApp(t, fieldsBase+"port: 80\nexpose: public\neks: {publicVia: nlb}\n")
	if s := services(plain); len(s) != 1 || s["web"].Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("a public NLB app: %v", s)
	}
}

package eks

import (
	"encoding/json"
	"k8s.io/apimachinery/pkg/runtime"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func loadApp(t *testing.T, src string) *spec.App {
	t.Helper()
	app, err := spec.Parse("shipit.yaml", []byte(src), spec.Options{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if errs, _ := app.Validate(spec.TargetEKS); len(errs) > 0 {
		t.Fatal(errs)
	}
	return app
}

// TestExternalSecretRoutesEachKindToItsStore: Secrets Manager references go to secretStore,
// SSM ones to parameterStore (never both to one store), and ECS's json-key / version suffixes
// become ESO's property and version.
func TestExternalSecretRoutesEachKindToItsStore(t *testing.T) {
	app := loadApp(t, `version: 1
name: web
image: web:1
secrets:
  DB_USER: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:username::"
  DB_OLD: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::0f3c-11"
  DB_PREV: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf::AWSPREVIOUS:"
  TOKEN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf"
  API_KEY: arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key
  FLAT: arn:aws:ssm:us-east-1:123456789012:parameter/flat
  BY_NAME: /web/db-password
eks: {secretStore: sm-store, parameterStore: ssm-store}
`)
	var es *unstructured.Unstructured
	for _, o := range mustRender(t, app) {
		if u, ok := o.(*unstructured.Unstructured); ok && u.GetKind() == "ExternalSecret" {
			es = u
		}
	}
	if es == nil {
		t.Fatal("no ExternalSecret rendered")
	}
	store, _, _ := unstructured.NestedString(es.Object, "spec", "secretStoreRef", "name")
	if store != "sm-store" {
		t.Errorf("secretStoreRef = %q, want sm-store", store)
	}
	data, _, _ := unstructured.NestedSlice(es.Object, "spec", "data")
	got := map[string]string{}
	for _, d := range data {
		m := d.(map[string]any)
		b, _ := json.Marshal(map[string]any{"remoteRef": m["remoteRef"], "sourceRef": m["sourceRef"]})
		got[m["secretKey"].(string)] = string(b)
	}
	const sm = `arn:aws:secretsmanager:us-east-1:123456789012:secret:`
	want := map[string]string{
		"DB_USER": `{"remoteRef":{"key":"` + sm + `db-AbCdEf","property":"username"},"sourceRef":null}`,
		"DB_OLD":  `{"remoteRef":{"key":"` + sm + `db-AbCdEf","property":"password","version":"uuid/0f3c-11"},"sourceRef":null}`,
		"DB_PREV": `{"remoteRef":{"key":"` + sm + `db-AbCdEf","version":"AWSPREVIOUS"},"sourceRef":null}`,
		"TOKEN":   `{"remoteRef":{"key":"` + sm + `token-AbCdEf"},"sourceRef":null}`,
		"API_KEY": `{"remoteRef":{"key":"/web/api-key"},"sourceRef":{"storeRef":{"kind":"ClusterSecretStore","name":"ssm-store"}}}`,
		"FLAT":    `{"remoteRef":{"key":"flat"},"sourceRef":{"storeRef":{"kind":"ClusterSecretStore","name":"ssm-store"}}}`,
		"BY_NAME": `{"remoteRef":{"key":"/web/db-password"},"sourceRef":{"storeRef":{"kind":"ClusterSecretStore","name":"ssm-store"}}}`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
}

func renderedDeployment(t *testing.T, app *spec.App) *appsv1.Deployment {
	t.Helper()
	for _, o := range mustRender(t, app) {
		if d, ok := o.(*appsv1.Deployment); ok {
			return d
		}
	}
	t.Fatal("no Deployment rendered")
	return nil
}

// TestStartupProbeCoversTheGrace: n failures at period p kill the container at (n-1)·p, which
// must be at least the grace period.
func TestStartupProbeCoversTheGrace(t *testing.T) {
	for _, c := range []struct{ grace, period, want int }{
		{30, 10, 4}, {5, 10, 2}, {10, 10, 2}, {31, 10, 5}, {1, 1, 2},
		{2147483647, 1, 2147483647}, // clamped to int32, never wrapped
	} {
		got := spec.StartupFailures(c.grace, c.period)
		if got != c.want {
			t.Errorf("grace %d period %d: %d, want %d", c.grace, c.period, got, c.want)
		}
		if got < 2147483647 && (got-1)*c.period < c.grace {
			t.Errorf("grace %d period %d: %d failures end the start-up after %ds", c.grace, c.period, got, (got-1)*c.period)
		}
	}
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 80\nhealth: {path: /h, interval: 10s, grace: 5s}\n")
	sp := renderedDeployment(t, app).Spec.Template.Spec.Containers[0].StartupProbe
	if sp == nil || sp.FailureThreshold != 2 {
		t.Errorf("startup probe %+v, want failureThreshold 2 (podinfo-like grace shorter than the period)", sp)
	}
}

// TestExistingServiceAccountIsUsedNotOwned: createServiceAccount: false renders no
// ServiceAccount, but the pods still run under the named one.
func TestExistingServiceAccountIsUsedNotOwned(t *testing.T) {
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\nrole: arn:aws:iam::123456789012:role/web\neks: {serviceAccount: shared, createServiceAccount: false}\n")
	for _, o := range mustRender(t, app) {
		if _, ok := o.(*corev1.ServiceAccount); ok {
			t.Errorf("a ServiceAccount was rendered for a shared account")
		}
	}
	if sa := renderedDeployment(t, app).Spec.Template.Spec.ServiceAccountName; sa != "shared" {
		t.Errorf("serviceAccountName = %q, want shared", sa)
	}
}

// TestSizesRenderExactly: Kubernetes quantities that once failed (float arithmetic) render
// to the millicore.
func TestSizesRenderExactly(t *testing.T) {
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\ncpu: 2.01\nmemory: 4Gi\nsidecars: [{name: log, image: x, cpu: 0.0625, memory: 64Mi}]\n")
	cs := renderedDeployment(t, app).Spec.Template.Spec.Containers
	if got := cs[0].Resources.Limits.Cpu().String(); got != "1947m" {
		t.Errorf("app cpu = %s, want 1947m (2010m − 63m)", got)
	}
	if got := cs[1].Resources.Limits.Cpu().String(); got != "63m" {
		t.Errorf("sidecar cpu = %s, want 63m (62.5m rounded up, as the API server does)", got)
	}
	if got := cs[0].Resources.Limits.Memory().String(); got != "4032Mi" {
		t.Errorf("app memory = %s, want 4032Mi", got)
	}
}

// TestProbesInDetail: readiness and liveness can differ (or liveness be off), and each check
// can be HTTP with headers, TCP, gRPC or a command, with its own delay and thresholds.
func TestProbesInDetail(t *testing.T) {
	app := loadApp(t, `version: 1
name: web
image: web:1
ports: [{name: http, port: 8080}, {name: grpc, port: 9555}]
health:
  path: /ready
  headers: {X-Probe: "1"}
  initialDelay: 5s
  successes: 2
  liveness: {grpc: {service: web}, port: 9555, interval: 20s}
`)
	c := renderedDeployment(t, app).Spec.Template.Spec.Containers[0]
	r, l := c.ReadinessProbe, c.LivenessProbe
	if r == nil || r.HTTPGet == nil || r.HTTPGet.Path != "/ready" || len(r.HTTPGet.HTTPHeaders) != 1 || r.HTTPGet.HTTPHeaders[0].Name != "X-Probe" ||
		r.InitialDelaySeconds != 5 || r.SuccessThreshold != 2 {
		t.Errorf("readiness = %+v", r)
	}
	if l == nil || l.GRPC == nil || l.GRPC.Port != 9555 || l.GRPC.Service == nil || *l.GRPC.Service != "web" ||
		l.PeriodSeconds != 20 || l.TimeoutSeconds != 5 || l.InitialDelaySeconds != 5 || l.SuccessThreshold > 1 {
		t.Errorf("liveness = %+v (timeout and delay inherited from health, successes never above 1)", l)
	}

	off := loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 5432\nhealth: {tcp: true, liveness: {off: true}}\n")
	c = renderedDeployment(t, off).Spec.Template.Spec.Containers[0]
	if c.LivenessProbe != nil {
		t.Errorf("liveness off rendered %+v", c.LivenessProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.TCPSocket == nil || c.ReadinessProbe.TCPSocket.Port.IntValue() != 5432 {
		t.Errorf("tcp readiness = %+v", c.ReadinessProbe)
	}
}

// TestInitContainers: init containers become initContainers, sized like the app container
// when they say nothing (never unbounded); a sidecar keeps its own ports and probes.
func TestInitContainers(t *testing.T) {
	app := loadApp(t, `version: 1
name: web
image: web:1
port: 80
init: [{name: wait-db, image: busybox:1, command: [sh, -c, "until nc -z db 5432; do sleep 1; done"]}]
sidecars: [{name: envoy, image: envoy:1, cpu: 0.1, memory: 128Mi, ports: [{port: 9901}], health: {path: /ready}}]
`)
	ps := renderedDeployment(t, app).Spec.Template.Spec
	if len(ps.InitContainers) != 1 || ps.InitContainers[0].Name != "wait-db" || ps.InitContainers[0].Resources.Limits.Cpu().String() != "150m" {
		t.Errorf("initContainers: %+v", ps.InitContainers)
	}
	envoy := ps.Containers[1]
	if len(envoy.Ports) != 1 || envoy.Ports[0].ContainerPort != 9901 || envoy.ReadinessProbe == nil || envoy.ReadinessProbe.HTTPGet.Port.IntValue() != 9901 {
		t.Errorf("envoy: %+v %+v", envoy.Ports, envoy.ReadinessProbe)
	}
}

// TestPublicHTTPThroughAnALB: a public HTTP app gets an ALB Ingress in front of a ClusterIP
// Service (TLS with a certificate), a public app without HTTP, or with publicVia: nlb, a
// LoadBalancer Service.
func TestPublicHTTPThroughAnALB(t *testing.T) {
	kinds := func(app *spec.App) (svcType corev1.ServiceType, ing *networkingv1.Ingress) {
		for _, o := range mustRender(t, app) {
			switch v := o.(type) {
			case *corev1.Service:
				svcType = v.Spec.Type
			case *networkingv1.Ingress:
				ing = v
			}
		}
		return
	}
	alb := loadApp(t, `version: 1
name: web
image: web:1
ports: [{name: http, port: 8080, servicePort: 80}, {name: metrics, port: 9090, expose: false}]
expose: public
health: {path: /healthz}
eks: {ingress: {host: web.example.com, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"}}
`)
	st, ing := kinds(alb)
	if st != corev1.ServiceTypeClusterIP || ing == nil {
		t.Fatalf("alb: service %s, ingress %v", st, ing)
	}
	b := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service
	if *ing.Spec.IngressClassName != "alb" || ing.Spec.Rules[0].Host != "web.example.com" || b.Name != "web" || b.Port.Number != 80 ||
		ing.Annotations["alb.ingress.kubernetes.io/target-type"] != "ip" || ing.Annotations["alb.ingress.kubernetes.io/healthcheck-path"] != "/healthz" ||
		ing.Annotations["alb.ingress.kubernetes.io/certificate-arn"] == "" {
		t.Errorf("ingress: %+v %v", ing.Spec, ing.Annotations)
	}
	nlb := loadApp(t, "version: 1\nname: db\nimage: db:1\nports: [{name: pg, port: 5432}]\nexpose: public\n")
	if st, ing := kinds(nlb); st != corev1.ServiceTypeLoadBalancer || ing != nil {
		t.Errorf("non-HTTP public app: service %s, ingress %v", st, ing)
	}
	forced := loadApp(t, "version: 1\nname: web\nimage: web:1\nport: 80\nexpose: public\neks: {publicVia: nlb}\n")
	if st, ing := kinds(forced); st != corev1.ServiceTypeLoadBalancer || ing != nil {
		t.Errorf("publicVia nlb: service %s, ingress %v", st, ing)
	}
}

// TestPodSecurity: eks.podSecurity is the pod's securityContext, beside the seccomp default.
func TestPodSecurity(t *testing.T) {
	app := loadApp(t, "version: 1\nname: web\nimage: web:1\neks: {podSecurity: {runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 1000}}\n")
	psc := renderedDeployment(t, app).Spec.Template.Spec.SecurityContext
	if psc == nil || *psc.RunAsUser != 1000 || *psc.RunAsGroup != 1000 || !*psc.RunAsNonRoot || *psc.FSGroup != 1000 || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext: %+v", psc)
	}
}

// TestEFSTransitEncryptionOff: efs.transitEncryption false reaches the EFS CSI driver as
// encryptInTransit "false"; the default leaves the driver's own (encrypted) default.
func TestEFSTransitEncryptionOff(t *testing.T) {
	src := `version: 1
name: web
image: web:1
volumes:
  - {name: plain, path: /plain, efs: {fileSystem: fs-12345678, transitEncryption: false}}
  - {name: tls, path: /tls, efs: {fileSystem: fs-87654321}}
`
	attrs := map[string]map[string]string{}
	for _, o := range mustRender(t, loadApp(t, src)) {
		if pv, ok := o.(*corev1.PersistentVolume); ok {
			attrs[pv.Spec.CSI.VolumeHandle] = pv.Spec.CSI.VolumeAttributes
		}
	}
	if len(attrs) != 2 || attrs["fs-12345678"]["encryptInTransit"] != "false" || attrs["fs-87654321"] != nil {
		t.Errorf("EFS CSI volume attributes by file system: %v", attrs)
	}
}

func mustRender(t *testing.T, app *spec.App) []runtime.Object {
	t.Helper()
	objs, err := Render(app)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

package eks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/shipit-dev/shipit/pkg/target"
)

// liveMeta is what the API server records on every object.
func liveMeta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: "shop", UID: types.UID("0f6c-" + name), ResourceVersion: "4711", Generation: 3,
		CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Labels: labels,
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl-create", Operation: metav1.ManagedFieldsOperationUpdate}},
	}
}

// liveDeployment is a Deployment as `kubectl create deployment` leaves it once the API server
// has defaulted it and the controller has rolled it out.
func liveDeployment(name, sa string, podLabels map[string]string) *appsv1.Deployment {
	quarter := intstr.FromString("25%")
	d := &appsv1.Deployment{
		ObjectMeta: liveMeta(name, podLabels),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name: "nginx", Image: "nginx:1.27",
						Ports:                    []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						ImagePullPolicy:          corev1.PullIfNotPresent,
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTP}},
							TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
						},
					}},
					RestartPolicy:                 corev1.RestartPolicyAlways,
					TerminationGracePeriodSeconds: ptr.To[int64](30),
					DNSPolicy:                     corev1.DNSClusterFirst,
					SecurityContext:               &corev1.PodSecurityContext{},
					SchedulerName:                 corev1.DefaultSchedulerName,
					ServiceAccountName:            sa,
					DeprecatedServiceAccount:      sa,
				},
			},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &quarter, MaxSurge: &quarter}},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 2, ReadyReplicas: 2},
	}
	d.Annotations = map[string]string{RevisionAnnotation: "3", corev1.LastAppliedConfigAnnotation: `{"kind":"Deployment"}`}
	return d
}

func liveService(name, typ string, selector map[string]string) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: liveMeta(name, selector),
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceType(typ), Selector: selector, SessionAffinity: corev1.ServiceAffinityNone,
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}},
			ClusterIP: "10.96.7.8", ClusterIPs: []string{"10.96.7.8"},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicySingleStack),
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
	if typ == "LoadBalancer" {
		s.Spec.Ports[0].NodePort = 31234
		s.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "web.elb.example.com"}}
	}
	return s
}

func liveObjects() []runtime.Object {
	web := map[string]string{"app": "web"}
	prefix := networkingv1.PathTypePrefix
	ingress := func(name, svc string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: liveMeta(name, nil), Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "web.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}},
		}}}}
	}
	hpa := func(name, target string) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: liveMeta(name, nil), Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			MinReplicas:    ptr.To[int32](2), MaxReplicas: 5,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](70)}}}},
		}, Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 2}}
	}
	return []runtime.Object{
		liveDeployment("web", "web", web),
		liveDeployment("worker", "shared", map[string]string{"app": "worker"}),
		liveService("web", "ClusterIP", web),
		liveService("web-public", "LoadBalancer", web),
		liveService("worker", "ClusterIP", map[string]string{"app": "worker"}),
		hpa("web", "web"), hpa("worker", "worker"),
		&corev1.ServiceAccount{ObjectMeta: liveMeta("web", nil)},
		&corev1.ServiceAccount{ObjectMeta: liveMeta("shared", nil)},
		&policyv1.PodDisruptionBudget{ObjectMeta: liveMeta("web", nil), Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: web}},
			Status: policyv1.PodDisruptionBudgetStatus{CurrentHealthy: 2}},
		&policyv1.PodDisruptionBudget{ObjectMeta: liveMeta("worker", nil), Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "worker"}}}},
		ingress("web", "web"), ingress("worker", "worker"),
	}
}

// TestReadLive: the Deployment and what goes with it (the Services selecting its pods, the HPA
// scaling it, its own ServiceAccount, the PDB selecting its pods, the Ingress routing to its
// Service), nothing of the other app, each without what the API server records, allocates or
// defaults.
func TestReadLive(t *testing.T) {
	cs := fake.NewClientset(liveObjects()...)
	docs, err := readLive(context.Background(), cs, "shop", "web", "context test")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var all strings.Builder
	for _, d := range docs {
		names = append(names, d.Name)
		all.WriteString("---\n")
		all.Write(d.Data)
	}
	wantNames := []string{
		"Deployment/web in namespace shop (context test)",
		"Service/web in namespace shop (context test)",
		"Service/web-public in namespace shop (context test)",
		"HorizontalPodAutoscaler/web in namespace shop (context test)",
		"ServiceAccount/web in namespace shop (context test)",
		"PodDisruptionBudget/web in namespace shop (context test)",
		"Ingress/web in namespace shop (context test)",
	}
	if strings.Join(names, "\n") != strings.Join(wantNames, "\n") {
		t.Errorf("documents:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(wantNames, "\n"))
	}
	want := `---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: web
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27
        name: nginx
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet:
            port: 80
        resources: {}
      serviceAccountName: web
---
apiVersion: v1
kind: Service
metadata:
  labels:
    app: web
  name: web
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
    targetPort: 80
  selector:
    app: web
---
apiVersion: v1
kind: Service
metadata:
  labels:
    app: web
  name: web-public
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
    targetPort: 80
  selector:
    app: web
  type: LoadBalancer
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: shop
spec:
  maxReplicas: 5
  metrics:
  - resource:
      name: cpu
      target:
        averageUtilization: 70
        type: Utilization
    type: Resource
  minReplicas: 2
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
  - host: web.example.com
    http:
      paths:
      - backend:
          service:
            name: web
            port:
              number: 80
        path: /
        pathType: Prefix
`
	if all.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", all.String(), want)
	}
}

// TestReadLiveSharedAccount: a ServiceAccount another Deployment runs under too is not read
// (the import then uses it without owning it); neither is the namespace's default.
func TestReadLiveSharedAccount(t *testing.T) {
	objs := liveObjects()
	objs = append(objs, liveDeployment("web2", "web", map[string]string{"app": "web2"}))
	cs := fake.NewClientset(objs...)
	docs, err := readLive(context.Background(), cs, "shop", "web", "context test")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if strings.HasPrefix(d.Name, "ServiceAccount/") {
			t.Errorf("read %s, which web2 runs under too", d.Name)
		}
	}
	cs = fake.NewClientset(liveDeployment("web", "default", map[string]string{"app": "web"}), &corev1.ServiceAccount{ObjectMeta: liveMeta("default", nil)})
	docs, err = readLive(context.Background(), cs, "shop", "web", "context test")
	if err != nil || len(docs) != 1 {
		t.Errorf("docs %d (%v), want the Deployment alone", len(docs), err)
	}
}

// TestReadLiveErrors: a missing Deployment and ECS flags are usage errors that say what to pass.
func TestReadLiveErrors(t *testing.T) {
	_, err := readLive(context.Background(), fake.NewClientset(), "shop", "web", "context test")
	var ue *target.UsageError
	if !errors.As(err, &ue) || err.Error() != "no Deployment web in namespace shop (context test): check --deployment and --namespace" {
		t.Errorf("missing deployment: %v", err)
	}
	for _, c := range []struct {
		ref  target.LiveRef
		want string
	}{
		{target.LiveRef{Namespace: "shop"}, "name the Deployment to import: --deployment NAME (and --namespace)"},
		{target.LiveRef{Cluster: "prod", Service: "web"}, "--cluster and --service name an ECS service: for Kubernetes pass --deployment (and --namespace)"},
	} {
		_, err := Target{}.ReadLive(context.Background(), c.ref, target.ConnectOptions{})
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.ref, err, c.want)
		}
	}
}

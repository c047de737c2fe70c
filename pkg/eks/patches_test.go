package eks

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const patchBase = "version: 1\nname: web\nimage: web:1\nport: 80\nsidecars:\n  - {name: proxy, image: envoy:1, cpu: 0.125, memory: 128Mi}\ncpu: 0.5\nmemory: 1Gi\n"

// TestPatches: a strategic merge patch merges containers by name (the app's keeps its image
// and gets a lifecycle hook); JSON patch operations address by index.
func TestPatches(t *testing.T) {
	app := loadApp(t, patchBase+`eks:
  patches:
    - kind: Deployment
      patch:
        spec:
          template:
            spec:
              shareProcessNamespace: true
              containers:
                - name: proxy
                  lifecycle: {postStart: {exec: {command: [/bin/wait-ready]}}}
    - kind: Service
      jsonPatch:
        - {op: add, path: /spec/sessionAffinity, value: ClientIP}
`)
	var d *appsv1.Deployment
	var svc *corev1.Service
	for _, o := range mustRender(t, app) {
		switch v := o.(type) {
		case *appsv1.Deployment:
			d = v
		case *corev1.Service:
			svc = v
		}
	}
	ps := d.Spec.Template.Spec
	if ps.ShareProcessNamespace == nil || !*ps.ShareProcessNamespace || len(ps.Containers) != 2 {
		t.Fatalf("pod spec %+v", ps)
	}
	if ps.Containers[1].Name != "proxy" || ps.Containers[1].Lifecycle == nil || ps.Containers[1].Image != "envoy:1" || ps.Containers[0].Image != "web:1" {
		t.Errorf("containers %+v", ps.Containers)
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Errorf("service %+v", svc.Spec)
	}
}

// TestPatchErrors: a field the object's schema lacks, a kind the app does not render, a bad
// operation: an error naming the patch.
func TestPatchErrors(t *testing.T) {
	for _, tc := range []struct{ patch, want string }{
		{"    - {kind: Deployment, patch: {spec: {template: {spec: {shareProcesNamespace: true}}}}}\n",
			`shipit.yaml:11:7: eks.patches[0]: [eks] Deployment web: json: unknown field "shareProcesNamespace"`},
		{"    - {kind: HorizontalPodAutoscaler, patch: {spec: {minReplicas: 2}}}\n",
			"shipit.yaml:11:14: eks.patches[0].kind: [eks] the app renders no HorizontalPodAutoscaler"},
		{"    - {kind: Service, jsonPatch: [{op: remove, path: /spec/nothere}]}\n",
			"shipit.yaml:11:7: eks.patches[0]: [eks] Service web:"},
		{"    - {kind: Service, name: other, patch: {spec: {sessionAffinity: ClientIP}}}\n",
			`shipit.yaml:11:29: eks.patches[0].name: [eks] the app renders no Service named "other" (one of web)`},
	} {
		_, err := Render(loadApp(t, patchBase+"eks:\n  patches:\n"+tc.patch))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s got  %v\n want %s", tc.patch, err, tc.want)
		}
	}
}

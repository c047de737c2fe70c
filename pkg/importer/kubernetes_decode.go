package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/shipit-dev/shipit/pkg/target"
)

// Reading Kubernetes manifests: multi-document YAML, JSON, or a List (kubectl get -o yaml),
// into typed objects, noting where each came from and any field its type does not have.

// k8sObject is one object of the input.
type k8sObject struct {
	obj       runtime.Object
	kind      string
	name      string
	namespace string
	// src is where it was read: file:line of the document.
	src string
}

func (o *k8sObject) ref() string { return o.kind + "/" + o.name }

// kinds maps the apiVersion/kind an import reads to a new typed object. The ExternalSecret is
// the custom resource shipit renders for AWS secret references.
var kinds = map[string]func() runtime.Object{
	"apps/v1/Deployment":                         func() runtime.Object { return &appsv1.Deployment{} },
	"v1/Service":                                 func() runtime.Object { return &corev1.Service{} },
	"v1/ServiceAccount":                          func() runtime.Object { return &corev1.ServiceAccount{} },
	"v1/Namespace":                               func() runtime.Object { return &corev1.Namespace{} },
	"v1/PersistentVolume":                        func() runtime.Object { return &corev1.PersistentVolume{} },
	"v1/PersistentVolumeClaim":                   func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
	"autoscaling/v2/HorizontalPodAutoscaler":     func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"autoscaling/v1/HorizontalPodAutoscaler":     func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":              func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/Ingress":               func() runtime.Object { return &networkingv1.Ingress{} },
	"external-secrets.io/v1/ExternalSecret":      func() runtime.Object { return &unstructured.Unstructured{} },
	"external-secrets.io/v1beta1/ExternalSecret": func() runtime.Object { return &unstructured.Unstructured{} },
}

// strict decodes JSON into typed objects, reporting every field the type does not have.
var strict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, kjson.SerializerOptions{Strict: true})

// decodeKubernetes reads every object of the documents. An object of a kind shipit does not
// render is listed as lost; a document that is not YAML, or an object whose fields have the
// wrong type, is an error naming the file and line.
func decodeKubernetes(docs []target.Document) ([]*k8sObject, []Loss, error) {
	var objs []*k8sObject
	var lost []Loss
	for _, d := range docs {
		for _, part := range splitYAML(d.Data) {
			src := fmt.Sprintf("%s:%d", d.Name, part.line)
			j, err := yaml.YAMLToJSON(part.data)
			if err != nil {
				return nil, nil, yamlError(d.Name, part.line, err)
			}
			var top map[string]any
			if err := json.Unmarshal(j, &top); err != nil {
				return nil, nil, fmt.Errorf("%s: not a Kubernetes object (a mapping with apiVersion and kind): %v", src, err)
			}
			if top == nil {
				continue // an empty document, or only comments
			}
			items := []any{top}
			if k, _ := top["kind"].(string); strings.HasSuffix(k, "List") {
				items, _ = top["items"].([]any)
			}
			for _, it := range items {
				m, _ := it.(map[string]any)
				o, l, err := decodeObject(m, src)
				if err != nil {
					return nil, nil, err
				}
				lost = append(lost, l...)
				if o != nil {
					objs = append(objs, o)
				}
			}
		}
	}
	return objs, lost, nil
}

type yamlPart struct {
	data []byte
	line int
}

// splitYAML splits a stream at its "---" lines, keeping each document's first line number.
func splitYAML(b []byte) []yamlPart {
	var out []yamlPart
	lines := bytes.SplitAfter(b, []byte("\n"))
	start := 0
	var cur bytes.Buffer
	for i, l := range lines {
		t := bytes.TrimRight(l, "\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			out = append(out, yamlPart{data: bytes.Clone(cur.Bytes()), line: start + 1})
			cur.Reset()
			start = i + 1
			continue
		}
		cur.Write(l)
	}
	return append(out, yamlPart{data: cur.Bytes(), line: start + 1})
}

// decodeObject decodes one object into its type. Fields the type does not know are listed as
// lost (a newer API's field, a typo the API server would also drop or refuse).
func decodeObject(m map[string]any, src string) (*k8sObject, []Loss, error) {
	if m == nil {
		return nil, nil, fmt.Errorf("%s: not a Kubernetes object (a mapping with apiVersion and kind)", src)
	}
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if apiVersion == "" || kind == "" {
		return nil, nil, fmt.Errorf("%s: not a Kubernetes object: it has no apiVersion or kind", src)
	}
	ref := kind + "/" + name
	mk, ok := kinds[apiVersion+"/"+kind]
	if !ok {
		return nil, []Loss{{Field: ref, Reason: fmt.Sprintf("shipit renders no %s %s (%s): keep applying it as it is", apiVersion, kind, src)}}, nil
	}
	b, _ := json.Marshal(m)
	o := mk()
	var lost []Loss
	if _, custom := o.(*unstructured.Unstructured); custom {
		if err := json.Unmarshal(b, o); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %v", src, ref, err)
		}
	} else if _, _, err := strict.Decode(b, nil, o); err != nil {
		var se interface{ Errors() []error }
		if !runtime.IsStrictDecodingError(err) || !errors.As(err, &se) {
			return nil, nil, fmt.Errorf("%s: %s: %s", src, ref, typeError(err))
		}
		// Fields its type does not have: a newer API's field, or a typo the API server
		// would drop (or refuse) too.
		for _, e := range se.Errors() {
			lost = append(lost, Loss{Field: ref, Reason: fmt.Sprintf("%s (%s): not a field of %s %s, so the API server drops it", e, src, apiVersion, kind)})
		}
	}
	if h, ok := o.(*autoscalingv1.HorizontalPodAutoscaler); ok {
		o = hpaV2(h)
	}
	return &k8sObject{obj: o, kind: kind, name: name, namespace: ns, src: src}, lost, nil
}

// hpaV2 is an autoscaling/v1 HorizontalPodAutoscaler as the autoscaling/v2 one it is (the API
// server serves both): its CPU target is a v2 resource metric.
func hpaV2(h *autoscalingv1.HorizontalPodAutoscaler) *autoscalingv2.HorizontalPodAutoscaler {
	out := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: h.ObjectMeta}
	out.APIVersion, out.Kind = "autoscaling/v2", "HorizontalPodAutoscaler"
	out.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{
		APIVersion: h.Spec.ScaleTargetRef.APIVersion, Kind: h.Spec.ScaleTargetRef.Kind, Name: h.Spec.ScaleTargetRef.Name,
	}
	out.Spec.MinReplicas, out.Spec.MaxReplicas = h.Spec.MinReplicas, h.Spec.MaxReplicas
	if p := h.Spec.TargetCPUUtilizationPercentage; p != nil {
		v := *p
		out.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &v},
		}}}
	}
	return out
}

var (
	yamlLine  = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)
	typeWrong = regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field \w+\.(\S+) of type (\S+)`)
)

// yamlError places a YAML error at its line in the file (the parser counts from the
// document's first line).
func yamlError(file string, start int, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return fmt.Errorf("%s:%d: %s", file, start+n-1, m[2])
	}
	return fmt.Errorf("%s:%d: %v", file, start, err)
}

// typeError says which field has a value of the wrong kind.
func typeError(err error) string {
	if m := typeWrong.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%s: a %s, where Kubernetes takes %s", m[2], m[1], m[3])
	}
	return err.Error()
}

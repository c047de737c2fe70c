// Package starter writes the starter shipit.yaml of `shipit init`: commented, valid for both
// targets as written, with placeholders a deploy pipeline overrides through ${VAR:-default}.
package starter

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/util/validation"
)

// SchemaURL is the spec's JSON Schema ($id of pkg/spec/shipit.schema.json): editors with the
// YAML language server complete and check fields from it.
const SchemaURL = "https://shipit.dev/schema/shipit-v1.json"

// Options are what the starter is made from.
type Options struct {
	Name  string
	Image string
	Port  int
	// Health is a health-check command (from a Dockerfile's HEALTHCHECK CMD); empty gives an
	// HTTP check on /healthz.
	Health []string
	// Source says where the values came from, for the header comment ("flags", "Dockerfile").
	Source string
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// Name turns a directory or repository name into an app name: a DNS label (what both
// targets accept as a service and Deployment name).
func Name(s string) string {
	n := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(n) > 63 {
		n = strings.Trim(n[:63], "-")
	}
	if n == "" || validation.IsDNS1123Label(n) != nil {
		return "app"
	}
	return n
}

var tmpl = template.Must(template.New("starter").Funcs(template.FuncMap{"quote": quoteList}).Parse(`# yaml-language-server: $schema={{.Schema}}
# {{.Name}}: one spec for AWS ECS (Fargate) and Kubernetes on EKS, made by shipit init from {{.Source}}.
#   shipit validate                  # checks it for both targets
#   shipit render --target eks       # what would be applied, with no cloud access
#   shipit deploy --target ecs --image {{.Name}}=<registry>/{{.Name}}:<tag>
#   shipit lint && shipit cost       # common mistakes, and the monthly price on each target
# The values in ${VAR:-default} are placeholders: set the variables in CI, or write yours in.
version: 1
name: {{.Name}}
image: {{.Image}}
{{- if .Port}}
port: {{.Port}}
{{- end}}
cpu: 0.25          # vCPU: the ECS task size / the pod's limit
memory: 512Mi
replicas: 2
# env:
#   LOG_LEVEL: info
# secrets:          # from Secrets Manager or SSM Parameter Store, never in plain text
#   DB_PASSWORD: arn:aws:secretsmanager:<region>:<account>:secret:<name>
{{- if .Health}}
health:
  command: {{quote .Health}}
{{- else if .Port}}
health:
  path: /healthz    # what the app answers 200 on once it can serve
{{- end}}
{{- if .Port}}
expose: internal    # none | internal | public
{{- end}}

ecs:
  region: ${AWS_REGION:-us-east-1}
  cluster: ${ECS_CLUSTER:-default}
  executionRole: ${ECS_EXECUTION_ROLE:-arn:aws:iam::123456789012:role/ecsTaskExecutionRole}
  subnets: ["${SUBNET_ID:-subnet-0123456789abcdef0}"]
  securityGroups: ["${SECURITY_GROUP_ID:-sg-0123456789abcdef0}"]
{{- if .Port}}
  # discovery: {namespace: ns-…}   # Cloud Map, so other services can call this one
{{- end}}

eks:
  namespace: ${K8S_NAMESPACE:-default}

# environments:       # shipit deploy --env production merges this over the base
#   production:
#     replicas: 3
`))

// Render writes the starter spec.
func Render(o Options) ([]byte, error) {
	if o.Name == "" {
		return nil, fmt.Errorf("the app needs a name")
	}
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 {
		return nil, fmt.Errorf("--name %q: %s (use lower-case letters, digits and '-', e.g. %s)", o.Name, strings.Join(errs, "; "), Name(o.Name))
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("--port %d: a port is 1–65535 (0 for none)", o.Port)
	}
	if o.Image == "" {
		o.Image = "${IMAGE:-" + o.Name + ":1}"
	}
	if o.Source == "" {
		o.Source = "flags"
	}
	var b bytes.Buffer
	err := tmpl.Execute(&b, struct {
		Options
		Schema string
	}{o, SchemaURL})
	return b.Bytes(), err
}

// quoteList writes a command as a YAML flow list of quoted strings.
func quoteList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

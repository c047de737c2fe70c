package spec

import (
	"regexp"
	"strings"
)

// SecretKind says where a secret reference points.
type SecretKind int

// The kinds of secret reference a spec can hold.
const (
	SecretInvalid SecretKind = iota
	// SecretsManager is an AWS Secrets Manager ARN, optionally with a JSON key, a version
	// stage or a version id (ECS's ARN:json-key:version-stage:version-id form).
	SecretsManager
	// SSMParameter is an SSM Parameter Store parameter: its ARN, or its name ("/app/db-password")
	// when it lives in the app's own account and region, as ECS accepts.
	SSMParameter
	// KubernetesSecret is k8s:<secret>/<key>, an existing Secret (EKS only).
	KubernetesSecret
)

// SecretRef is one parsed secret reference.
type SecretRef struct {
	Kind SecretKind
	// Raw is the reference as written (what ECS's valueFrom takes).
	Raw string
	// Secrets Manager: the secret's ARN without the json-key/version suffix, and the suffix.
	SecretARN, JSONKey, VersionStage, VersionID string
	// SSM: the parameter's name, with its leading "/" when hierarchical.
	Parameter string
	// Kubernetes: the Secret's name and key.
	SecretName, SecretKey string
}

var (
	secretsARNRe = regexp.MustCompile(`^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+)((?::[^:]*){3})?$`)
	ssmARNRe     = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(/.+)$`)
	// SSM parameter names: letters, digits and _.-/ (a leading "/" marks a hierarchy). A name
	// without a slash is not taken as one: it could as well be a value pasted by mistake.
	ssmNameRe = regexp.MustCompile(`^(/[a-zA-Z0-9_.-]+)+$`)
)

// ParseSecretRef reads a reference; Kind is SecretInvalid when it is none of the known forms.
func ParseSecretRef(s string) SecretRef {
	r := SecretRef{Raw: s}
	switch {
	case secretsARNRe.MatchString(s):
		m := secretsARNRe.FindStringSubmatch(s)
		r.Kind, r.SecretARN = SecretsManager, m[1]
		if m[2] != "" {
			parts := strings.Split(m[2][1:], ":")
			r.JSONKey, r.VersionStage, r.VersionID = parts[0], parts[1], parts[2]
		}
	case ssmARNRe.MatchString(s):
		r.Kind = SSMParameter
		name := ssmARNRe.FindStringSubmatch(s)[1]
		// The ARN of a flat name is …:parameter/name; of a hierarchical one …:parameter/a/b.
		if strings.Count(name, "/") == 1 {
			name = name[1:]
		}
		r.Parameter = name
	case ssmNameRe.MatchString(s) && len(s) <= 2048:
		r.Kind, r.Parameter = SSMParameter, s
	case k8sSecretRef.MatchString(s):
		m := k8sSecretRef.FindStringSubmatch(s)
		r.Kind, r.SecretName, r.SecretKey = KubernetesSecret, m[1], m[3]
	}
	return r
}

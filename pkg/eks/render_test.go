package eks

import "testing"

func TestSSMParameterName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:ssm:ap-northeast-2:123456789012:parameter/web/api-key": "/web/api-key",
		"arn:aws:ssm:ap-northeast-2:123456789012:parameter/api-key":     "api-key",
	} {
		if got := ssmParameterName(arn); got != want {
			t.Errorf("%s → %q, want %q", arn, got, want)
		}
	}
}

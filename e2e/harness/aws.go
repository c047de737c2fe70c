package harness

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// AWSEndpoint is the sandbox's AWS endpoint URL (the ECS rollout simulator in front of moto),
// for AWS_ENDPOINT_URL or `aws --endpoint-url`.
func AWSEndpoint(t testing.TB) string {
	t.Helper()
	return strings.TrimRight(mustEnv(t, EnvAWSEndpoint), "/")
}

// ResetAWS wipes the sandbox's AWS state: POST /_ecssim/reset, which resets the simulator and
// moto. Without the simulator (the endpoint is moto itself) it resets moto alone.
func ResetAWS(t testing.TB) {
	t.Helper()
	ep := AWSEndpoint(t)
	url := ep + "/_ecssim/reset"
	if moto := strings.TrimRight(os.Getenv(EnvMotoEndpoint), "/"); moto == ep {
		url = ep + "/moto-api/reset"
	}
	// Not t.Context(): that is already canceled when a t.Cleanup runs.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		t.Fatalf("reset AWS: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reset AWS: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		t.Fatalf("reset AWS: POST %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
}
